"""The mutants of `races.py` break only what they stand for: each passes every contract but its
own. A race mutant that broke a serial check too would prove nothing about parallel calls."""

from __future__ import annotations

import pytest

from calbot.contracts.engine.runner import CONTRACT_ORDER
from calbot.contracts.results import Status

from .catalogue import MUTANTS
from .races import RACES, Built, RacyApp
from .test_mutants import describe, run_against

CONTRACT_OF_RULE = {
    "concurrency.serializable": "concurrency",
    "workspaces.isolated": "workspaces",
    "rate-limit.throttle": "rate_limit",
    "rate-limit.budget": "rate_limit",
}
RACY = [m for m in RACES if isinstance(m, Built) and isinstance(m.app(), RacyApp)]
OTHERS = [m for m in RACES if m not in RACY]


def test_every_mutant_here_is_in_the_catalogue_and_the_races_race() -> None:
    assert all(any(m is race for m in MUTANTS) for race in RACES)
    assert len(RACY) == 3


def _passes_the_other_contracts(mutant: Built) -> None:
    own = CONTRACT_OF_RULE[mutant.rule]
    others = [name for name in CONTRACT_ORDER if name != own]
    result = run_against(mutant, app=mutant.app(), state_url="/_calbot/states", contracts=others)
    assert result.exit_code == 0, describe(result)
    bad = [c for c in result.checks if c.status in (Status.FAILED, Status.WARNING, Status.ERROR)]
    assert not bad, describe(result)


@pytest.mark.parametrize("mutant", RACY, ids=[m.name for m in RACY])
def test_a_race_mutant_is_right_one_call_at_a_time(mutant: Built) -> None:
    _passes_the_other_contracts(mutant)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", OTHERS, ids=[m.name for m in OTHERS])
def test_a_workspace_or_budget_mutant_breaks_only_its_contract(mutant: Built) -> None:
    _passes_the_other_contracts(mutant)
