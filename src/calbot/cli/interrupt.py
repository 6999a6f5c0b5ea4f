"""Ctrl-C during `calbot run`: stop at once, even when the first interrupt gets swallowed.

The handler marks the run's `Activity` stopped before raising `KeyboardInterrupt`, so if a
library swallows that exception (Hypothesis' gc callback once did), the next request or wait
raises it again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from calbot.conformance import Activity


@contextmanager
def stop_on_interrupt(activity: Activity) -> Iterator[None]:
    """While the block runs, SIGINT stops `activity` and raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(_signum: int, _frame: FrameType | None) -> None:
        activity.stop()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
