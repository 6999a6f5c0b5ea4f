"""Check results as plain data: they travel from xdist workers to the controller."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from calbot.contracts.results import CheckResult, RunResult

if TYPE_CHECKING:
    pass


REPORT_ATTRIBUTE = "calbot_checks"


def dump_check(check: CheckResult) -> dict[str, Any]:
    """A check result as plain JSON-ready data (its part of `RunResult.to_dict`)."""
    holder = RunResult("", "", "", datetime.now(UTC), checks=[check])
    data: dict[str, Any] = holder.to_dict()["checks"][0]
    return data


def load_check(data: dict[str, Any]) -> CheckResult:
    """The check result `dump_check` gave."""
    holder = {"target": "", "kit_version": "", "spec_version": "", "started_at": "2000-01-01"}
    return RunResult.from_dict({**holder, "checks": [data]}).checks[0]
