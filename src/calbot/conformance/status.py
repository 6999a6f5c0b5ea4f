"""What a run is doing, as one line: the live line and the heartbeat of `calbot run` and of the
pytest plugin read it here, so both say the same thing the same way.

    rate_limit::throttles-past-budget · 612 requests · 20 s · waiting 41 s for Retry-After

Pure functions of the run's `Activity` (requests sent, the wait in progress); a front end
decides where and how often to write the line.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from calbot.contracts.engine.activity import Activity
from calbot.contracts.masking import mask
from calbot.spec.text import one_line

HEARTBEAT = 5.0
"""Seconds between two heartbeat lines (no terminal: a CI log), and how long a check runs
before the first one."""
LIVE_TICK = 0.25
"""Seconds between two rewrites of the live line (on a terminal)."""
LIVE_AFTER = 1.0
"""A live line appears once a check has run this long (no flicker for quick checks)."""
STATUS_LINE = 200
"""The longest status line, in characters (a terminal cuts it to its width)."""


def status_text(activity: Activity) -> str | None:
    """What the run is doing, e.g. "rate_limit::throttle · 12 requests · 20 s · waiting 41 s
    for Retry-After"; None between checks."""
    check = activity.check
    if check is None:
        return None
    elapsed = activity.clock() - activity.check_started
    requests = activity.check_requests
    text = f"{check} · {requests} request{'' if requests == 1 else 's'} · {elapsed:.0f} s"
    left = activity.wait_left()
    if left is not None:
        why = f" for {activity.waiting_for}" if activity.waiting_for else ""
        text += f" · waiting {left:.0f} s{why}"
    return text


def running_for(activity: Activity) -> float | None:
    """Seconds the current check has been running; None between checks."""
    if activity.check is None:
        return None
    return max(0.0, activity.clock() - activity.check_started)


def status_line(activity: Activity, secrets: Sequence[str], limit: int = STATUS_LINE) -> str | None:
    """`status_text` with the keys masked, on one line of at most `limit` characters."""
    text = status_text(activity)
    return None if text is None else one_line(mask(text, secrets), limit)


class Ticker:
    """A daemon thread that calls `tick()` every `every()` seconds while the `with` block runs:
    the base of every progress display (the CLI's line, the plugin's line, an xdist worker's
    status file). `started()` runs before the thread starts, `stopped()` after it has ended."""

    def __init__(self, name: str) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def every(self) -> float:
        """Seconds between two ticks."""
        raise NotImplementedError

    def tick(self) -> None:
        """One look at the run (in the thread)."""
        raise NotImplementedError

    def started(self) -> None:
        """Before the thread starts."""

    def stopped(self) -> None:
        """After the thread has ended (or been given up on)."""

    def _run(self) -> None:
        every = self.every()
        while not self._done.wait(every):
            self.tick()

    def __enter__(self) -> Self:
        self.started()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)
        self.stopped()
