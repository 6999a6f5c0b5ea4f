"""How strictly the client rules read a ledger (`calbot.contracts.clients.options`)."""

from __future__ import annotations

import pytest

from calbot.contracts.clients.options import DEFAULT_TIGHT_LOOP, ClientRuleOptions
from calbot.spec.throttles import RateLimit


def test_the_defaults() -> None:
    options = ClientRuleOptions()
    assert options.tight_loop == DEFAULT_TIGHT_LOOP == RateLimit(5, 1.0)
    assert options.ignore == frozenset()


def test_an_unknown_rule_to_ignore_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown client rule client\.nope"):
        ClientRuleOptions(ignore=frozenset({"client.nope"}))
