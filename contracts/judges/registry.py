"""The one judging function of each rule both sides judge: `@judges(rule)` registers it.

calbot judges a server twice: actively (`contracts/checks`, requests it sends) and passively
(`contracts/traffic`, answers `calbot proxy` recorded). Where both judge one rule, both call
the function registered here for it, so the two verdicts cannot drift apart; a second
function for the same rule is refused at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from calbot.contracts.rules import RULES_BY_ID

Judge = TypeVar("Judge", bound=Callable[..., Any])

JUDGES: dict[str, Callable[..., Any]] = {}
"""Rule id -> the one function that judges it (for the active checks and the passive verdict)."""


def judges(rule: str) -> Callable[[Judge], Judge]:
    """Register the decorated function as the one judge of `rule` (a rule id of
    `calbot.contracts.rules`); a rule with a judge already is refused."""
    if rule not in RULES_BY_ID:
        raise ValueError(f"unknown rule {rule!r}")

    def register(function: Judge) -> Judge:
        if rule in JUDGES:
            raise ValueError(
                f"rule {rule!r} already has a judge ({JUDGES[rule].__qualname__}); "
                f"one judge per rule, not {function.__qualname__} too"
            )
        JUDGES[rule] = function
        return function

    return register
