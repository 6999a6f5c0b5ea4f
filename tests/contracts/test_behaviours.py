"""The behaviour catalogue: every behaviour is exercised by some check, citing its rule."""

from __future__ import annotations

from calbot.contracts.behaviours import BEHAVIOURS, BEHAVIOURS_BY_ID
from calbot.contracts.engine.runner import all_checks


def _declared() -> set[str]:
    return {behaviour for spec in all_checks() for behaviour in spec.covers}


def test_every_behaviour_is_declared_by_a_check() -> None:
    undeclared = {behaviour.id for behaviour in BEHAVIOURS} - _declared()
    assert not undeclared, sorted(undeclared)


def test_the_edges_of_time_length_and_shape_are_declared() -> None:
    edges = {
        "ended.moment-ago",
        "ended.in-progress",
        "schedule.starting-soon",
        "deleted.no-bot",
        "schema.key-non-ascii-at-limit",
        "schema.key-and-config-shapes",
    }
    assert edges <= _declared()


def test_a_check_covering_one_behaviour_cites_its_rule() -> None:
    """A check that declares a single behaviour cites that behaviour's rule."""
    for spec in all_checks():
        if len(spec.covers) == 1:
            assert BEHAVIOURS_BY_ID[spec.covers[0]].rule == spec.rule, spec.id
