"""The plugin's signs of life: the live line and the heartbeat `calbot run` shows, written through
pytest's terminal reporter, in one process and from xdist workers."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from calbot.conformance import Activity
from calbot.conformance.status import status_text
from calbot.pytest.coordination import status_path
from calbot.pytest.progress import (
    MARK,
    ProgressLine,
    Status,
    StatusFile,
    from_snapshot,
    snapshot,
    worker_statuses,
)
from calbot.server import ServerConfig, running
from calbot.spec.throttles import RateLimit

KEY = "calbot-progress-key-7a3e"
# The burst waits for a clean window, then for Retry-After: a check that runs for seconds.
BUDGET = RateLimit(100, 1.0)
SLOW_BUDGET = RateLimit(100, 2.0)


def busy(check: str, running: float, *, requests: int = 3, wait: float | None = None) -> Activity:
    """An activity whose check has been running for `running` seconds (on a frozen clock)."""
    activity = Activity(clock=lambda: 1000.0)
    activity.start_check(check)
    activity.check_started = 1000.0 - running
    activity.check_requests = requests
    if wait is not None:
        activity.waiting_until, activity.waiting_for = 1000.0 + wait, "Retry-After"
    return activity


@pytest.fixture
def reporter(pytestconfig: pytest.Config) -> tuple[pytest.TerminalReporter, io.StringIO]:
    """A real terminal reporter writing into a string (no terminal)."""
    out = io.StringIO()
    return pytest.TerminalReporter(pytestconfig, out), out


def until(condition: Callable[[], bool], deadline: float = 10.0) -> None:
    """Wait for the display's thread to have done something (not a timing assertion)."""
    end = time.monotonic() + deadline
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)


def display(
    reporter: pytest.TerminalReporter, statuses: list[Status], *, live: bool, heartbeat: float
) -> ProgressLine:
    return ProgressLine(
        reporter, lambda: statuses, (KEY,), live=live, heartbeat=heartbeat, always_open=True
    )


def test_lines_are_the_checks_running_long_enough_longest_first_masked(
    reporter: tuple[pytest.TerminalReporter, io.StringIO],
) -> None:
    statuses = [
        ("gw0", busy("dedup::same-key-same-bot", 0.5)),
        ("gw1", busy(f"rate_limit::throttles-past-budget {KEY}", 42, requests=612, wait=17)),
        ("gw2", Activity()),  # between checks
        ("gw3", busy("schema::responses-conform", 7)),
    ]
    line = display(reporter[0], statuses, live=False, heartbeat=5)
    assert line.lines(5) == [
        "[gw1] rate_limit::throttles-past-budget **** · 612 requests · 42 s · waiting 17 s "
        "for Retry-After",
        "[gw3] schema::responses-conform · 3 requests · 7 s",
    ]
    assert len(line.lines(0)) == 3
    alone = display(reporter[0], [("", busy("ended::nothing-changes", 6))], live=False, heartbeat=5)
    assert alone.lines(5) == ["ended::nothing-changes · 3 requests · 6 s"]


def test_the_heartbeat_is_a_line_of_its_own_in_a_log(
    reporter: tuple[pytest.TerminalReporter, io.StringIO],
) -> None:
    tr, out = reporter
    tr.write("calbot ....")  # pytest's progress line, unfinished
    check = f"rate_limit::throttles-past-budget {KEY}"
    with display(tr, [("", busy(check, 9, wait=30))], live=False, heartbeat=0.05):
        until(lambda: out.getvalue().count(MARK) >= 2)
    lines = out.getvalue().splitlines()
    assert lines[0] == "calbot ...."
    beats = [line for line in lines if line.startswith(MARK)]
    assert len(beats) >= 2, lines
    assert beats[0] == f"{MARK}rate_limit::throttles-past-budget **** · 3 requests · 9 s · " + (
        "waiting 30 s for Retry-After"
    )
    assert KEY not in out.getvalue()
    assert "\x1b" not in out.getvalue()  # no terminal codes in a log


def test_no_heartbeat_for_a_check_younger_than_the_heartbeat(
    reporter: tuple[pytest.TerminalReporter, io.StringIO],
) -> None:
    tr, out = reporter
    young = busy("dedup::same-key-same-bot", 0.2)
    seen: list[int] = []

    def statuses() -> list[Status]:
        seen.append(1)
        return [("", young)]

    line = ProgressLine(tr, statuses, (), live=False, heartbeat=0.4, always_open=True)
    with line:
        until(lambda: len(seen) >= 4)  # the thread looked a few times
    assert MARK not in out.getvalue()


