"""calbot: contract tests, a reference server and conformance reports for Recall.ai's
Schedule Bot For Calendar Event endpoint (`POST /api/v2/calendar-events/{id}/bot/`).

The one public face. Every name below is imported on first use (PEP 562), so `import calbot`
stays light::

    import calbot

    result = calbot.run_conformance(calbot.Conformance(url="http://127.0.0.1:8000"))
    calbot.write_reports(result, "calbot-report")
    assert result.verdict is calbot.Verdict.CONFORMANT
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("calbot")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_EXPORTS: dict[str, str] = {
    # running the server contracts
    "Conformance": "calbot.conformance",
    "run_conformance": "calbot.conformance",
    # the result model
    "RunResult": "calbot.contracts.results",
    "CheckResult": "calbot.contracts.results",
    "Finding": "calbot.contracts.results",
    "Exchange": "calbot.contracts.results",
    "Status": "calbot.contracts.results",
    "Level": "calbot.contracts.results",
    "Verdict": "calbot.contracts.results",
    # testing a client against the reference server
    "ClientServer": "calbot.client_fixture",
    "ClientServerOptions": "calbot.client_fixture",
    "ServerClock": "calbot.client_fixture",
    # warnings and errors
    "CalbotWarning": "calbot.exceptions",
    "ClientRuleWarning": "calbot.exceptions",
    "ClientRuleViolation": "calbot.exceptions",
    # the reference server
    "ServerConfig": "calbot.server",
    "create_app": "calbot.server",
    "running": "calbot.server",
    # reports
    "render": "calbot.reports",
    "write_reports": "calbot.reports",
    "read_result": "calbot.reports",
    # the fragment
    "load_spec": "calbot.spec",
}

__all__ = [
    "CalbotWarning",
    "CheckResult",
    "ClientRuleViolation",
    "ClientRuleWarning",
    "ClientServer",
    "ClientServerOptions",
    "Conformance",
    "Exchange",
    "Finding",
    "Level",
    "RunResult",
    "ServerClock",
    "ServerConfig",
    "Status",
    "Verdict",
    "__version__",
    "create_app",
    "load_spec",
    "read_result",
    "render",
    "run_conformance",
    "running",
    "write_reports",
]

if TYPE_CHECKING:
    from calbot.client_fixture import ClientServer, ClientServerOptions, ServerClock
    from calbot.conformance import Conformance, run_conformance
    from calbot.contracts.results import (
        CheckResult,
        Exchange,
        Finding,
        Level,
        RunResult,
        Status,
        Verdict,
    )
    from calbot.exceptions import CalbotWarning, ClientRuleViolation, ClientRuleWarning
    from calbot.reports import read_result, render, write_reports
    from calbot.server import ServerConfig, create_app, running
    from calbot.spec import load_spec


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'calbot' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
