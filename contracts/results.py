"""The one result model: a run has checks, a check has a status and findings.

Every writer (HTML, Markdown, JUnit, JSON) and every runner (CLI, pytest plugin, client
report) speaks this model. It is plain data: `to_dict`/`from_dict` round-trip it through JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from calbot.contracts.outcomes import ExitCode, Incomplete, SkipKind

SCHEMA_VERSION = "1.2"


class Status(StrEnum):
    """What came of one check."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"
    ERROR = "error"


class Level(StrEnum):
    """MUST is documented by Recall; SHOULD is strongly implied (a warning by default)."""

    MUST = "must"
    SHOULD = "should"


class Verdict(StrEnum):
    """The run's answer."""

    CONFORMANT = "conformant"
    NON_CONFORMANT = "non-conformant"
    ERROR = "error"


VERDICT_EXIT_CODES = {
    Verdict.CONFORMANT: ExitCode.OK,
    Verdict.NON_CONFORMANT: ExitCode.FAILED,
    Verdict.ERROR: ExitCode.COULD_NOT_RUN,
}


@dataclass(slots=True)
class Exchange:
    """One request and its response, as excerpts (bodies cut to a readable size)."""

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    status_code: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float | None = None


@dataclass(slots=True)
class Finding:
    """One way an implementation broke a rule, with what was expected and what came back."""

    rule: str
    message: str
    expected: str = ""
    actual: str = ""
    operation: str | None = None
    curl: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    signature: str = ""
    count: int = 1
    source: str = ""  # the public sources of `rule` (URLs), filled in from the rule catalogue

    def group_key(self) -> tuple[str, str, str]:
        """Identical findings share (rule, operation, normalised signature)."""
        return (self.rule, self.operation or "", self.signature or self.message)


@dataclass(slots=True)
class CheckResult:
    """One named check of a contract, e.g. `dedup::same-key-same-bot`."""

    contract: str
    name: str
    rule: str
    level: Level
    status: Status
    description: str = ""
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)
    started_at: datetime | None = None
    duration: float = 0.0
    # Transient answers (409, 502-504, 507) calbot met and retried, by status ("507": 3).
    retried: dict[str, int] = field(default_factory=dict)
    # Behaviours (calbot.contracts.behaviours) the check exercised, with the requests spent.
    exercised: dict[str, int] = field(default_factory=dict)
    # What the check lacked, when that is why it did no work (its reason says it in words).
    skip_kind: SkipKind | None = None

    @property
    def id(self) -> str:
        return f"{self.contract}::{self.name}"


@dataclass(slots=True)
class Coverage:
    """One behaviour of the catalogue and whether this run exercised it (and if not, why)."""

    behaviour: str
    rule: str
    text: str
    edge: str
    requests: int = 0
    checks: list[str] = field(default_factory=list)
    reason: str | None = None  # why it was not exercised; None when it was

    @property
    def exercised(self) -> bool:
        return self.reason is None