def test_the_live_line_goes_below_pytests_line_and_is_cleared_back_to_it(
    reporter: tuple[pytest.TerminalReporter, io.StringIO],
) -> None:
    tr, out = reporter
    tr.write("calbot ....")
    columns = tr._tw.width_of_current_line
    line = display(tr, [("gw1", busy("rate_limit::throttle", 3, wait=41))], live=True, heartbeat=5)
    with line:
        until(lambda: "waiting 41 s" in out.getvalue())
        with line.held():  # pytest reports an item: the line is gone, the cursor back
            written = out.getvalue()
            assert tr._tw.width_of_current_line == columns  # pytest's own count is untouched
            tr.write(".")
    text = out.getvalue()
    shown = f"calbot ....\n\r\x1b[2K{MARK}[gw1] rate_limit::throttle · 3 requests · 3 s · waiting"
    assert text.startswith(shown), repr(text)
    assert written.endswith(f"\r\x1b[2K\x1b[1A\x1b[{columns + 1}G"), repr(written)
    assert f"\x1b[1A\x1b[{columns + 1}G." in text  # pytest's next dot, where it belongs


def test_one_process_writes_only_while_a_check_runs(
    reporter: tuple[pytest.TerminalReporter, io.StringIO],
) -> None:
    tr, out = reporter
    line = ProgressLine(
        tr,
        lambda: [("", busy("dedup::x", 4))],
        (),
        live=False,
        heartbeat=0.05,
        always_open=False,
    )
    with line:
        time.sleep(0.3)  # closed: the thread has nothing to write
        assert MARK not in out.getvalue()
        with line.showing(None):
            until(lambda: MARK in out.getvalue())
    assert f"{MARK}dedup::x · 3 requests · 4 s" in out.getvalue()


def test_a_workers_status_travels_through_its_file(tmp_path: Path) -> None:
    activity = Activity()
    activity.start_check("rate_limit::throttles-past-budget")
    activity.check_started -= 12.3  # running for a while already
    activity.check_requests = 600
    activity.waiting_until = activity.clock() + 40.7
    activity.waiting_for = f"Retry-After of {KEY}"
    path = status_path(tmp_path, "gw1")
    with StatusFile(path, activity, (KEY,)):
        data = json.loads(path.read_text())
        assert KEY not in path.read_text()
        [(worker, seen)] = worker_statuses(tmp_path)
    assert worker == "gw1"
    assert status_text(seen) == (
        "rate_limit::throttles-past-budget · 600 requests · 12 s · waiting 41 s for "
        "Retry-After of ****"
    )
    assert from_snapshot(data).check == activity.check
    assert not path.exists()  # the worker is done: nothing left to show


def test_stale_or_broken_status_files_are_not_shown(tmp_path: Path) -> None:
    activity = busy("dedup::x", 3)
    fresh = snapshot(activity)
    old = {**fresh, "written": time.time() - 60}
    status_path(tmp_path, "gw0").write_text(json.dumps(fresh))
    status_path(tmp_path, "gw1").write_text(json.dumps(old))
    status_path(tmp_path, "gw2").write_text("{not json")
    status_path(tmp_path, "gw3").write_text(json.dumps({"check": "x"}))
    assert [worker for worker, _ in worker_statuses(tmp_path)] == ["gw0"]


def test_the_heartbeat_in_one_pytest_process(pytester: pytest.Pytester) -> None:
    """The rate-limit item waits for a clean window and for Retry-After: heartbeats meanwhile."""
    with running(ServerConfig(rate_limit=BUDGET)) as url:
        result = pytester.runpytest(
            f"--calbot-url={url}",
            "--calbot-state-url=/_calbot/states",
            f"--calbot-rate-limit={BUDGET}",
            "--calbot-heartbeat=0.25",
            "--calbot-seed=3",
            "-k",
            "rate_limit",
            "-p",
            "no:cacheprovider",
        )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"{MARK}rate_limit::throttles-past-budget · * requests · * s · waiting * s for *"]
    )
    assert "\x1b[" not in result.stdout.str()


@pytest.mark.slow
def test_xdist_workers_progress_reaches_the_controllers_output(
    pytester: pytest.Pytester,
) -> None:
    """Under -n 2 (no terminal) the controller writes heartbeat lines for its workers' checks."""
    with running(ServerConfig(rate_limit=SLOW_BUDGET, api_keys=(KEY,))) as url:
        result = pytester.runpytest_subprocess(
            f"--calbot-url={url}",
            f"--calbot-api-key={KEY}",
            "--calbot-state-url=/_calbot/states",
            f"--calbot-rate-limit={SLOW_BUDGET}",
            "--calbot-heartbeat=0.5",
            "--calbot-max-examples=2",
            "--calbot-seed=3",
            "-k",
            "rate_limit or dedup",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            timeout=120,
        )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [f"{MARK}[[]gw?[]] rate_limit::throttles-past-budget · * requests · * s · waiting *"]
    )
    output = result.stdout.str()
    assert KEY not in output
    assert "\x1b[" not in output
