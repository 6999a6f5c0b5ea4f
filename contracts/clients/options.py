"""How strictly the client rules read a ledger: `ClientRuleOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from calbot.contracts.rules import CLIENT_RULES_BY_ID
from calbot.spec.throttles import RateLimit

DEFAULT_TIGHT_LOOP = RateLimit(5, 1.0)
"""More than 5 requests within 1 s to the same call after a 429 or 5xx is a tight loop."""


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
