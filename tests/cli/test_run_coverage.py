"""`calbot run` says what the run covered and what it retried; `--min-coverage` makes coverage
part of the verdict."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calbot.cli import cli
from calbot.cli.progress import Display
from calbot.cli.run_outcome import summarize
from calbot.conformance import Conformance
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.runner import all_checks
from calbot.contracts.results import CheckResult, Coverage, Level, RunResult, Status

SUMMARY = re.compile(r"^  coverage: \d+ of \d+ behaviours exercised \([\d.]+%\)", re.M)
BELOW = re.compile(r"NON-CONFORMANT · coverage [\d.]+% is below --min-coverage 90% · \d+ passed")


def run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["run", "--contracts", "dedup", "--seed", "5", "--report-dir", str(tmp_path), *args],
        catch_exceptions=False,
    )


def test_the_coverage_line_follows_the_verdict(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("CONFORMANT"))
    assert SUMMARY.match(lines[verdict + 1]), lines[verdict + 1]
    assert "were not selected" in lines[verdict + 1]  # only dedup ran
    data = json.loads((tmp_path / "calbot-result.json").read_text())
    assert data["min_coverage"] is None
    assert f"({data['coverage_percent']:g}%)" in lines[verdict + 1]


def test_quiet_prints_the_verdict_line_only(tmp_path: Path) -> None:
    result = run(tmp_path, "-q")
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("CONFORMANT")
    assert "coverage" not in result.output


@pytest.mark.parametrize("given", ["90", "90%"])
def test_below_the_minimum_is_non_conformant_and_says_why(tmp_path: Path, given: str) -> None:
    result = run(tmp_path, "--min-coverage", given)
    assert result.exit_code == 1, result.output
    assert BELOW.search(result.output), result.output
    assert SUMMARY.search(result.output)
    data = json.loads((tmp_path / "calbot-result.json").read_text())
    assert (data["min_coverage"], data["verdict"], data["exit_code"]) == (90, "non-conformant", 1)
    assert 'name="coverage"' in (tmp_path / "calbot-junit.xml").read_text()
    quiet = run(tmp_path, "--min-coverage", given, "-q")
    assert quiet.exit_code == 1
    assert BELOW.search(quiet.output) and quiet.output.count("\n") == 1


def test_a_minimum_met_changes_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, "--min-coverage", "0")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "calbot-result.json").read_text())
    assert (data["min_coverage"], data["verdict"]) == (0, "conformant")


def test_a_saved_result_rendered_again_keeps_the_minimum(tmp_path: Path) -> None:
    assert run(tmp_path, "--min-coverage", "90").exit_code == 1
    rendered = CliRunner().invoke(
        cli, ["report", "render", str(tmp_path / "calbot-result.json"), "--format", "md"]
    )
    assert rendered.exit_code == 0, rendered.output
    assert rendered.output.startswith("## calbot: ❌ Non-conformant\n\n**Coverage ")
    assert "is below the minimum of 90%.**" in rendered.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "not between 0 and 100"),
        ("lots", "not a percentage"),
        ("-5%", "not between 0 and 100"),
    ],
)
def test_a_bad_minimum_is_a_usage_error(
    value: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--min-coverage", value])
    assert result.exit_code == 2
    assert f"Invalid value for '--min-coverage': '{value}' is {message}" in result.output
    assert "Traceback" not in result.output
    report = (tmp_path / "calbot-report" / "calbot-report.md").read_text()
    assert "Could not run: bad arguments" in report


def _checks() -> list[CheckResult]:
    passed = CheckResult("dedup", "a", "dedup.shared-bot", Level.MUST, Status.PASSED)
    retried = CheckResult(
        "ended", "b", "ended.refused", Level.MUST, Status.PASSED, retried={"507": 3, "409": 1}
    )
    return [passed, retried]


def test_retries_per_check_and_for_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    checks = _checks()
    lines: list[str] = []
    display = Display(Activity(), (), live=False, heartbeat=5, echo=lines.append)
    spec = next(spec for spec in all_checks() if spec.contract == "ended")
    assert display.check_line(spec, checks[0]).endswith("0.00s")
    line = display.check_line(spec, checks[1])
    assert line.endswith("0.00s  the server answered 409 once and 507 three times; retried")
    checks[1].reason = "needs events: none"
    assert display.check_line(spec, checks[1]).endswith(
        "needs events: none (the server answered 409 once and 507 three times; retried)"
    )
    coverage = [Coverage("b", "ended.refused", "", "time", requests=2)]
    result = RunResult("t", "0", "1", datetime.now(UTC), checks=checks, coverage=coverage)
    summarize(result, Conformance(), (), quiet=False)
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("CONFORMANT · 2 passed")
    assert out[2:4] == [
        "  coverage: 1 of 1 behaviour exercised (100%)",
        "  the server answered 409 once and 507 three times; retried (in 1 check)",
    ]
    summarize(result, Conformance(), (), quiet=True)
    assert "retried" not in capsys.readouterr().out
