"""`calbot client-report` and the new `calbot serve` options, from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calbot.cli import cli
from calbot.contracts.clients.ledger import SCHEDULE, LedgerRecord, write_ledger

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"


def record(seq: int, at: float, status: int = 200, **fields: Any) -> LedgerRecord:
    values: dict[str, Any] = {
        "seq": seq,
        "time": T0 + timedelta(seconds=at),
        "method": "POST",
        "path": f"/api/v2/calendar-events/{EVENT}/bot/",
        "status": status,
        "operation": SCHEDULE,
        "resource": EVENT,
        "validation": "valid",
        "key": "k",
        "config_keys": ("bot_name",),
    }
    values.update(fields)
    return LedgerRecord(**values)


CLEAN = [record(1, 0, 429, retry_after="1"), record(2, 1.5)]
EARLY = [record(1, 0, 429, retry_after="1"), record(2, 0.2)]
WARNING = [record(1, 0), record(2, 1, key="other")]


def report(tmp_path: Path, records: list[LedgerRecord], *options: str) -> Any:
    ledger = tmp_path / "ledger.jsonl"
    write_ledger(records, ledger)
    out = tmp_path / "out"
    return CliRunner().invoke(
        cli, ["client-report", str(ledger), "--report-dir", str(out), *options]
    )


def test_a_clean_ledger_exits_0_and_writes_every_report(tmp_path: Path) -> None:
    result = report(tmp_path, CLEAN)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("CONFORMANT · 5 passed, 4 skipped · 2 requests\n")
    assert "✓ client.retry-after" in result.output
    assert "- client.dedup-same-meeting" in result.output and "not exercised" in result.output
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == [
        "calbot-junit.xml",
        "calbot-report.html",
        "calbot-report.md",
        "calbot-result.json",
    ]
    data = json.loads((tmp_path / "out" / "calbot-result.json").read_text())
    assert data["target"] == "client (ledger ledger.jsonl)"
    assert data["options"]["ledger"].endswith("ledger.jsonl")


def test_a_broken_must_rule_exits_1_with_the_findings(tmp_path: Path) -> None:
    result = report(tmp_path, EARLY, "--report", "md", "--target", "my-app")
    assert result.exit_code == 1
    assert "NON-CONFORMANT" in result.output
    assert "✗ client.retry-after (MUST)" in result.output
    assert "#2 +0.200s POST" in result.output
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["calbot-report.md"]
    assert "my-app" in (tmp_path / "out" / "calbot-report.md").read_text()


def test_warnings_pass_unless_strict_and_rules_can_be_ignored(tmp_path: Path) -> None:
    assert report(tmp_path, WARNING).exit_code == 0
    assert report(tmp_path, WARNING, "--strict").exit_code == 1
    ignored = report(tmp_path, WARNING, "--strict", "--ignore", "client.dedup-stable-key", "-q")
    assert ignored.exit_code == 0
    assert ignored.output.splitlines()[0] == "CONFORMANT · 2 passed, 7 skipped · 2 requests"


def test_the_tight_loop_threshold_is_an_option(tmp_path: Path) -> None:
    burst = [record(1, 0, 503), *(record(n, n * 0.1) for n in range(2, 6))]
    assert report(tmp_path, burst).exit_code == 0
    assert report(tmp_path, burst, "--tight-loop", "3/1s").exit_code == 1


def test_an_empty_ledger_could_not_verify_anything(tmp_path: Path) -> None:
    result = report(tmp_path, [])
    assert result.exit_code == 2
    verdict = result.output.splitlines()[0]  # the reason is on the verdict line, on stdout
    assert "verified too little: " in verdict, result.output
    assert "holds no API request (did the client run?)" in verdict
    markdown = next(tmp_path.rglob("calbot-report.md")).read_text()
    assert "holds no API request (did the client run?)" in markdown


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--tight-loop", "fast"], "Invalid value for --tight-loop: 'fast' is not N/PERIOD"),
        (["--ignore", "client.nope"], "Invalid value for --ignore: unknown client rule"),
        (["--report", "pdf"], "Invalid value for --report: unknown format pdf"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, options: list[str], message: str) -> None:
    result = report(tmp_path, CLEAN, *options)
    assert result.exit_code == 2 and message in result.output


def test_unreadable_ledgers_are_one_line_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["client-report", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2
    assert (
        missing.output
        == f"error: cannot read {tmp_path / 'none.jsonl'}: No such file or directory\n"
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(CLEAN[0].to_line() + '{"v": 1}\n' + CLEAN[1].to_line())
    result = CliRunner().invoke(cli, ["client-report", str(bad)])
    assert result.exit_code == 2
    assert result.output == f"error: {bad} is not a calbot ledger: {bad}:2: missing field 'time'\n"


def test_help() -> None:
    result = CliRunner().invoke(cli, ["client-report", "--help"])
    for option in ("--report-dir", "--report", "--strict", "--tight-loop", "--ignore"):
        assert option in result.output
    serve = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--record LEDGER.jsonl" in serve and "--fault SPEC" in serve
    assert "scenario:throttle-after-3" in serve


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--fault", "418"], "error: --fault: '418': unknown fault '418'"),
        (["--fault", "scenario:chaos"], "error: --fault: unknown scenario 'chaos'"),
        (["--record", "/nonexistent/dir/l.jsonl"], "error: --record: cannot write /nonexistent"),
    ],
)
def test_bad_serve_options_are_one_line_errors(options: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", *options])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(message)
