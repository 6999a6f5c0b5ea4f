"""What the HTML and Markdown templates show: checks sorted into sections, findings grouped.

Identical findings are merged with `group_findings` and shown once with a count; each check
shows at most `Limits.groups_per_check` groups, then says how many were left out. The heavy
part (grouping) is done once by `prepare`; `build_view` applies limits to it cheaply, so the
Markdown writer can try several limits in a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calbot.contracts.outcomes import Outcome
from calbot.contracts.results import (
    CheckResult,
    Coverage,
    Finding,
    RunResult,
    Status,
    Verdict,
    group_findings,
)
from calbot.reports.coverage import (
    CoverageGroup,
    by_edge,
    by_rule,
    coverage_counts,
    coverage_summary,
    minimum_note,
)
from calbot.reports.filters import capfirst, plural
from calbot.reports.matrix import (
    MatrixArea,
    MatrixRow,
    NotJudged,
    catalogue,
    judged,
    not_judged,
    rule_matrix,
)
from calbot.reports.retries import retried_checks, run_retries

# Sections in the order a reader needs them: what broke first.
PROBLEMS = (Status.FAILED, Status.ERROR, Status.WARNING)
SEVERITY = (*PROBLEMS, Status.SKIPPED, Status.PASSED)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much detail to show; None means no limit."""

    groups_per_check: int = 20
    exchanges_per_finding: int = 3
    excerpt_chars: int = 4000
    detailed_checks: int | None = None
    table_rows: int | None = None
    # Behaviours listed in the coverage section: None lists all; a number lists at most that
    # many of those not exercised (the exercised ones are counted, not listed).
    coverage_rows: int | None = None


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check with its findings grouped, and the groups to show."""

    check: CheckResult
    anchor: str
    groups: list[Finding]
    shown: list[Finding]
    total_findings: int

    @property
    def hidden_groups(self) -> int:
        return len(self.groups) - len(self.shown)

    @property
    def hidden_findings(self) -> int:
        return self.total_findings - sum(group.count for group in self.shown)


@dataclass(frozen=True, slots=True)
class SkipGroup:
    """Skipped checks that give the same reason, in run order."""

    reason: str
    items: list[CheckView]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A run with every check's findings grouped: computed once per render."""

    result: RunResult
    checks: list[CheckView]
    matrix: list[MatrixArea]


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a template reads, with `limits` applied."""

    result: RunResult
    limits: Limits
    counts: dict[str, int]
    total_findings: int
    distinct_findings: int
    matrix: list[MatrixArea]
    judged: list[MatrixArea]  # the matrix's rows some check of the run cited
    not_judged: list[NotJudged]  # the other rules, grouped by why
    problems: list[CheckView]
    hidden_problems: int
    skipped: list[CheckView]
    skip_groups: list[SkipGroup]
    passed: list[CheckView]
    table: list[CheckView]
    hidden_rows: int
    coverage: list[CoverageGroup]
    hidden_coverage: int

    @property
    def headline(self) -> str:
        """The heading's key: the verdict, or "interrupted" for a run the user stopped."""
        incomplete = self.result.incomplete
        if incomplete and incomplete.outcome is Outcome.INTERRUPTED:
            return "interrupted"
        return self.result.verdict.value

    @property
    def rules(self) -> dict[str, MatrixRow]:
        """Every rule of the matrix by id (its level, evidence and sources)."""
        return {row.rule: row for area in self.matrix for row in area.rows}

    @property
    def not_judged_count(self) -> int:
        return sum(len(group.rows) for group in self.not_judged)

    @property
    def not_judged_summary(self) -> str:
        """ "22 other rules not selected in this run", or with the reasons when they differ:
        "27 other rules not judged in this run: 17 not selected, 7 cited by no check or
        finding, 3 calbot's own guesses, never checked"; "" when every rule was judged."""
        count = self.not_judged_count
        if not count:
            return ""
        rules = plural(count, "other rule")
        if len(self.not_judged) == 1:
            return f"{rules} {self.not_judged[0].many} in this run"
        reasons = ", ".join(group.phrase for group in self.not_judged)
        return f"{rules} not judged in this run: {reasons}"

    @property
    def coverage_summary(self) -> str | None:
        """The run's coverage in one phrase (`reports.coverage`), None when not measured."""
        return coverage_summary(self.result)

    @property
    def coverage_counts(self) -> str | None:
        """ "34 of 40 behaviours exercised (85%)", None when not measured."""
        return coverage_counts(self.result)

    @property
    def coverage_absent(self) -> str:
        """Why a result carries no coverage (said when it has none)."""
        if self.result.incomplete:
            return "the run did not finish its checks"
        return (
            "only calbot run and the pytest plugin measure coverage; this result (of recorded "
            "traffic, or older than coverage) carries none"
        )

    @property
    def coverage_note(self) -> str:
        """Whether coverage counts towards the verdict (only with a minimum asked)."""
        return minimum_note(self.result)

    @property
    def coverage_edges(self) -> list[tuple[str, int, int]]:
        """(edge kind, exercised, total) per kind of situation."""
        return by_edge(self.result)

    @property
    def retries(self) -> str:
        """The run's transient answers, retried: "the server answered 507 twice; retried
        (in 1 check)", or "" when there were none."""
        return run_retries(self.result)

    @property
    def retried(self) -> list[CheckResult]:
        """The checks that met transient answers, in run order."""
        return retried_checks(self.result)

    @property
    def summary(self) -> str:
        """The verdict's reason in one sentence, e.g. "3 of 9 checks failed."."""
        total, counts = len(self.result.checks), self.counts
        failed, warnings, passed = counts["failed"], counts["warning"], counts["passed"]
        verdict = self.result.verdict
        if self.result.incomplete:
            reason = str(self.result.incomplete).rstrip(".")
            ran = f" {plural(total, 'check')} ran before." if total else ""
            return f"{reason[:1].upper()}{reason[1:]}.{ran}"
        if not total:
            return "No checks ran."
        if verdict is Verdict.NON_CONFORMANT:
            parts = [f"{failed} of {plural(total, 'check')} failed"] if failed else []
            if self.result.strict and warnings:
                verb = "counts" if warnings == 1 else "count"
                parts.append(f"{plural(warnings, 'warning')} {verb} as failures (strict)")
            shortfall = self.result.coverage_shortfall()
            if shortfall:
                parts.append(shortfall if parts else capfirst(shortfall))
            return "; ".join(parts) + "."
        if verdict is Verdict.ERROR:
            return f"{counts['error']} of {plural(total, 'check')} could not run to the end."
        if warnings:
            return f"No check failed; {plural(warnings, 'warning')}."
        skipped = f", {counts['skipped']} skipped" if counts["skipped"] else ""
        if passed == total:
            return f"All {plural(total, 'check')} passed."
        return f"{passed} of {plural(total, 'check')} passed{skipped}."

    @property
    def findings_summary(self) -> str:
        """ "11 findings (4 distinct)." or "No findings." """
        if not self.total_findings:
            return "No findings."
        distinct = self.distinct_findings
        grouped = f" ({distinct} distinct)" if distinct != self.total_findings else ""
        return f"{plural(self.total_findings, 'finding')}{grouped}."