@dataclass(slots=True)
class RunResult:
    """A whole conformance run: what was tested, how, and every check's result."""

    target: str
    kit_version: str
    spec_version: str
    started_at: datetime
    duration: float = 0.0
    seed: int | None = None
    kind: str = "server"  # "server" (calbot run) or "client" (calbot client-report)
    options: dict[str, Any] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    strict: bool = False
    # Why this run gives no verdict, when it gives none: it could not run (the target refused
    # the key, state setup failed, ...), verified too little, or was interrupted.
    incomplete: Incomplete | None = None
    # What the run exercised: every behaviour of the catalogue (server runs; empty otherwise).
    coverage: list[Coverage] = field(default_factory=list)
    # The least share of behaviours (percent) a run must exercise to be conformant, if asked.
    min_coverage: float | None = None

    @property
    def coverage_percent(self) -> float | None:
        """The share of the catalogue's behaviours this run exercised, or None (no catalogue)."""
        if not self.coverage:
            return None
        exercised = sum(1 for item in self.coverage if item.exercised)
        return round(100.0 * exercised / len(self.coverage), 1)

    def coverage_shortfall(self, minimum: str = "the minimum of") -> str | None:
        """Why the run falls short of `min_coverage`, or None when it does not (or none set):
        "coverage 72% is below the minimum of 90%" (`minimum` names it: "--min-coverage")."""
        percent = self.coverage_percent
        if self.min_coverage is None or percent is None:
            return None
        exercised = sum(1 for item in self.coverage if item.exercised)
        if 100 * exercised >= self.min_coverage * len(self.coverage):  # exact, not rounded
            return None
        return f"coverage {percent:g}% is below {minimum} {self.min_coverage:g}%"

    def retried(self) -> dict[str, int]:
        """Transient answers retried over the whole run, by status."""
        total: dict[str, int] = {}
        for check in self.checks:
            for status, count in check.retried.items():
                total[status] = total.get(status, 0) + count
        return dict(sorted(total.items()))

    def counts(self) -> dict[Status, int]:
        counted = dict.fromkeys(Status, 0)
        for check in self.checks:
            counted[check.status] += 1
        return counted

    @property
    def verdict(self) -> Verdict:
        statuses = {check.status for check in self.checks}
        if self.incomplete:
            return Verdict.ERROR
        if Status.FAILED in statuses or (self.strict and Status.WARNING in statuses):
            return Verdict.NON_CONFORMANT
        if self.coverage_shortfall():
            return Verdict.NON_CONFORMANT
        if Status.ERROR in statuses or not statuses & {Status.PASSED, Status.WARNING}:
            return Verdict.ERROR  # something could not run, or nothing was verified at all
        return Verdict.CONFORMANT

    @property
    def exit_code(self) -> ExitCode:
        """0 conformant, 1 non-conformant, 2 could not run, 130 interrupted (see design.md)."""
        if self.incomplete:
            return self.incomplete.exit_code
        return VERDICT_EXIT_CODES[self.verdict]

    def findings(self) -> list[Finding]:
        return [finding for check in self.checks for finding in check.findings]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the documented format (`schema_version`)."""
        data = _plain(dataclasses.asdict(self))
        data["incomplete"] = str(self.incomplete) if self.incomplete else None
        for check, plain in zip(self.checks, data["checks"], strict=True):
            plain["id"] = check.id
            del plain["skip_kind"]  # said by the reason: "needs events: ..."
        counts = {status.value: n for status, n in self.counts().items()}
        for item, plain in zip(self.coverage, data["coverage"], strict=True):
            plain["exercised"] = item.exercised
        return {
            "schema_version": SCHEMA_VERSION,
            **data,
            "verdict": self.verdict.value,
            "exit_code": int(self.exit_code),
            "counts": counts,
            "coverage_percent": self.coverage_percent,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunResult:
        """Rebuild a result from `to_dict` output (raises KeyError/ValueError when malformed)."""
        checks = [_check_from_dict(check) for check in data["checks"]]
        return cls(
            target=data["target"],
            kit_version=data["kit_version"],
            spec_version=data["spec_version"],
            started_at=datetime.fromisoformat(data["started_at"]),
            duration=float(data.get("duration", 0.0)),
            seed=data.get("seed"),
            kind=data.get("kind", "server"),
            options=dict(data.get("options") or {}),
            checks=checks,
            strict=bool(data.get("strict", False)),
            incomplete=Incomplete.parse(data["incomplete"]) if data.get("incomplete") else None,
            coverage=[_coverage_from_dict(item) for item in data.get("coverage") or ()],
            min_coverage=data.get("min_coverage"),
        )


def new_run(target: str, started_at: datetime, **fields: Any) -> RunResult:
    """A RunResult with no checks yet, stamped with the kit's and the fragment's versions."""
    from calbot import __version__
    from calbot.spec import load_spec

    spec_version = str(load_spec()["info"]["version"])
    return RunResult(target, __version__, spec_version, started_at, **fields)


def describe_retries(retried: Mapping[str, int] | Mapping[int, int]) -> str:
    """ "the server answered 507 three times and 409 once; retried" (empty when none).

    `retried` counts transient answers by status, as `CheckResult.retried` and
    `RunResult.retried()` do (the engine's counter keys them by int)."""
    counts = sorted((int(status), count) for status, count in retried.items() if count)
    if not counts:
        return ""
    parts = [f"{status} {_times(count)}" for status, count in counts]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"the server answered {listed}; retried"


def _times(count: int) -> str:
    return {1: "once", 2: "twice", 3: "three times"}.get(count, f"{count} times")


def level_status(level: Level) -> Status:
    """The status of a check whose rule at `level` was broken: MUST fails, SHOULD warns."""
    return Status.FAILED if level is Level.MUST else Status.WARNING


def group_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Merge identical findings (same group key) into one, adding up their counts."""
    grouped: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        key = finding.group_key()
        if key in grouped:
            grouped[key].count += finding.count
        else:
            grouped[key] = dataclasses.replace(finding)
    return list(grouped.values())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _check_from_dict(data: Mapping[str, Any]) -> CheckResult:
    started = data.get("started_at")
    return CheckResult(
        contract=data["contract"],
        name=data["name"],
        rule=data["rule"],
        level=Level(data["level"]),
        status=Status(data["status"]),
        description=data.get("description", ""),
        reason=data.get("reason"),
        findings=[_finding_from_dict(f) for f in data.get("findings", [])],
        started_at=datetime.fromisoformat(started) if started else None,
        duration=float(data.get("duration", 0.0)),
        retried={str(k): int(v) for k, v in (data.get("retried") or {}).items()},
        exercised={str(k): int(v) for k, v in (data.get("exercised") or {}).items()},
        skip_kind=SkipKind.of(data.get("reason")),
    )


def _coverage_from_dict(data: Mapping[str, Any]) -> Coverage:
    return Coverage(
        behaviour=data["behaviour"],
        rule=data["rule"],
        text=data.get("text", ""),
        edge=data.get("edge", ""),
        requests=int(data.get("requests", 0)),
        checks=[str(check) for check in data.get("checks") or ()],
        reason=data.get("reason"),
    )


def _finding_from_dict(data: Mapping[str, Any]) -> Finding:
    return Finding(
        rule=data["rule"],
        message=data["message"],
        expected=data.get("expected", ""),
        actual=data.get("actual", ""),
        operation=data.get("operation"),
        curl=data.get("curl"),
        exchanges=[Exchange(**exchange) for exchange in data.get("exchanges", [])],
        signature=data.get("signature", ""),
        count=int(data.get("count", 1)),
        source=str(data.get("source", "")),
    )
