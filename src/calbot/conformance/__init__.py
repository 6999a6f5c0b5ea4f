"""Run calbot's contracts: the one way Python, the CLI and the pytest plugin start a run.

    from calbot.conformance import Conformance, run_conformance

    result = run_conformance(Conformance(url="http://127.0.0.1:8080",
                                         state_url="/_calbot/states"))
    assert result.exit_code == 0, [f.message for f in result.findings()]

With neither `url` nor `app`, the built-in reference server is tested in-process. `open_run`
builds the target once and gives a `Run`: `describe()` says what it tests before anything is
sent, `execute()` runs it, `check(spec)` runs one check (the pytest plugin's items).

The run's defaults, outcomes and settings load no engine module; the names that do (`Run`,
`open_run`, ... from `calbot.conformance.run`) load on first use (PEP 562), so a front end reads
the defaults at no cost (the pytest plugin, on every pytest run).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from calbot.conformance.options import Conformance
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.defaults import MAX_EXAMPLES, MAX_WAIT, TIMEOUT, new_seed
from calbot.contracts.engine.settings import Setting, Spelling
from calbot.contracts.outcomes import (
    CouldNotRun,
    ExitCode,
    Incomplete,
    Outcome,
    RunInterrupted,
    SkipKind,
    TargetUnreachable,
)

__all__ = [
    "BUILTIN_BUDGET",
    "BUILTIN_DISPLAY_URL",
    "BUILTIN_LABEL",
    "MAX_EXAMPLES",
    "MAX_WAIT",
    "RATE_LIMIT_CONTRACT",
    "TIMEOUT",
    "Activity",
    "CheckSpec",
    "Conformance",
    "CouldNotRun",
    "Description",
    "ExitCode",
    "Incomplete",
    "Outcome",
    "Progress",
    "Run",
    "RunInterrupted",
    "Setting",
    "SkipKind",
    "Spelling",
    "TargetUnreachable",
    "new_seed",
    "no_verdict",
    "open_run",
    "parse_events",
    "run_conformance",
    "select_checks",
]

# The names above not imported yet come from here, on first use (they load the engine).
_RUN = "calbot.conformance.run"
_FROM_RUN = frozenset(__all__) - set(globals())

if TYPE_CHECKING:
    from calbot.conformance.run import (
        BUILTIN_BUDGET,
        BUILTIN_DISPLAY_URL,
        BUILTIN_LABEL,
        RATE_LIMIT_CONTRACT,
        CheckSpec,
        Description,
        Progress,
        Run,
        no_verdict,
        open_run,
        parse_events,
        run_conformance,
        select_checks,
    )


def __getattr__(name: str) -> Any:
    if name not in _FROM_RUN:
        raise AttributeError(f"module 'calbot.conformance' has no attribute {name!r}")
    value = getattr(import_module(_RUN), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
