"""When a burst owes a 429: only when some window of the budget's period held more requests."""

from __future__ import annotations

from calbot.contracts.checks.rate_limit import Burst
from calbot.spec.throttles import RateLimit


def burst(sent: int, elapsed: float, *, limit: int = 100, period: float = 1.0) -> Burst:
    return Burst(RateLimit(limit, period), True, limit + 1, sent, elapsed)


def test_a_fast_burst_outpaces_the_budget() -> None:
    assert burst(210, 0.5).outpaced
    assert burst(101, 1.0).outpaced


def test_a_server_slower_than_the_budget_owes_no_429() -> None:
    # 210 requests over 3 s: about 70 in any 1 s window, under the budget of 100
    assert not burst(210, 3.0).outpaced
    assert not burst(100, 0.2).outpaced  # never more than the budget at all
