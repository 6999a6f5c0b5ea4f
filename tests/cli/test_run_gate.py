"""`calbot run` as a CI gate never lies about a user's mistake (issue 12), tested as a user
meets it: a real `calbot run` process against a real `calbot serve` (or a web server that is
not the API), its exit code, its terminal lines and the reports it leaves behind."""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

CALBOT = [sys.executable, "-m", "calbot", "run"]
KEY = "sk_gate_secret"
REPORTS = ("calbot-report.html", "calbot-report.md", "calbot-junit.xml", "calbot-result.json")


def calbot_run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*CALBOT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def could_not_run(report_dir: Path, words: str) -> None:
    """All four reports say the run could not run, with `words` in the reason."""
    data = json.loads((report_dir / "calbot-result.json").read_text())
    assert (data["verdict"], data["exit_code"]) == ("error", 2)
    assert words in data["incomplete"]
    assert "Could not run" in (report_dir / "calbot-report.md").read_text()
    assert words in (report_dir / "calbot-report.md").read_text()
    assert "Could not run" in (report_dir / "calbot-report.html").read_text()
    junit = (report_dir / "calbot-junit.xml").read_text()
    assert (
        'name="calbot.incomplete"' in junit and '<testcase classname="calbot" name="run"' in junit
    )


@pytest.fixture
def served(serve_process: Callable[..., AbstractContextManager[Any]]) -> Iterator[str]:
    with serve_process("--rate-limit", "100/1s", "--api-key", KEY) as (_, url, _ready):
        yield url


@pytest.fixture
def web_page(tmp_path: Path) -> Iterator[str]:
    """`python -m http.server`: a web server that is not the API at all."""
    (tmp_path / "www").mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www")
    )
    handler.log_message = lambda *args: None  # type: ignore[attr-defined, method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_mistyped_state_url_is_not_a_green_run(served: str, tmp_path: Path) -> None:
    """Problem 1: every setup answered 404, and the gate said CONFORMANT, exit 0."""
    done = calbot_run(
        "--url", served, "--api-key", KEY, "--state-url", "/_calbot/wrong", cwd=tmp_path
    )
    assert done.returncode == 2, done.stdout + done.stderr
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"error: state setup failed: the state URL {served}/_calbot/wrong")
    assert "answered 404" in errors[0]
    assert "CONFORMANT" not in done.stdout
    could_not_run(tmp_path / "calbot-report", "/_calbot/wrong answered 404")


