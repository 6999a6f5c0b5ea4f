"""xdist workers sharing one target: file locks keep the rate-limit burst alone, and small files
in a directory the controller made carry what each worker sent and what it is doing."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if sys.platform != "win32":
    import fcntl

    def _lock(handle: Any, exclusive: bool) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _free(handle: Any) -> bool:
        """Whether no one holds the lock now (taken and let go at once)."""
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True

else:  # pragma: no cover - no flock on Windows: xdist workers are not kept apart there

    def _lock(handle: Any, exclusive: bool) -> None:
        """No file locks here."""

    def _unlock(handle: Any) -> None:
        """No file locks here."""

    def _free(handle: Any) -> bool:
        return True


IDLE = 0.5
"""Seconds no other worker may run a calbot check before the burst takes its turn."""
IDLE_POLL = 0.05
SENDS = "sends-{worker}.json"
STATUS = "status-{worker}.json"


class Coordination:
    """Keeps xdist workers' calbot checks out of the rate-limit burst.

    Every calbot item holds a shared lock on a file in a directory the controller made; the
    burst holds it exclusively, so it runs alone. It takes its turn once no other worker has
    run a calbot check for a moment (`IDLE`): checks still queued on other workers run before
    it, not after it in its throttled window. Before it lets go of the lock, each worker
    writes when its requests to the burst's operation that are still inside the budget's
    window were answered; the burst counts them as its own (it waits for them to leave the
    window, or counts them against the budget, as `calbot run` does with its own).
    """

    def __init__(self, directory: Path, worker: str, workers: int) -> None:
        self.directory = directory
        self.worker = worker
        self.workers = workers

    @contextlib.contextmanager
    def turn(self, *, burst: bool) -> Iterator[None]:
        """Hold the lock for one item (exclusively for the burst)."""
        with (self.directory / "burst.lock").open("a+b") as handle:
            if burst:
                _wait_idle(handle)
            _lock(handle, exclusive=burst)
            try:
                yield
            finally:
                _unlock(handle)

    def publish_sends(self, sends: list[float]) -> None:
        """This worker's requests to the burst's operation still in the window (epoch
        seconds); call it while holding the turn."""
        write_atomically(self.directory / SENDS.format(worker=self.worker), json.dumps(sends))

    def others_sends(self) -> list[float]:
        """What the other workers published (a file that cannot be read counts as nothing)."""
        found: list[float] = []
        for path in self.directory.glob(SENDS.format(worker="*")):
            if path.name == SENDS.format(worker=self.worker):
                continue
            with contextlib.suppress(OSError, ValueError, TypeError):
                found.extend(float(moment) for moment in json.loads(path.read_text()))
        return found

    @property
    def status_path(self) -> Path:
        """Where this worker says what its run is doing (the controller shows it)."""
        return status_path(self.directory, self.worker)


def _wait_idle(handle: Any) -> None:
    """Return once no one has held the lock for `IDLE` seconds: the other workers are done
    with the calbot checks they had (between two checks a worker lets go for a few
    milliseconds only)."""
    idle_since: float | None = None
    while True:
        now = time.monotonic()
        if not _free(handle):
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= IDLE:
            return
        time.sleep(IDLE_POLL)


def status_path(directory: Path, worker: str) -> Path:
    return directory / STATUS.format(worker=worker)


def status_paths(directory: Path) -> list[tuple[str, Path]]:
    """Every worker's status file, by worker id, in worker order."""
    prefix, _, suffix = STATUS.partition("{worker}")
    return sorted(
        (path.name.removeprefix(prefix).removesuffix(suffix), path)
        for path in directory.glob(STATUS.format(worker="*"))
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: a reader sees the old content or the new, never half."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
