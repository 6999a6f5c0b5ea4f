"""The rule matrix: every rule in the catalogue × how the checks citing it ended.

A check cites its own rule and the rule of each of its findings. Rules are grouped by area
in catalogue order; rules no check cited are listed as not tested, and rules cited but not in
the catalogue come last, under "other". A server run uses the server rules (`RULES`), a client
run the client rules (`CLIENT_RULES`): `catalogue(result.kind)`.

The HTML report shows only the rules the run could judge (`judged`: cited by a check that ran
or was selected, skipped ones included) and sums up the rest in one line (`not_judged`), saying
why each was left out: not selected, no check in this version, calbot's own guess, or simply
cited by no check or finding of the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from calbot.contracts.results import CheckResult, Coverage, Level, Status
from calbot.contracts.rules import CLIENT_RULES, RULES, Rule
from calbot.reports.coverage import why_not

# The worst status among the checks citing a rule decides the row's colour.
_WORST_FIRST = (Status.FAILED, Status.ERROR, Status.WARNING, Status.PASSED, Status.SKIPPED)


@dataclass(slots=True)
class MatrixRow:
    rule: str
    level: Level
    text: str
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    evidence: str = ""  # documented, inferred or own (calbot's guess, never checked)
    source: str = ""

    @property
    def worst(self) -> str:
        """The row's status: the worst among its checks, or "untested"."""
        for status in _WORST_FIRST:
            if self.counts[status]:
                return status.value
        return "untested"


@dataclass(slots=True)
class MatrixArea:
    area: str
    rows: list[MatrixRow]


def catalogue(kind: str) -> tuple[Rule, ...]:
    """The rules a run of `kind` ("server" or "client") is measured against."""
    return CLIENT_RULES if kind == "client" else RULES


def rule_matrix(checks: Sequence[CheckResult], rules: Sequence[Rule] = RULES) -> list[MatrixArea]:
    rows = {
        rule.id: MatrixRow(
            rule.id, rule.level, rule.text, evidence=rule.evidence.value, source=rule.source
        )
        for rule in rules
    }
    areas: dict[str, list[MatrixRow]] = {}
    for rule in rules:
        areas.setdefault(rule.area, []).append(rows[rule.id])
    for check in checks:
        for rule_id in dict.fromkeys([check.rule, *(f.rule for f in check.findings)]):
            if rule_id not in rows:
                rows[rule_id] = MatrixRow(rule_id, check.level, "(not in calbot's catalogue)")
                areas.setdefault("other", []).append(rows[rule_id])
            rows[rule_id].counts[check.status] += 1
    return [MatrixArea(area, area_rows) for area, area_rows in areas.items()]


def judged(areas: Sequence[MatrixArea]) -> list[MatrixArea]:
    """The matrix without the rules no check of the run cited (areas left empty dropped)."""
    kept = [MatrixArea(a.area, [r for r in a.rows if r.worst != "untested"]) for a in areas]
    return [area for area in kept if area.rows]


@dataclass(frozen=True, slots=True)
class NotJudged:
    """Rules no check of the run cited, with one reason for all of them."""

    one: str  # "1 calbot's own guess, never checked"
    many: str  # "2 calbot's own guesses, never checked"
    rows: list[MatrixRow]

    @property
    def phrase(self) -> str:
        count = len(self.rows)
        return f"{count} {self.one if count == 1 else self.many}"


# Why a rule was not judged, in the order the summary gives them when the counts are equal.
_NOT_SELECTED = ("not selected", "not selected")
_NO_CHECK = ("with no check in this version", "with no check in this version")
_UNCITED = ("cited by no check or finding", "cited by no check or finding")
_OWN = ("calbot's own guess, never checked", "calbot's own guesses, never checked")
_WHY_ORDER = (_NOT_SELECTED, _NO_CHECK, _UNCITED, _OWN)


def not_judged(areas: Sequence[MatrixArea], coverage: Sequence[Coverage]) -> list[NotJudged]:
    """The rules `judged` leaves out, grouped by why, most first.

    An own rule is never checked. Otherwise the run's coverage tells (`Coverage.reason`, read
    by `reports.coverage.why_not`): a rule with a behaviour whose checks were not selected
    was not selected; one whose behaviours all have no check has none in this version. A rule
    coverage says nothing about (no behaviours, or no coverage measured) was cited by no check
    or finding of the run, which is all the matrix knows."""
    reasons: dict[str, list[str]] = {}
    for item in coverage:
        kind = why_not(item)
        reasons.setdefault(item.rule, []).append(kind.key if kind else "exercised")
    grouped: dict[tuple[str, str], list[MatrixRow]] = {}
    for area in areas:
        for row in area.rows:
            if row.worst != "untested":
                continue
            why = _why_not_judged(row, reasons.get(row.rule, []))
            grouped.setdefault(why, []).append(row)
    order = {why: index for index, why in enumerate(_WHY_ORDER)}
    ranked = sorted(grouped.items(), key=lambda pair: (-len(pair[1]), order[pair[0]]))
    return [NotJudged(one, many, rows) for (one, many), rows in ranked]


def _why_not_judged(row: MatrixRow, whys: list[str]) -> tuple[str, str]:
    if row.evidence == "own":
        return _OWN
    if "not-selected" in whys:
        return _NOT_SELECTED
    if whys and all(why == "no-check" for why in whys):
        return _NO_CHECK
    return _UNCITED