def prepare(result: RunResult) -> Prepared:
    checks = []
    for index, check in enumerate(result.checks):
        groups = group_findings(check.findings)
        total = sum(group.count for group in groups)
        checks.append(CheckView(check, _anchor(index, check), groups, groups, total))
    return Prepared(result, checks, rule_matrix(result.checks, catalogue(result.kind)))


def build_view(result: RunResult | Prepared, limits: Limits = Limits()) -> ReportView:
    prepared = result if isinstance(result, Prepared) else prepare(result)
    views = [_limited(check, limits) for check in prepared.checks]
    by_status = {status: [v for v in views if v.check.status is status] for status in Status}
    problems = [view for status in PROBLEMS for view in by_status[status]]
    table = [view for status in SEVERITY for view in by_status[status]]
    covered = _coverage(prepared.result, limits)
    return ReportView(
        result=prepared.result,
        limits=limits,
        counts={status.value: len(by_status[status]) for status in Status},
        total_findings=sum(view.total_findings for view in views),
        distinct_findings=sum(len(view.groups) for view in views),
        matrix=prepared.matrix,
        judged=judged(prepared.matrix),
        not_judged=not_judged(prepared.matrix, prepared.result.coverage),
        problems=_cap(problems, limits.detailed_checks),
        hidden_problems=_over(problems, limits.detailed_checks),
        skipped=by_status[Status.SKIPPED],
        skip_groups=_skip_groups(by_status[Status.SKIPPED]),
        passed=by_status[Status.PASSED],
        table=_cap(table, limits.table_rows),
        hidden_rows=_over(table, limits.table_rows),
        coverage=by_rule(covered),
        hidden_coverage=len(prepared.result.coverage) - len(covered),
    )


def _skip_groups(skipped: list[CheckView]) -> list[SkipGroup]:
    """Skipped checks grouped by their reason, word for word: the biggest group first."""
    groups: dict[str, list[CheckView]] = {}
    for view in skipped:
        groups.setdefault(view.check.reason or "no reason given", []).append(view)
    ranked = sorted(groups.items(), key=lambda pair: -len(pair[1]))  # stable: run order on ties
    return [SkipGroup(reason, items) for reason, items in ranked]


def _coverage(result: RunResult, limits: Limits) -> list[Coverage]:
    if limits.coverage_rows is None:
        return list(result.coverage)
    missed = [item for item in result.coverage if not item.exercised]
    return missed[: limits.coverage_rows]


def _limited(view: CheckView, limits: Limits) -> CheckView:
    shown = view.groups[: limits.groups_per_check]
    return CheckView(view.check, view.anchor, view.groups, shown, view.total_findings)


def _cap(items: list[CheckView], limit: int | None) -> list[CheckView]:
    return items if limit is None else items[:limit]


def _over(items: list[CheckView], limit: int | None) -> int:
    return 0 if limit is None else max(0, len(items) - limit)


def _anchor(index: int, check: CheckResult) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", check.id.lower()).strip("-")
    return f"check-{index}-{slug}"
