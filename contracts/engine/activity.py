"""What a run is doing right now (for a progress display), and a way to stop it at once.

The target reports every request and every wait here; a progress display reads it from
another thread. `stop()` (a Ctrl-C handler calls it) makes the next request, and any wait in
progress, raise `KeyboardInterrupt`, so a run stops even when the first interrupt was swallowed
somewhere (a library's gc callback, a broad `except`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Activity:
    """The current check, requests sent, and the wait in progress (monotonic seconds)."""

    check: str | None = None
    check_started: float = 0.0
    requests: int = 0
    check_requests: int = 0
    waiting_until: float | None = None
    waiting_for: str = ""
    clock: Callable[[], float] = time.monotonic
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start_check(self, check_id: str) -> None:
        self.check, self.check_started, self.check_requests = check_id, self.clock(), 0

    def end_check(self) -> None:
        self.check, self.waiting_until = None, None

    def sent(self) -> None:
        """One more request is about to go out (raises KeyboardInterrupt once stopped)."""
        self.raise_if_stopped()
        with self._lock:  # a check may send from several threads at once
            self.requests += 1
            self.check_requests += 1

    @contextmanager
    def waiting(self, seconds: float, why: str) -> Iterator[None]:
        """Mark a wait of `seconds` for `why` (e.g. "Retry-After") while the block runs."""
        self.waiting_until, self.waiting_for = self.clock() + max(seconds, 0.0), why
        try:
            yield
        finally:
            self.waiting_until, self.waiting_for = None, ""

    def wait_left(self) -> float | None:
        """Seconds left of the wait in progress; None when not waiting."""
        until = self.waiting_until
        return None if until is None else max(0.0, until - self.clock())

    def pause(self, seconds: float, why: str = "") -> None:
        """Sleep `seconds`, woken at once (KeyboardInterrupt) when the run is stopped.

        Inside `waiting(...)` the wait keeps the reason given there."""
        if self.waiting_until is None:
            with self.waiting(seconds, why):
                self._stopped.wait(max(seconds, 0.0))
        else:
            self._stopped.wait(max(seconds, 0.0))
        self.raise_if_stopped()

    def stop(self) -> None:
        """Ask the run to stop: the next request or wait raises KeyboardInterrupt."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def raise_if_stopped(self) -> None:
        if self._stopped.is_set():
            raise KeyboardInterrupt
