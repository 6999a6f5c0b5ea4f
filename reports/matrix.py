"""The rule matrix: every rule in the catalogue × how the checks citing it ended.

A check cites its own rule and the rule of each of its findings. Rules are grouped by area
in catalogue order; rules no check cited are listed as not tested, and rules cited but not in
the catalogue come last, under "other". A server run uses the server rules (`RULES`), a client
run the client rules (`CLIENT_RULES`): `catalogue(result.kind)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from calbot.contracts.results import CheckResult, Level, Status
from calbot.contracts.rules import CLIENT_RULES, RULES, Rule

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
