"""`calbot proxy` and `calbot proxy-report` as a user runs them: exit codes, one-line errors,
SIGTERM with a complete ledger, and `calbot client-report` reading the proxy's ledger."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from calbot.contracts.clients.ledger import read_ledger, write_ledger
from calbot.contracts.clients.verify import client_result

from .traffic import KEY, MUTANTS, careless, polite, session, upstream

CALBOT = [sys.executable, "-m", "calbot"]
READY = re.compile(r"^calbot proxy listening on (http://127\.0\.0\.1:\d+), forwarding to \S+\n$")
Serve = Callable[..., AbstractContextManager[tuple[Any, str, float]]]


def calbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALBOT, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@contextmanager
def proxying(upstream_url: str, *options: str, cwd: Path) -> Iterator[tuple[Any, str]]:
    process = subprocess.Popen(
        [*CALBOT, "proxy", "--upstream", upstream_url, "--port", "0", *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = READY.match(line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_sigterm_exits_0_with_the_ledger_complete_and_both_verdicts(
    tmp_path: Path, serve_process: Serve
) -> None:
    with (
        serve_process("--api-key", KEY) as (_serve, upstream_url, _ready),
        proxying(upstream_url, "--record", "ledger.jsonl", cwd=tmp_path) as (process, url),
    ):
        with httpx.Client(base_url=url, headers={"Authorization": f"Token {KEY}"}) as http:
            body = {"deduplication_key": "k", "bot_config": {}}
            statuses = [
                http.post(
                    f"/api/v2/calendar-events/{n:08d}-0000-4000-8000-{n:012d}/bot/", json=body
                ).status_code
                for n in range(20)
            ]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert statuses == [404] * 20
    records = read_ledger(tmp_path / "ledger.jsonl")
    assert [r.seq for r in records] == list(range(1, 21))
    assert "calbot proxy stopped after 20 requests" in out
    assert "client:   CONFORMANT" in out and "upstream: CONFORMANT" in out
    assert not (tmp_path / "calbot-report").exists()  # no --report-dir: no reports written
    assert KEY not in out + err + (tmp_path / "ledger.jsonl").read_text()


@pytest.mark.slow
def test_quiet_with_a_report_dir_says_one_line_and_writes_the_upstreams_reports(
    tmp_path: Path, serve_process: Serve
) -> None:
    with (
        serve_process("--api-key", KEY) as (_serve, upstream_url, _ready),
        proxying(upstream_url, "-q", "--report-dir", "up", cwd=tmp_path) as (process, url),
    ):
        health = httpx.get(f"{url}/_calbot/proxy/health")  # the proxy's own: not forwarded
        with httpx.Client(base_url=url, headers={"Authorization": f"Token {KEY}"}) as http:
            http.get("/api/v2/calendar-events/00000000-0000-4000-8000-000000000000/")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert out.splitlines() == ["calbot proxy stopped after 1 requests"]  # after the ready line
    result = json.loads((tmp_path / "up" / "calbot-result.json").read_text())
    assert result["verdict"] == "conformant"
    written = [path.read_text() for path in (tmp_path / "up").iterdir()]
    assert KEY not in out + err + "".join(written)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "localhost:8080"], "--upstream: 'localhost:8080' is not an http:// or"),
        (["--upstream", "http://x", "--fault", "418"], "--fault: '418': unknown fault"),
        (["--upstream", "http://x", "--host", "no.such.host.invalid"], "cannot listen on"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = calbot("proxy", "--port", "0", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}"), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_proxy_report_exit_codes_and_client_report_on_the_same_ledger(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    write_ledger(session(upstream(), polite), good)
    mutant = next(m for m in MUTANTS if m.name == "meeting-url-string-on-bot")
    bad = tmp_path / "bad.jsonl"
    write_ledger(session(upstream(mutant), polite), bad)
    (tmp_path / "junk.jsonl").write_text("this is not a ledger\n")

    ok = calbot("proxy-report", "good.jsonl", "--report-dir", "r1", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = calbot("proxy-report", "bad.jsonl", "--upstream", "http://up.test", cwd=tmp_path)
    assert broken.returncode == 1
    assert "meeting_url.bot-object" in broken.stdout
    assert "curl -sS -X GET http://up.test/api/v1/bot/" in broken.stdout
    data = json.loads((tmp_path / "calbot-report" / "calbot-result.json").read_text())
    assert data["kind"] == "server" and data["verdict"] == "non-conformant"
    for name in ("junk.jsonl", "missing.jsonl"):
        unusable = calbot("proxy-report", name, cwd=tmp_path)
        assert unusable.returncode == 2 and unusable.stderr.startswith("error: ")
        assert "Traceback" not in unusable.stderr

    faulty = tmp_path / "careless.jsonl"
    write_ledger(session(upstream(), careless), faulty)
    report = calbot("client-report", "careless.jsonl", "--report-dir", "r3", cwd=tmp_path)
    expected = client_result(read_ledger(faulty))
    assert report.returncode == expected.exit_code == 1
    data = json.loads((tmp_path / "r3" / "calbot-result.json").read_text())
    assert {c["rule"]: c["status"] for c in data["checks"]} == {
        c.rule: c.status.value for c in expected.checks
    }


@pytest.mark.parametrize("name", ["proxy", "serve"])
def test_every_option_is_in_the_readme(name: str) -> None:
    """The usage block of each listening command in the README lists all its options."""
    from click.testing import CliRunner

    from calbot.cli import cli

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    usage = re.findall(rf"calbot {name} (?:--upstream URL )?\[.+?```", readme, re.DOTALL)
    assert usage, f"no usage block for calbot {name}"
    documented = set(re.findall(r"--[a-z][a-z-]*", usage[0]))
    shown = CliRunner().invoke(cli, [name, "--help"]).output
    options = set(re.findall(r"^  (--[a-z][a-z-]*)", shown, re.MULTILINE)) - {"--help"}
    assert options <= documented, sorted(options - documented)
