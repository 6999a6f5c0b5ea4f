"""`calbot run` as a user meets it: exit codes, reports, progress, secrets, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calbot.cli import cli
from calbot.server import ServerConfig, running
from calbot.spec.throttles import RateLimit

KEY = "sk_cli_test_secret"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)


@pytest.mark.slow
def test_default_run_passes_the_builtin_server_and_writes_four_reports(tmp_path: Path) -> None:
    result = invoke("--report-dir", str(tmp_path), "--seed", "7", "--api-key", KEY)
    assert result.exit_code == 0, result.output
    assert "CONFORMANT" in result.output
    assert "✓ dedup::same-key-same-bot" in result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "calbot-junit.xml",
        "calbot-report.html",
        "calbot-report.md",
        "calbot-result.json",
    ]
    data = json.loads((tmp_path / "calbot-result.json").read_text())
    assert (data["verdict"], data["seed"]) == ("conformant", 7)
    assert KEY not in result.output
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(), path.name


def test_selected_contracts_only(tmp_path: Path) -> None:
    result = invoke(
        "--contracts",
        "ended,dedup::same-key-same-bot",
        "--report",
        "json",
        "--report-dir",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    ids = [c["id"] for c in json.loads((tmp_path / "calbot-result.json").read_text())["checks"]]
    assert ids == [
        "dedup::same-key-same-bot",
        "ended::refused-with-documented-body",
        "ended::nothing-changes",
        "ended::refused-a-moment-after",
    ]


def test_unreachable_target_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "--url", "http://127.0.0.1:9", "--timeout", "2", "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "cannot reach" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "lots"], "N/PERIOD"),
        (["--contracts", "nope"], "unknown contract nope"),
        (["--report", "pdf"], "unknown format pdf"),
        (["--event", "yesterday=abc"], "KIND=ID"),
        (["--max-examples", "0"], "0"),
        (["--url", "127.0.0.1:8000"], "did you mean http://127.0.0.1:8000?"),
        (["--url", "ftp://example.com"], "is not an http(s) URL"),
        (["--state-url", "states"], "or give a path on the target, like /_calbot/states"),
    ],
)
def test_bad_arguments_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the could-not-run report goes to ./calbot-report
    result = CliRunner().invoke(cli, ["run", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("error: ")
    report = (tmp_path / "calbot-report" / "calbot-report.md").read_text()
    assert "Could not run: bad arguments" in report


def test_unwritable_report_dir_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(
        cli, ["run", "--contracts", "ended", "--report-dir", str(blocker / "x")]
    )
    assert result.exit_code == 2
    assert "cannot write the report" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_url_without_state_setup_says_so(tmp_path: Path) -> None:
    with running(ServerConfig(rate_limit=RateLimit(100, 1.0))) as url:
        result = invoke(
            "--url",
            url,
            "--contracts",
            "dedup,errors",
            "--report",
            "json",
            "--report-dir",
            str(tmp_path),
        )
    assert "no state setup" in result.output
    assert result.exit_code == 0  # the errors contract ran; the skips are reported
    required = CliRunner().invoke(
        cli,
        [
            "run",
            "--url",
            "http://127.0.0.1:9",
            "--require-state",
            "--timeout",
            "1",
            "--report-dir",
            str(tmp_path),
        ],
    )
    assert required.exit_code == 2


def test_given_events_are_used_against_a_url(tmp_path: Path) -> None:
    with running(ServerConfig(rate_limit=RateLimit(100, 1.0))) as url:
        import httpx

        params = {
            "start_time": "2031-01-01T10:00:00Z",
            "end_time": "2031-01-01T11:00:00Z",
            "meeting_url": "https://meet.google.com/abc-defg-hij",
        }
        ended = {**params, "start_time": "2020-01-01T10:00:00Z", "end_time": "2020-01-01T11:00:00Z"}
        ids = [
            httpx.post(
                f"{url}/_calbot/states", json={"state": "a calendar event", "params": p}
            ).json()["id"]
            for p in (params, ended, ended)
        ]
        result = invoke(
            "--url",
            url,
            "--event",
            f"upcoming={ids[0]}",
            "--event",
            f"ended={ids[1]}",
            "--event",
            f"ended={ids[2]}",
            "--contracts",
            "ended,override::one-bot-per-event",
            "--report",
            "json",
            "--report-dir",
            str(tmp_path),
        )
    assert result.exit_code == 0, result.output
    assert "3 passed" in result.output
