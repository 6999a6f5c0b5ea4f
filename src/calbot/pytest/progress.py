"""Signs of life while calbot's checks run inside pytest: the status line `calbot run` shows
(`calbot.conformance.status`), through pytest's terminal reporter.

On a terminal it is a live line, rewritten a few times a second, below pytest's own line and
cleared before pytest writes; in a CI log it is a heartbeat line every few seconds
(`--calbot-heartbeat`), once a check has run that long.

In one process a thread reads the run's `Activity`. Under pytest-xdist the workers' output is
never shown, so each worker's thread writes what its run is doing to a small file in the
session's coordination directory (`StatusFile`), and the controller's thread reads them
(`worker_statuses`) and writes the line, one worker's check after another, the longest-running
first.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest

from calbot.conformance import Activity
from calbot.conformance.status import LIVE_AFTER, LIVE_TICK, Ticker, running_for, status_line
from calbot.contracts.masking import mask
from calbot.pytest.coordination import status_paths, write_atomically

Status = tuple[str, Activity]
"""Who (an xdist worker's id; "" in one process) and what its run is doing."""
PUBLISH_TICK = 0.1
"""Seconds between two looks of a worker's thread at its run (it writes what changed)."""
PUBLISH_AT_LEAST = 1.0
"""A worker writes its status this often even when nothing changed (it is alive)."""
STALE = 5.0
"""A status file older than this is a worker that stopped: not shown."""
MARK = "  … "


class Capturing(Protocol):
    """What the display needs of pytest's capture manager."""

    def global_and_fixture_disabled(self) -> contextlib.AbstractContextManager[None]: ...


class ProgressLine(Ticker):
    """The live line or the heartbeat, written through the terminal reporter by a thread.

    It writes only while open: the xdist controller's line is open for the whole run (it
    runs no test itself); in one process it opens while a check runs (`showing`), with pytest's
    output capture suspended, since the check runs inside the item's set-up. Registered as a
    plugin, it clears the live line (and keeps the thread from writing) while pytest reports.
    """

    def __init__(
        self,
        reporter: pytest.TerminalReporter,
        statuses: Callable[[], list[Status]],
        secrets: Sequence[str],
        *,
        live: bool,
        heartbeat: float,
        always_open: bool,
    ) -> None:
        self.reporter, self.statuses, self.secrets = reporter, statuses, tuple(secrets)
        self.live, self.heartbeat = live, heartbeat
        self._open = always_open
        super().__init__("calbot-progress")
        self._lock = threading.RLock()
        self._shown = False  # a live line is on screen, below pytest's line
        self._column = 0  # where pytest's line ended (the live line went below it)
        self._beat = -math.inf  # when the last heartbeat lines were written

    def stopped(self) -> None:
        with self._lock:
            self._clear()
            self._open = False

    @contextlib.contextmanager
    def showing(self, capture: Capturing | None) -> Iterator[None]:
        """(one process) Open while the block (a check) runs, pytest's capture suspended:
        what the reporter writes then reaches the terminal, not the item's captured output."""
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            with self._lock:
                self._open = True
            try:
                yield
            finally:
                with self._lock:
                    self._clear()
                    self._open = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No live line while the block writes (pytest's report of an item)."""
        with self._lock:
            self._clear()
            yield

    # --- pytest writes: the live line is cleared first ----------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logstart(self) -> Generator[None, None, None]:
        with self.held():
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self) -> Generator[None, None, None]:
        with self.held():
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logfinish(self) -> Generator[None, None, None]:
        with self.held():
            return (yield)

    @pytest.hookimpl(wrapper=True, optionalhook=True)
    def pytest_testnodedown(self) -> Generator[None, None, None]:
        with self.held():
            return (yield)

    # --- the thread ---------------------------------------------------------------------------

    def every(self) -> float:
        return min(LIVE_TICK, self.heartbeat) if self.live else min(1.0, self.heartbeat / 4)

    def tick(self) -> None:
        least = min(LIVE_AFTER, self.heartbeat) if self.live else self.heartbeat
        with self._lock:
            if self._open:
                self._write(self.lines(least))

    def lines(self, least: float) -> list[str]:
        """What each check running for at least `least` seconds is doing, masked, the
        longest-running first."""
        found: list[tuple[float, str]] = []
        for who, activity in self.statuses():
            running, text = running_for(activity), status_line(activity, self.secrets)
            if running is None or text is None or running < least:
                continue
            found.append((running, f"[{who}] {text}" if who else text))
        return [text for _, text in sorted(found, key=lambda pair: -pair[0])]

    def _write(self, lines: list[str]) -> None:
        if self.live:
            if lines:
                self._show(" | ".join(lines))
            else:
                self._clear()
            return
        now = time.monotonic()
        if not lines or now - self._beat < self.heartbeat:
            return
        self._beat = now
        reporter = self.reporter
        reporter.ensure_newline()
        if reporter._tw.width_of_current_line:  # xdist's dots: no file name, no newline yet
            reporter.write("\n")
        for line in lines:
            reporter.write_line(MARK + line)
        reporter.flush()

    def _show(self, text: str) -> None:
        """The live line, below the line pytest is writing (which stays as pytest left it)."""
        tw = self.reporter._tw
        width = max(20, tw.fullwidth - 1)
        below = ""
        if not self._shown:
            self._column = tw.width_of_current_line
            below = "\n" if self._column else ""
        # Raw: pytest's writer keeps counting the characters of its own line, not of ours.
        tw.write_raw(f"{below}\r\x1b[2K{(MARK + text)[:width]}", flush=True)
        self._shown = True

    def _clear(self) -> None:
        """Erase the live line and put the cursor back where pytest's line ended."""
        if not self._shown:
            return
        back = f"\x1b[1A\x1b[{self._column + 1}G" if self._column else ""
        self.reporter._tw.write_raw(f"\r\x1b[2K{back}", flush=True)
        self._shown = False


class StatusFile(Ticker):
    """(xdist worker) A thread writing what this worker's run is doing to `path`, for the
    controller's `ProgressLine`; masked, on the wall clock (the controller's is the same)."""

    def __init__(self, path: Path, activity: Activity, secrets: Sequence[str]) -> None:
        super().__init__("calbot-status")
        self.path, self.activity, self.secrets = path, activity, tuple(secrets)
        self._last: tuple[Any, ...] | None = None
        self._written = -math.inf

    def started(self) -> None:
        self.write()

    def stopped(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    def every(self) -> float:
        return PUBLISH_TICK

    def tick(self) -> None:
        with contextlib.suppress(OSError):  # the controller may have removed the folder
            self.write()

    def write(self) -> None:
        """Write the status when it changed, or every `PUBLISH_AT_LEAST` seconds."""
        data = snapshot(self.activity, self.secrets)
        key = (data["check"], data["requests"], data["waiting_until"], data["waiting_for"])
        now = time.monotonic()
        if key == self._last and now - self._written < PUBLISH_AT_LEAST:
            return
        write_atomically(self.path, json.dumps(data))
        self._last, self._written = key, now


def snapshot(activity: Activity, secrets: Sequence[str] = ()) -> dict[str, Any]:
    """What `activity` says now, as plain data on the wall clock (another process reads it)."""
    now, clock = time.time(), activity.clock()
    started, until = activity.check_started, activity.waiting_until
    return {
        "check": activity.check,
        "started": now - (clock - started),
        "requests": activity.check_requests,
        "waiting_until": None if until is None else now - (clock - until),
        "waiting_for": mask(activity.waiting_for, secrets),
        "written": now,
    }


def from_snapshot(data: dict[str, Any]) -> Activity:
    """The activity `snapshot` wrote, on the wall clock: its times go on as they would have."""
    until = data.get("waiting_until")
    check = data.get("check")
    return Activity(
        check=str(check) if check is not None else None,
        check_started=float(data["started"]),
        check_requests=int(data["requests"]),
        waiting_until=float(until) if until is not None else None,
        waiting_for=str(data.get("waiting_for") or ""),
        clock=time.time,
    )


def worker_statuses(directory: Path, *, stale: float = STALE) -> list[Status]:
    """(xdist controller) What each worker said its run is doing, from its status file; a
    file that is unreadable, or older than `stale` seconds (a worker that stopped), is left
    out."""
    found: list[Status] = []
    now = time.time()
    for worker, path in status_paths(directory):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if now - float(data["written"]) > stale:
                continue
            found.append((worker, from_snapshot(data)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def live_logging(config: pytest.Config) -> bool:
    """Whether pytest writes log records to the terminal as they come (`--log-cli-level`):
    a live line would be torn by them, so heartbeat lines are written instead."""
    try:
        return config.getoption("log_cli_level", None) is not None or bool(config.getini("log_cli"))
    except ValueError:  # the logging plugin is off
        return False
