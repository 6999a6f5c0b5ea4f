"""Keeping xdist workers' checks out of the rate-limit burst, with file locks."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


if sys.platform != "win32":
    import fcntl

    def _lock(handle: Any, exclusive: bool) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

else:  # pragma: no cover - no flock on Windows: xdist workers are not kept apart there

    def _lock(handle: Any, exclusive: bool) -> None:
        """No file locks here."""

    def _unlock(handle: Any) -> None:
        """No file locks here."""


class Coordination:
    """Keeps xdist workers' calbot checks out of the rate-limit burst.

    Every calbot item holds a shared lock on a file in a directory the controller made; the
    burst holds it exclusively, so it runs alone. Each worker notes when it last finished a
    check, and the burst first waits (at most --calbot-max-wait) until those requests have
    left the budget's window.
    """

    def __init__(self, directory: Path, worker: str, workers: int) -> None:
        self.directory = directory
        self.worker = worker
        self.workers = workers

    @contextlib.contextmanager
    def turn(self, *, burst: bool) -> Iterator[None]:
        """Hold the lock for one item (exclusively for the burst)."""
        with (self.directory / "burst.lock").open("a+b") as handle:
            _lock(handle, exclusive=burst)
            try:
                yield
            finally:
                if not burst:
                    (self.directory / f"activity-{self.worker}").write_text(str(time.time()))
                _unlock(handle)

    def quiet_in(self, period: float) -> float:
        """Seconds until the workers' last checks are `period` seconds old."""
        latest = 0.0
        for path in self.directory.glob("activity-*"):
            with contextlib.suppress(OSError, ValueError):
                latest = max(latest, float(path.read_text()))
        return max(0.0, latest + period - time.time()) if latest else 0.0
