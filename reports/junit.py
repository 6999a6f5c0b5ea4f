"""JUnit XML: the run as Ant/Jenkins-style test suites, one per contract.

The shape follows the Apache Ant JUnit schema CI servers read (windyroad/JUnit-Schema):

- `<testsuites>` (the schema allows it no attributes) holds one `<testsuite>` per contract
  (`name` = contract, `package` = "calbot", `id` from 0), each with tests/failures/errors/
  skipped counts, `time` (the sum of its checks' durations), `timestamp` (its first check's
  start, in UTC without an offset, as the schema asks), `hostname` (the run's `hostname`
  option, else "localhost") and `<properties>` holding the run's metadata;
- one `<testcase>` per check (`classname` = contract, `name` = check name, `time`);
- failed → `<failure message type>`: the first finding's message and how many findings there
  were, typed by its rule; the body lists the finding groups (the first 50, then a count);
- error → `<error>`; a run that gives no verdict (could not run, verified too little,
  interrupted) adds an `<error>` testcase `calbot::run` with the reason;
- skipped → `<skipped message="reason"/>`;
- **warning → a passed testcase.** The schema allows no `<system-out>` inside a testcase, so the
  note goes to the suite's `<system-out>`, one `[warning] <check id>` block per check, and
  to a `calbot.warning` property. Under `--strict` (`RunResult.strict`), where warnings make the
  run non-conformant, a warning is a `<failure type="warning:<rule>">` instead, so CI agrees with
  the verdict.
- coverage and transient retries, facts about the run: `calbot.coverage` (the summary phrase),
  `calbot.coverage_percent`, `calbot.min_coverage` and `calbot.transient_retries` properties;
  a run below its `min_coverage` adds a `<failure>` testcase `calbot::coverage` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from calbot.contracts.results import CheckResult, Finding, Level, RunResult, Status
from calbot.reports.coverage import coverage_summary
from calbot.reports.retries import run_retries
from calbot.reports.view import CheckView, prepare

PACKAGE = "calbot"
RUN_CASE = "run"
COVERAGE_CASE = "coverage"
MAX_GROUPS = 50


@dataclass(slots=True)
class Case:
    """One testcase: a check, what JUnit calls its outcome, and the failure's message/type."""

    view: CheckView
    outcome: str  # "passed", "failure", "error", "skipped"
    message: str = ""
    type: str = ""

    @property
    def check(self) -> CheckResult:
        return self.view.check

    @property
    def groups(self) -> list[Finding]:
        return self.view.groups

    @property
    def shown(self) -> list[Finding]:
        return self.view.groups[:MAX_GROUPS]

    @property
    def time(self) -> str:
        return seconds(self.check.duration)


@dataclass(slots=True)
class Suite:
    id: int
    name: str
    timestamp: str
    cases: list[Case]

    @property
    def warnings(self) -> list[Case]:
        """Warnings that pass (not under strict): noted in the suite's system-out."""
        return [c for c in self.cases if c.check.status is Status.WARNING and c.outcome == "passed"]

    def count(self, outcome: str) -> int:
        return sum(case.outcome == outcome for case in self.cases)

    @property
    def time(self) -> str:
        return seconds(sum(case.check.duration for case in self.cases))


def suites(result: RunResult) -> list[Suite]:
    """The run's checks as one suite per contract, in the order contracts first ran; a run
    that gives no verdict (`incomplete`) ends with an error testcase `calbot::run` saying why,
    so a CI server never shows it green."""
    by_contract: dict[str, list[CheckView]] = {}
    for view in prepare(result).checks:
        by_contract.setdefault(view.check.contract, []).append(view)
    if result.incomplete:
        by_contract.setdefault(PACKAGE, []).append(_incomplete(result, str(result.incomplete)))
    shortfall = result.coverage_shortfall()
    if shortfall and not result.incomplete:
        by_contract.setdefault(PACKAGE, []).append(_short_of_coverage(result, shortfall))
    if not by_contract:
        return [Suite(0, PACKAGE, timestamp(result.started_at), [])]
    built = []
    for index, (contract, views) in enumerate(by_contract.items()):
        starts = [view.check.started_at for view in views if view.check.started_at is not None]
        start = min(starts, key=_utc) if starts else result.started_at
        cases = [_case(view, strict=result.strict) for view in views]
        built.append(Suite(index, contract, timestamp(start), cases))
    return built


def _incomplete(result: RunResult, reason: str) -> CheckView:
    check = CheckResult(
        contract=PACKAGE,
        name=RUN_CASE,
        rule=f"{PACKAGE}.{RUN_CASE}",
        level=Level.MUST,
        status=Status.ERROR,
        description="The run as a whole",
        reason=reason,
        started_at=result.started_at,
    )
    return CheckView(check, "", [], [], 0)


def _short_of_coverage(result: RunResult, shortfall: str) -> CheckView:
    check = CheckResult(
        contract=PACKAGE,
        name=COVERAGE_CASE,
        rule=f"{PACKAGE}.min-coverage",
        level=Level.MUST,
        status=Status.FAILED,
        description="The run exercised too few documented behaviours",
        reason=shortfall,
        started_at=result.started_at,
    )
    return CheckView(check, "", [], [], 0)


def fact_properties(result: RunResult) -> list[tuple[str, str]]:
    """The run's coverage and transient retries, as `<property>` name/value pairs."""
    found = []
    summary = coverage_summary(result)
    if summary:
        found += [
            ("calbot.coverage", summary),
            ("calbot.coverage_percent", f"{result.coverage_percent:g}"),
        ]
    if result.min_coverage is not None:
        found.append(("calbot.min_coverage", f"{result.min_coverage:g}"))
    retries = run_retries(result)
    if retries:
        found.append(("calbot.transient_retries", retries))
    return found


def _case(view: CheckView, *, strict: bool) -> Case:
    check, status = view.check, view.check.status
    if status is Status.PASSED or (status is Status.WARNING and not strict):
        return Case(view, "passed", _summary(view))
    if status is Status.SKIPPED:
        return Case(view, "skipped", check.reason or "skipped")
    outcome = "error" if status is Status.ERROR else "failure"
    kind = view.groups[0].rule if view.groups else check.rule
    if status is Status.WARNING:
        kind = f"warning:{kind}"
    return Case(view, outcome, _summary(view), kind)


def _summary(view: CheckView) -> str:
    """What broke, in one line: the first finding's message and how many there were."""
    check, groups, total = view.check, view.groups, view.total_findings
    if not groups:
        return check.reason or check.description or f"check {check.status.value}"
    first = groups[0].message
    if total == 1:
        return first
    return f"{first} ({total} findings, {len(groups)} distinct)"


def seconds(value: float) -> str:
    """An xs:decimal number of seconds (never exponent notation)."""
    return f"{max(value, 0.0):.3f}"


def timestamp(moment: datetime) -> str:
    """The schema's timestamp: ISO 8601 without fraction or offset; aware times go to UTC."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
