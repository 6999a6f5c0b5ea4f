"""The behaviours of parallel calls, workspaces and the budget's scope are each declared by a
check, and the built-in server's run (two workspaces' keys) exercises every one of them."""

from __future__ import annotations

from calbot.conformance import Conformance, run_conformance
from calbot.contracts.behaviours import BEHAVIOURS, Edge
from calbot.contracts.engine.runner import all_checks

AREAS = ("concurrency.", "workspaces.", "rate-limit.")
MINE = [b.id for b in BEHAVIOURS if b.id.startswith(AREAS)]


def test_each_behaviour_is_declared_by_a_check() -> None:
    declared = {behaviour for spec in all_checks() for behaviour in spec.covers}
    assert set(MINE) <= declared, sorted(set(MINE) - declared)
    edges = {b.edge for b in BEHAVIOURS if b.id in MINE}
    assert {Edge.CONCURRENCY, Edge.WORKSPACES, Edge.SCOPE} <= edges


def test_the_built_in_run_exercises_each_of_them() -> None:
    result = run_conformance(Conformance(contracts=["concurrency", "workspaces", "rate_limit"]))
    assert result.exit_code == 0
    missed = {c.behaviour: c.reason for c in result.coverage if c.behaviour in MINE and c.reason}
    assert not missed
