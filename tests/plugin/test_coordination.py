"""xdist workers sharing one target: the burst's turn, and the files the workers share."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from calbot.pytest.coordination import Coordination, status_path, status_paths

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no file locks on Windows")


def test_each_worker_reads_the_others_sends_not_its_own(tmp_path: Path) -> None:
    gw0, gw1, gw2 = (Coordination(tmp_path, f"gw{n}", 3) for n in range(3))
    gw0.publish_sends([1.5, 2.5])
    gw1.publish_sends([3.0])
    gw2.publish_sends([])
    assert sorted(gw2.others_sends()) == [1.5, 2.5, 3.0]
    assert gw0.others_sends() == [3.0]
    gw1.publish_sends([4.0])  # replaced, not added to
    assert gw0.others_sends() == [4.0]
    (tmp_path / "sends-gw9.json").write_text("[1, ")  # half written: counts as nothing
    assert gw0.others_sends() == [4.0]


def test_status_files_are_found_by_worker(tmp_path: Path) -> None:
    for worker in ("gw1", "gw0"):
        status_path(tmp_path, worker).write_text("{}")
    assert [worker for worker, _ in status_paths(tmp_path)] == ["gw0", "gw1"]
    assert Coordination(tmp_path, "gw1", 2).status_path == status_path(tmp_path, "gw1")


def test_the_burst_waits_for_the_checks_still_running_on_other_workers(tmp_path: Path) -> None:
    """A worker with calbot checks queued goes from one to the next with its lock let go for a
    moment only: the burst does not slip in between them, it runs after the last."""
    events: list[str] = []
    checks_left = 6
    other = Coordination(tmp_path, "gw1", 2)
    started = threading.Event()

    def other_worker() -> None:
        for number in range(checks_left):
            with other.turn(burst=False):
                started.set()
                time.sleep(0.1)  # a check
                events.append(f"check {number}")

    thread = threading.Thread(target=other_worker)
    thread.start()
    started.wait(5)
    with Coordination(tmp_path, "gw0", 2).turn(burst=True):
        events.append("burst")
    thread.join()
    assert events == [*(f"check {n}" for n in range(checks_left)), "burst"]


def test_no_check_runs_while_the_burst_does(tmp_path: Path) -> None:
    events: list[str] = []
    burst_has_turn = threading.Event()

    def check() -> None:
        burst_has_turn.wait(5)
        with Coordination(tmp_path, "gw1", 2).turn(burst=False):
            events.append("check")

    thread = threading.Thread(target=check)
    with Coordination(tmp_path, "gw0", 2).turn(burst=True):
        thread.start()
        burst_has_turn.set()
        time.sleep(0.2)  # the check tries to start meanwhile
        events.append("burst done")
    thread.join()
    assert events == ["burst done", "check"]
