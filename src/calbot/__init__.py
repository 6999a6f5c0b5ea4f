"""calbot: contract tests, a reference server and conformance reports for Recall.ai's
Schedule Bot For Calendar Event endpoint (`POST /api/v2/calendar-events/{id}/bot/`).

The one public face. Every name below is imported on first use (PEP 562), so `import calbot`
stays light. With no `url`, calbot tests its built-in reference server, in-process::

    import calbot

    options = calbot.Conformance(contracts=["dedup", "ended"])  # url="http://..." for yours
    result = calbot.run_conformance(options)
    calbot.write_reports(result, ["html", "json"], "calbot-report")
    assert result.verdict is calbot.Verdict.CONFORMANT, [f.message for f in result.findings()]

`run_conformance` raises `CouldNotRun` (a user's mistake, or not this API) and `RunInterrupted`
(Ctrl-C), each with `.result`, the run so far, for the reports.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("calbot")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# The public names, each with the module it comes from: the one list (`__all__` is made from
# it; the imports for type checkers below are held to it by a test).
_EXPORTS: dict[str, str] = {
    # running the server contracts
    "Conformance": "calbot.conformance",
    "run_conformance": "calbot.conformance",
    "RateLimit": "calbot.spec.throttles",
    "CouldNotRun": "calbot.contracts.outcomes",
    "RunInterrupted": "calbot.contracts.outcomes",
    # the result model
    "RunResult": "calbot.contracts.results",
    "CheckResult": "calbot.contracts.results",
    "Finding": "calbot.contracts.results",
    "Exchange": "calbot.contracts.results",
    "Status": "calbot.contracts.results",
    "Level": "calbot.contracts.results",
    "Verdict": "calbot.contracts.results",
    "Incomplete": "calbot.contracts.outcomes",
    "Outcome": "calbot.contracts.outcomes",
    "SkipKind": "calbot.contracts.outcomes",
    "ExitCode": "calbot.contracts.outcomes",
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

__all__ = list(_EXPORTS)
__all__ += ["__version__"]

if TYPE_CHECKING:
    from calbot.client_fixture import ClientServer as ClientServer
    from calbot.client_fixture import ClientServerOptions as ClientServerOptions
    from calbot.client_fixture import ServerClock as ServerClock
    from calbot.conformance import Conformance as Conformance
    from calbot.conformance import run_conformance as run_conformance
    from calbot.contracts.outcomes import CouldNotRun as CouldNotRun
    from calbot.contracts.outcomes import ExitCode as ExitCode
    from calbot.contracts.outcomes import Incomplete as Incomplete
    from calbot.contracts.outcomes import Outcome as Outcome
    from calbot.contracts.outcomes import RunInterrupted as RunInterrupted
    from calbot.contracts.outcomes import SkipKind as SkipKind
    from calbot.contracts.results import CheckResult as CheckResult
    from calbot.contracts.results import Exchange as Exchange
    from calbot.contracts.results import Finding as Finding
    from calbot.contracts.results import Level as Level
    from calbot.contracts.results import RunResult as RunResult
    from calbot.contracts.results import Status as Status
    from calbot.contracts.results import Verdict as Verdict
    from calbot.exceptions import CalbotWarning as CalbotWarning
    from calbot.exceptions import ClientRuleViolation as ClientRuleViolation
    from calbot.exceptions import ClientRuleWarning as ClientRuleWarning
    from calbot.reports import read_result as read_result
    from calbot.reports import render as render
    from calbot.reports import write_reports as write_reports
    from calbot.server import ServerConfig as ServerConfig
    from calbot.server import create_app as create_app
    from calbot.server import running as running
    from calbot.spec import load_spec as load_spec
    from calbot.spec.throttles import RateLimit as RateLimit


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'calbot' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
