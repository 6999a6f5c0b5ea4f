"""How strictly the client rules read a ledger: `ClientRuleOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from calbot.contracts.rules import CLIENT_RULES_BY_ID, DEFAULT_TIGHT_LOOP
from calbot.spec.throttles import RateLimit


@dataclass(frozen=True, slots=True)
class ClientRuleOptions:
    """How strictly to read the ledger: the tight-loop threshold and rules to leave out."""

    tight_loop: RateLimit = DEFAULT_TIGHT_LOOP
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.ignore) - set(CLIENT_RULES_BY_ID))
        if unknown:
            known = ", ".join(CLIENT_RULES_BY_ID)
            raise ValueError(f"unknown client rule {', '.join(unknown)}; known: {known}")
