"""One exchange's clock: what the proxy is waiting for, and until when.

An exchange runs under one `asyncio.Timeout`, moved as it goes:

- `BODY` / `UPLOAD`: the client's body has `--request-timeout` seconds from its headers (the
  server's rule). While the proxy waits for the client it is `BODY` (a 408: the client's
  fault); while it waits for the upstream to take what came, `UPLOAD` (a 504: the upstream's).
- `ANSWER`: once the body is sent, the upstream has `--timeout` seconds for its status and
  headers (a 504), however it spreads its bytes: a deadline, not a timeout per read.
- `ANSWER_BODY` / `DELIVER`: after its headers, the rest of the answer has `--timeout` seconds
  more; `DELIVER` while the proxy waits for the client to take what it relays.
- `STOP`: on SIGTERM every exchange in progress gets `--shutdown-grace` seconds at most.

A body may be larger than the server's (the proxy streams bodies of any size), so the two body
deadlines grow with what arrives: one second more per `MIN_RATE` bytes (as Apache's
`RequestReadTimeout body=...,MinRate=...`). A 100 MB body that keeps coming gets through; a
trickle does not. `cause` says which of them expired.
"""

from __future__ import annotations

import asyncio
import enum

MIN_RATE = 100_000
"""Bytes per second a body past its deadline must average to keep going (see the docstring)."""


class Phase(enum.Enum):
    BODY = "the client's body"
    UPLOAD = "the upstream taking the body"
    ANSWER = "the upstream's answer"
    ANSWER_BODY = "the rest of the upstream's answer"
    DELIVER = "the client taking the answer"
    STOP = "the proxy stopping"


class Deadline:
    """The clock of one exchange; `start(timer)` inside `async with asyncio.timeout(None)`."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.Timeout | None = None
        self._phase = Phase.BODY
        self._due: float | None = None
        self._stop_at: float | None = None
        self.grace = 0.0

    def start(self, timer: asyncio.Timeout, phase: Phase, seconds: float) -> None:
        """Take charge of `timer`: wait for `phase`, `seconds` from now."""
        self._timer = timer
        self.until(phase, seconds)

    def until(self, phase: Phase, seconds: float) -> None:
        """Wait for `phase`, `seconds` from now (never past a stop's grace)."""
        self._phase = phase
        self._due = self._loop.time() + seconds
        self._arm()

    def grow(self, size: int) -> None:
        """`size` bytes of a body arrived: one second more per MIN_RATE of them."""
        if self._due is not None and size:
            self._due += size / MIN_RATE
            self._arm()

    def waiting_for(self, phase: Phase) -> None:
        """Name what is awaited now, on the same due time (`BODY` and `UPLOAD`, ...)."""
        self._phase = phase

    def stop(self, grace: float) -> None:
        """A stop: whatever is in progress has `grace` seconds more at most."""
        if self._stop_at is None:
            self.grace = grace
            self._stop_at = self._loop.time() + grace
            self._arm()

    @property
    def cause(self) -> Phase:
        """What was awaited when the timer expired (`STOP` when the stop's grace ran out)."""
        stopped = self._stop_at is not None and (self._due is None or self._stop_at <= self._due)
        return Phase.STOP if stopped else self._phase

    @property
    def expired(self) -> bool:
        return self._timer is not None and self._timer.expired()

    def _arm(self) -> None:
        if self._timer is None or self._timer.expired():
            return
        when = self._due
        if self._stop_at is not None and (when is None or self._stop_at < when):
            when = self._stop_at
        self._timer.reschedule(when)
