"""Stay under a target's budget: a client-side sliding window per operation."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from calbot.spec.throttles import RateLimit

# Send a little slower than the budget: the server's clock and ours see a request at
# slightly different moments.
SAFETY = 1.05
SLACK_SECONDS = 0.05


class Pacer:
    """Blocks before a send that would go past the operation's budget."""

    def __init__(
        self,
        budgets: dict[Hashable, RateLimit],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budgets = budgets
        self.clock = clock
        self.sleep = sleep
        self._sent: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self.waited = 0.0

    def before_send(self, operation: Hashable) -> None:
        """Wait, if needed, until one more request to `operation` fits in its budget."""
        budget = self.budgets.get(operation)
        if budget is None:
            return
        with self._lock:
            sent = self._sent.setdefault(operation, deque())
            window = budget.period * SAFETY + SLACK_SECONDS
            now = self.clock()
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= budget.limit:
                wait = sent[0] + window - now
                self.waited += wait
                self.sleep(wait)
                sent.popleft()
            sent.append(self.clock())

    def until_clear(self, operation: Hashable) -> float:
        """Seconds until none of our requests to `operation` is inside its budget's window."""
        budget, sent = self.budgets.get(operation), self._sent.get(operation)
        if budget is None or not sent:
            return 0.0
        window = budget.period * SAFETY + SLACK_SECONDS
        return max(0.0, sent[-1] + window - self.clock())

    def recent(self, operation: Hashable, period: float) -> int:
        """How many requests to `operation` were sent in the last `period` seconds."""
        now = self.clock()
        return sum(1 for moment in self._sent.get(operation, ()) if moment > now - period)

    def forget(self, operation: Hashable) -> None:
        self._sent.pop(operation, None)
