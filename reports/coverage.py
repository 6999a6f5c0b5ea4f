"""What a run exercised, in words: the one summary phrase every writer and the terminal print,
and the behaviours grouped for a report's coverage section.

    coverage: 34 of 40 behaviours exercised (85%); not exercised: 4 need a second API key,
    2 were not selected

Coverage is a fact about the run (which documented behaviours and edges its requests put to the
test), not a verdict, unless a minimum was asked (`RunResult.min_coverage`, `--min-coverage`).
It counts behaviours of calbot's catalogue, not endpoints. Reasons are told apart by the words
the engine gives them (`contracts/engine/coverage.py`, the checks' skip reasons); one this
module does not know counts as "another reason", never as exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

from calbot.contracts.results import Coverage, RunResult
from calbot.contracts.rules import RULES_BY_ID
from calbot.reports.filters import capfirst


@dataclass(frozen=True, slots=True)
class Why:
    """A kind of reason a behaviour was not exercised, as the summary counts it."""

    key: str
    fragments: tuple[str, ...]  # any of these in the reason (the first kind that matches wins)
    one: str  # "1 needs a second API key"
    many: str  # "4 need a second API key"

    def phrase(self, count: int) -> str:
        return f"{count} {self.one if count == 1 else self.many}"


WHYS: tuple[Why, ...] = (
    Why(
        "second-key",
        ("second workspace's API key",),
        "needs a second API key",
        "need a second API key",
    ),
    Why("not-selected", ("not selected",), "was not selected", "were not selected"),
    Why("turned-off", ("turned off",), "was turned off", "were turned off"),
    Why("no-events", ("needs events: ",), "got no calendar event", "got no calendar events"),
    Why("no-budget", ("no budget",), "had no rate-limit budget", "had no rate-limit budget"),
    Why("errored", (" errored: ",), "was cut short by an error", "were cut short by an error"),
    Why(
        "no-check",
        ("no check of this version",),
        "has no check in this version",
        "have no check in this version",
    ),
    Why("not-reached", ("stopped before",), "was not reached", "were not reached"),
    Why("skipped", (" skipped: ",), "was skipped", "were skipped"),
)
OTHER = Why("other", (), "for another reason", "for other reasons")


def why_not(item: Coverage) -> Why | None:
    """The kind of reason `item` was not exercised, or None when it was."""
    if item.reason is None:
        return None
    for why in WHYS:
        if any(fragment in item.reason for fragment in why.fragments):
            return why
    return OTHER


def exercised_count(result: RunResult) -> int:
    return sum(1 for item in result.coverage if item.exercised)


def coverage_summary(result: RunResult) -> str | None:
    """The summary phrase, or None when the run measured no coverage (a client run, a run that
    did not finish, a result from before coverage was measured)."""
    counts = coverage_counts(result)
    if counts is None:
        return None
    missed = not_exercised(result)
    if not missed:
        return f"coverage: {counts}"
    return f"coverage: {counts}; not exercised: " + ", ".join(why.phrase(n) for why, n in missed)


def coverage_counts(result: RunResult) -> str | None:
    """ "34 of 40 behaviours exercised (85%)", or None when no coverage was measured."""
    if not result.coverage:
        return None
    total, done = len(result.coverage), exercised_count(result)
    noun = "behaviour" if total == 1 else "behaviours"
    return f"{done} of {total} {noun} exercised ({result.coverage_percent:g}%)"


def not_exercised(result: RunResult) -> list[tuple[Why, int]]:
    """How many behaviours went unexercised for each kind of reason, most first."""
    counted: dict[Why, int] = {}
    for item in result.coverage:
        why = why_not(item)
        if why is not None:
            counted[why] = counted.get(why, 0) + 1
    order = {why.key: index for index, why in enumerate((*WHYS, OTHER))}
    return sorted(counted.items(), key=lambda pair: (-pair[1], order[pair[0].key]))


def minimum_note(result: RunResult) -> str:
    """Whether the coverage counts towards the verdict, in one sentence."""
    if result.min_coverage is None:
        return "A fact about the run, not part of the verdict (no minimum was asked)."
    shortfall = result.coverage_shortfall()
    if shortfall:
        return f"{capfirst(shortfall)}: the run is non-conformant."
    return f"At least {result.min_coverage:g}% was asked, and met."


@dataclass(frozen=True, slots=True)
class CoverageGroup:
    """The behaviours of one rule, in catalogue order."""

    rule: str
    text: str
    items: list[Coverage]

    @property
    def exercised(self) -> int:
        return sum(1 for item in self.items if item.exercised)


def by_rule(items: list[Coverage]) -> list[CoverageGroup]:
    """`items` grouped by the rule they put to the test, in the order rules first appear."""
    groups: dict[str, list[Coverage]] = {}
    for item in items:
        groups.setdefault(item.rule, []).append(item)
    return [
        CoverageGroup(rule, RULES_BY_ID[rule].text if rule in RULES_BY_ID else "", members)
        for rule, members in groups.items()
    ]


def by_edge(result: RunResult) -> list[tuple[str, int, int]]:
    """(edge kind, exercised, total) for each kind of situation, in the order they appear."""
    counts: dict[str, list[int]] = {}
    for item in result.coverage:
        done_total = counts.setdefault(item.edge or "typical", [0, 0])
        done_total[0] += item.exercised
        done_total[1] += 1
    return [(edge, done, total) for edge, (done, total) in counts.items()]


def parse_min_coverage(text: str) -> float:
    """`--min-coverage` as a number of percent: "90", "90%", "87.5" (0 to 100), else
    `ValueError` with a one-line reason."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a percentage (e.g. 90 or 90%)") from None
    if not 0 <= value <= 100:  # also refuses nan
        raise ValueError(f"{text!r} is not between 0 and 100")
    return value


__all__ = [
    "OTHER",
    "WHYS",
    "CoverageGroup",
    "Why",
    "by_edge",
    "by_rule",
    "coverage_counts",
    "coverage_summary",
    "exercised_count",
    "minimum_note",
    "not_exercised",
    "parse_min_coverage",
    "why_not",
]
