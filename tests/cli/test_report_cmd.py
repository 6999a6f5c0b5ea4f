"""`calbot report render`: re-render a saved result; bad input is one line and exit 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calbot.cli import cli
from calbot.contracts.results import (
    CheckResult,
    Exchange,
    Finding,
    Level,
    RunResult,
    Status,
)
from calbot.reports import render

KEY = "sk_live_cli_0123456789"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", "render", *args])


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    result = RunResult(
        target="https://api.example.test",
        kit_version="0.1.0",
        spec_version="1.0.0",
        started_at=datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
        seed=7,
        checks=[
            CheckResult(
                contract="ended",
                name="refused",
                rule="ended.refused",
                level=Level.MUST,
                status=Status.FAILED,
                findings=[
                    Finding(
                        rule="ended.refused",
                        message=f"accepted on an ended event (key {KEY})",
                        curl=f"curl https://api.example.test/x -H 'Authorization: Token {KEY}'",
                        exchanges=[Exchange("POST", "https://api.example.test/x", {}, None, 201)],
                    )
                ],
            ),
            CheckResult("dedup", "same-key", "dedup.shared-bot", Level.MUST, Status.PASSED),
        ],
    )
    path = tmp_path / "calbot-result.json"
    path.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("html", "<!DOCTYPE html>"),
        ("md", "## calbot: ❌ Non-conformant"),
        ("junit", '<?xml version="1.0" encoding="UTF-8"?>'),
        ("json", '{\n  "schema_version": "1.2"'),
    ],
)
def test_renders_to_stdout(saved: Path, fmt: str, start: str) -> None:
    result = run(str(saved), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)
    assert "Token ****" in result.stdout


def test_writes_to_output(saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "new" / "report.html"
    result = run(str(saved), "--format", "html", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out}" in result.stdout


def test_same_as_rendering_the_result(saved: Path) -> None:
    from calbot.reports import read_result

    result = run(str(saved), "--format", "md")
    assert result.stdout == render(read_result(saved), "md")


def test_secret_option_masks(saved: Path) -> None:
    assert KEY in run(str(saved), "--format", "md").stdout  # not configured: shown in messages
    result = run(str(saved), "--format", "md", "--secret", KEY)
    assert result.exit_code == 0
    assert KEY not in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not JSON: Expecting property name enclosed in double quotes"),
        ('["a", "list"]', "not a calbot result: no schema_version field"),
        ('{"hello": "world"}', "not a calbot result: no schema_version field"),
        ('{"schema_version": "9.9"}', "schema_version '9.9' is not supported"),
        ('{"schema_version": "1.2", "checks": []}', "not a calbot result: (top level): "),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run(str(path), "--format", "html")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: {expected}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_wrong_schema_inside_is_located(saved: Path) -> None:
    data = json.loads(saved.read_text())
    data["checks"][0]["level"] = "could"
    saved.write_text(json.dumps(data))
    result = run(str(saved), "--format", "md")
    assert result.exit_code == 2
    assert "/checks/0/level: 'could' is not one of ['must', 'should']" in result.stderr


def test_a_folder_is_not_a_result(tmp_path: Path) -> None:
    result = run(str(tmp_path), "--format", "md")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path}: cannot read")


def test_unwritable_output(saved: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(str(saved), "--format", "md", "--output", str(blocker / "sub" / "x.md"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write")
    assert "Traceback" not in result.output


def test_format_is_required_and_checked(saved: Path) -> None:
    assert run(str(saved)).exit_code == 2
    result = run(str(saved), "--format", "pdf")
    assert result.exit_code == 2
    assert "'pdf' is not one of" in result.stderr


def test_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "report" in result.stdout
