"""The plugin tests run pytest inside pytest (pytester)."""

from __future__ import annotations

import pytest

from calbot.conformance import Conformance, run_conformance
from calbot.server import ServerConfig, running


def pytest_configure(config: pytest.Config) -> None:
    """Load pytester: `pytest_plugins` is refused in a conftest below the top-level one."""
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
        if not hasattr(config.option, "runpytest"):
            config.option.runpytest = "inprocess"


@pytest.fixture(scope="session", autouse=True)
def _import_lazy_modules_once() -> None:
    """One quick run over HTTP before any in-process pytester run.

    pytester forgets the modules a run imported; httpx imports its transport stack (httpcore)
    lazily, and a second copy of it raises exceptions httpx no longer recognises. Importing
    everything a run needs here keeps one copy for all runs.
    """
    with running(ServerConfig()) as url:
        options = Conformance(url=url, max_examples=1, rate_limit_contract=False, seed=1)
        run_conformance(options)
