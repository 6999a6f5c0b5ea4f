"""Stay under a target's budget: a client-side sliding window per operation."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable

from calbot.spec.throttles import RateLimit

# Send a little slower than the budget: the server's clock and ours see a request at
# slightly different moments.
SAFETY = 1.05
SLACK_SECONDS = 0.05
EPSILON = 1e-9


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

    def before_send(self, operation: Hashable) -> float | None:
        """Wait, if needed, until one more request to `operation` fits in its budget.

        Returns the moment the request is counted at (None for an operation without a budget);
        hand it to `answered` when the answer comes back. Safe from several threads: a wait
        happens outside the lock, and the slot is taken only once it is free.
        """
        budget = self.budgets.get(operation)
        if budget is None:
            return None
        window = _window(budget)
        while True:
            with self._lock:
                sent = self._sent.setdefault(operation, deque())
                now = self.clock()
                _prune(sent, now, window)
                if len(sent) < budget.limit:
                    sent.append(now)
                    return now
                wait = sent[0] + window - now
                self.waited += wait
            self.sleep(wait)

    def until_room(self, operation: Hashable, count: int) -> float:
        """Seconds until `count` more requests to `operation` fit in its budget at once (0 when
        they fit now): parallel requests are released together only when none has to wait."""
        budget = self.budgets.get(operation)
        if budget is None or count <= 0:
            return 0.0
        window = _window(budget)
        with self._lock:
            sent = self._sent.get(operation, deque())
            now = self.clock()
            live = sorted(moment for moment in sent if moment > now - window + EPSILON)
            over = len(live) + min(count, budget.limit) - budget.limit
            return 0.0 if over <= 0 else max(0.0, live[over - 1] + window - now)

    def answered(self, operation: Hashable, moment: float) -> None:
        """The request counted at `moment` was answered now: count it from now on.

        The server counted it somewhere between the send and the answer; counting from the
        answer keeps calbot's window from ending before the server's does, however late the
        server took the request in.
        """
        with self._lock:
            sent = self._sent.get(operation)
            if not sent:
                return
            for index in range(len(sent) - 1, -1, -1):
                if sent[index] == moment:
                    sent[index] = max(moment, self.clock())
                    if index + 1 < len(sent) and sent[index] > sent[index + 1]:
                        # answered out of order (parallel requests): keep the oldest first
                        self._sent[operation] = deque(sorted(sent))
                    return

    def until_clear(self, operation: Hashable) -> float:
        """Seconds until none of our requests to `operation` is inside its budget's window."""
        budget, sent = self.budgets.get(operation), self._sent.get(operation)
        if budget is None or not sent:
            return 0.0
        return max(0.0, sent[-1] + _window(budget) - self.clock())

    def recent(self, operation: Hashable, period: float) -> int:
        """How many requests to `operation` were sent in the last `period` seconds."""
        now = self.clock()
        return sum(1 for moment in self._sent.get(operation, ()) if moment > now - period)

    def sent(self, operation: Hashable) -> list[float]:
        """The moments (this pacer's clock) of the requests to `operation` still inside its
        budget's window, oldest first."""
        budget = self.budgets.get(operation)
        with self._lock:
            sent = self._sent.get(operation)
            if budget is None or not sent:
                return []
            _prune(sent, self.clock(), _window(budget))
            return list(sent)

    def heard(self, operation: Hashable, moments: Iterable[float]) -> None:
        """Requests another client sent to `operation` (answered at `moments`, this pacer's
        clock) count as if this pacer had let them through: in the waits before a send, in
        `until_clear` and in `recent`."""
        with self._lock:
            merged = sorted([*self._sent.get(operation, ()), *moments])
            self._sent[operation] = deque(merged)

    def forget(self, operation: Hashable) -> None:
        with self._lock:
            self._sent.pop(operation, None)


def _window(budget: RateLimit) -> float:
    return budget.period * SAFETY + SLACK_SECONDS


def _prune(sent: deque[float], now: float, window: float) -> None:
    """Drop the moments that have left the window (a wait that ends exactly at the edge, give
    or take rounding, has let the oldest out)."""
    while sent and sent[0] <= now - window + EPSILON:
        sent.popleft()