def test_a_run_starved_of_events_exits_2_unless_allowed(served: str, tmp_path: Path) -> None:
    """Problem 1: with no state setup most checks skip; that is not a verdict by default."""
    base = ("--url", served, "--api-key", KEY, "--contracts", "dedup,override", "-q")
    hollow = calbot_run(*base, cwd=tmp_path)
    assert hollow.returncode == 2, hollow.stdout + hollow.stderr
    assert hollow.stdout.startswith("COULD NOT RUN · verified too little:")
    allowed = calbot_run(*base, "--allow-skips", cwd=tmp_path)
    assert allowed.returncode == 2  # nothing at all was verified: still no verdict
    errors_only = calbot_run(*base[:4], "--contracts", "errors", cwd=tmp_path)
    assert errors_only.returncode == 0, errors_only.stdout  # limited to what can run


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (["--api-key", "WRONG"], "the target refuses the API key given"),
        ([], "the target asks for an API key and none was given"),
    ],
)
def test_a_refused_key_is_not_blamed_on_the_server(
    served: str, tmp_path: Path, key: list[str], words: str
) -> None:
    """Problem 2: a wrong or missing key gave NON-CONFORMANT, exit 1."""
    done = calbot_run("--url", served, *key, "--state-url", "/_calbot/states", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: {words} (GET {served}/api/v2/calendar-events/")
    assert "answered 401" in done.stderr and len(done.stderr.splitlines()) == 1
    assert "NON-CONFORMANT" not in done.stdout
    could_not_run(tmp_path / "calbot-report", words)


def test_a_web_page_is_not_this_api(web_page: str, tmp_path: Path) -> None:
    """Problem 3: `python -m http.server` gave exit 1 and ~130 lines of raw HTML."""
    done = calbot_run("--url", web_page, "--state-url", "/states", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: {web_page} does not look like the Recall API")
    assert "text/html, not JSON: <!DOCTYPE HTML>" in line and len(line) < 400
    assert "<html" not in done.stdout
    assert len(done.stdout.splitlines()) <= 6  # the header and the four reports written
    could_not_run(tmp_path / "calbot-report", "does not look like the Recall API")


def test_a_run_that_could_not_run_replaces_the_last_reports(tmp_path: Path) -> None:
    """Problem 4: an unreachable target left the previous green report in place."""
    green = calbot_run("--contracts", "ended", cwd=tmp_path)
    assert green.returncode == 0, green.stdout + green.stderr
    assert "Conformant" in (tmp_path / "calbot-report" / "calbot-report.md").read_text()
    failed = calbot_run("--url", "http://127.0.0.1:9", "--timeout", "2", cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.startswith("error: GET /api/v2/calendar-events/")
    assert "cannot reach http://127.0.0.1:9" in failed.stderr
    assert sorted(p.name for p in (tmp_path / "calbot-report").iterdir()) == sorted(REPORTS)
    could_not_run(tmp_path / "calbot-report", "cannot reach http://127.0.0.1:9")
    assert "Conformant" not in (tmp_path / "calbot-report" / "calbot-report.md").read_text()


def test_bad_arguments_replace_the_last_reports_too(tmp_path: Path) -> None:
    green = calbot_run("--contracts", "ended", "--report-dir", "out", cwd=tmp_path)
    assert green.returncode == 0
    bad = calbot_run("--report-dir", "out", "--rate-limit", "lots", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    could_not_run(tmp_path / "out", "bad arguments")


@pytest.mark.slow
def test_waits_show_signs_of_life(serve_process: Any, tmp_path: Path) -> None:
    """Problem 5: a minute of silence while a rate-limit window was waited out."""
    with serve_process("--rate-limit", "6/2s") as (_, url, _ready):
        done = calbot_run(
            "--url", url, "--state-url", "/_calbot/states", "--rate-limit", "6/2s",
            "--contracts", "rate_limit", "--heartbeat", "0.3", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    beats = [line for line in done.stdout.splitlines() if line.startswith("  … rate_limit::")]
    assert beats, done.stdout
    assert any(" requests · " in line for line in beats)
    assert any("· waiting " in line for line in beats), beats


def test_quiet_prints_the_verdict_line_only(tmp_path: Path) -> None:
    """Problem 9: -q still printed the header and the "wrote" lines."""
    done = calbot_run("--contracts", "ended", "-q", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [done.stdout.strip()]
    assert done.stdout.startswith("CONFORMANT · 3 passed")
    assert done.stderr == ""


def test_ctrl_c_stops_at_once_with_a_partial_report(serve_process: Any, tmp_path: Path) -> None:
    """Problem 7: Ctrl-C exited 1 (non-conformant), once only after a second Ctrl-C."""
    with serve_process("--rate-limit", "5/30s") as (_, url, _ready):
        process = subprocess.Popen(
            [*CALBOT, "--url", url, "--state-url", "/_calbot/states", "--rate-limit", "5/30s",
             "--contracts", "ended,rate_limit", "--heartbeat", "0.2"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:  # inside the rate-limit contract's wait for its window
            if line.startswith("  … rate_limit::"):
                break
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        stopped_in = time.monotonic() - sent
    assert process.returncode == 130, out + err
    assert stopped_in < 5
    assert "INTERRUPTED · (Ctrl-C) during rate_limit::" in out
    assert "Traceback" not in err
    data = json.loads((tmp_path / "calbot-report" / "calbot-result.json").read_text())
    assert data["exit_code"] == 130 and data["incomplete"].startswith("interrupted (Ctrl-C)")
    assert [c["id"] for c in data["checks"]][:2] == [
        "ended::refused-with-documented-body",
        "ended::nothing-changes",
    ]
    assert "Interrupted" in (tmp_path / "calbot-report" / "calbot-report.md").read_text()


def test_an_unreachable_state_url_is_named(served: str, tmp_path: Path) -> None:
    """Problem 8: the target's address was named, not the state URL's."""
    state_url = "http://127.0.0.1:9/_calbot/states"
    done = calbot_run("--url", served, "--api-key", KEY, "--state-url", state_url, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: state setup failed: the state URL {state_url}")
    assert "cannot reach http://127.0.0.1:9 " in done.stderr
    assert f"cannot reach {served}" not in done.stderr


def test_no_hypothesis_folder_in_the_working_directory(tmp_path: Path) -> None:
    """Problem 9: `calbot run` left .hypothesis/ in the working directory; now only where
    asked (and by default in a temporary folder, which leaves nothing behind)."""
    kept = tmp_path / "hyp"
    asked = calbot_run(
        "--contracts", "schema", "--max-examples", "2", "-q", "--hypothesis-database", str(kept),
        cwd=tmp_path,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert kept.is_dir() and any(kept.iterdir())
    assert not (tmp_path / ".hypothesis").exists()
