"""A sliding-window rate limiter with injected time: exactly `limit` admissions per `period`.

Like Django REST Framework's throttles: every admitted request counts (whatever its answer
turns out to be), a refused one does not, and the wait is until the oldest admission leaves
the window, given in whole seconds (at least 1).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable

from calbot.spec.throttles import RateLimit


class SlidingWindow:
    """Per-key request history; `admit` says whether a request may go on."""

    def __init__(self, budget: RateLimit) -> None:
        self.budget = budget
        self._history: dict[Hashable, deque[float]] = {}

    def admit(self, key: Hashable, now: float) -> int | None:
        """None if admitted (and counted); otherwise the Retry-After in whole seconds (>= 1)."""
        history = self._history.setdefault(key, deque())
        horizon = now - self.budget.period
        while history and history[0] <= horizon:
            history.popleft()
        if len(history) < self.budget.limit:
            history.append(now)
            return None
        wait = history[0] + self.budget.period - now
        return max(1, math.ceil(wait))

    def reset(self) -> None:
        self._history.clear()

    def forget(self, key: Hashable) -> None:
        """Drop one key's history (its budget is whole again)."""
        self._history.pop(key, None)
