"""How a run ends, as types: the exit codes, why a run gives no verdict, why a check lacked
what it needed, and the exceptions that carry an unfinished run's result.

Part of the result model (below the engine and every adapter): the engine states the outcome,
the result model and the reports show it, every command exits with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calbot.contracts.results import RunResult


class ExitCode(IntEnum):
    """Every calbot command's exit codes (design.md)."""

    OK = 0  # conformant; a valid document; a server stopped as asked
    FAILED = 1  # non-conformant (or below the minimum coverage); an invalid document
    COULD_NOT_RUN = 2  # bad arguments, an unreadable input, no verdict: a user's to fix
    INTERRUPTED = 130  # Ctrl-C


class Outcome(StrEnum):
    """Why a run gives no verdict (its `incomplete`), each with its exit code."""

    COULD_NOT_RUN = "could not run"
    VERIFIED_TOO_LITTLE = "verified too little"
    INTERRUPTED = "interrupted"

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INTERRUPTED if self is Outcome.INTERRUPTED else ExitCode.COULD_NOT_RUN

    @property
    def separator(self) -> str:
        """What joins the outcome and its reason in the one-line text: "could not run: the
        target refuses the key", "interrupted (Ctrl-C), after 3 of 9 checks"."""
        return " " if self is Outcome.INTERRUPTED else ": "


@dataclass(frozen=True, slots=True)
class Incomplete:
    """Why a run gives no verdict: its outcome and, in words, the reason."""

    outcome: Outcome
    reason: str = ""

    def __str__(self) -> str:
        """The one line the reports show (and the JSON format's `incomplete` string)."""
        if not self.reason:
            return str(self.outcome)
        return f"{self.outcome}{self.outcome.separator}{self.reason}"

    @property
    def exit_code(self) -> ExitCode:
        return self.outcome.exit_code

    @classmethod
    def parse(cls, text: str) -> Incomplete:
        """The `Incomplete` whose one line `text` is (reading calbot-result.json back).

        A line in no known form (not written by calbot) is read as could not run, the whole
        line its reason."""
        for outcome in Outcome:
            if text == outcome.value:
                return cls(outcome)
            head = f"{outcome}{outcome.separator}"
            if text.startswith(head):
                return cls(outcome, text.removeprefix(head))
        return cls(Outcome.COULD_NOT_RUN, text)


class SkipKind(StrEnum):
    """Why a check could not do its work, where calbot tells the kinds apart."""

    NEEDS_EVENTS = "needs events"  # state setup cannot give the events it needs

    def reason(self, detail: str) -> str:
        """The check's reason: "needs events: no state setup: ..."."""
        return f"{self}: {detail}"

    def detail(self, reason: str) -> str:
        """What `reason` (as `reason()` made it) says beyond the kind."""
        return reason.removeprefix(f"{self}: ")

    @classmethod
    def of(cls, reason: str | None) -> SkipKind | None:
        """The kind a reason made by `reason()` names (reading a saved result back)."""
        return next((kind for kind in cls if (reason or "").startswith(f"{kind}: ")), None)


class CouldNotRun(Exception):
    """The run cannot give a verdict (a user's mistake, or not this API); one line says why.

    Raised by a run, `result` holds the run so far, marked incomplete, for the reports."""

    def __init__(self, message: str, result: RunResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class TargetUnreachable(CouldNotRun):
    """The target did not answer at all (refused, timed out)."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: `result` holds the checks that ran, marked interrupted."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(str(result.incomplete))
        self.result = result
