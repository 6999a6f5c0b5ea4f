"""`calbot run`'s terminal lines: argument errors that say what is known, hints that fit what
was given, findings in a stable order, and the progress display."""

from __future__ import annotations

import dataclasses
import functools
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from calbot.cli import cli
from calbot.cli.progress import Display
from calbot.cli.run_outcome import summarize
from calbot.conformance import Conformance
from calbot.conformance.status import status_text
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.runner import all_checks
from calbot.contracts.results import CheckResult, Finding, Level, RunResult, Status
from calbot.server import ServerConfig, running
from calbot.spec.throttles import RateLimit


def test_an_unknown_check_id_lists_the_contracts_checks(tmp_path: Path) -> None:
    """Problem 9: `--contracts dedup::nope` listed the contracts, not the check ids."""
    result = CliRunner().invoke(
        cli, ["run", "--contracts", "dedup::nope", "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "unknown check dedup::nope; known checks: dedup::same-key-same-bot" in result.output
    assert "Traceback" not in result.output


def test_the_require_state_hint_only_when_it_was_not_given(tmp_path: Path) -> None:
    """Problem 9: the hint suggested --require-state to a user who had given it."""
    with running(ServerConfig(rate_limit=RateLimit(100, 1.0))) as url:
        base = ["run", "--url", url, "--contracts", "dedup,errors", "--report-dir", str(tmp_path)]
        plain = CliRunner().invoke(cli, base)
        required = CliRunner().invoke(cli, [*base, "--require-state"])
    assert "--require-state makes this an error" in plain.output
    assert required.exit_code == 2
    assert "got no events to work on" in required.output
    assert "--require-state" not in required.output


def finding(rule: str, message: str) -> Finding:
    return Finding(rule=rule, message=message, signature=message)


def test_findings_are_listed_in_the_same_order_whatever_order_they_were_found(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Problem 9: with the same seed, the order of findings in the summary changed."""
    found = [finding("schema.responses", f"response {n} does not match") for n in "cab"]
    found.append(finding("robustness.no-5xx", "500 on a valid body"))
    check = CheckResult("schema", "responses", "schema.responses", Level.MUST, Status.FAILED)
    run = RunResult("t", "0", "1", datetime.now(UTC), checks=[check])
    outputs = []
    for order in (found, found[::-1]):
        check.findings = list(order)
        summarize(run, Conformance(), (), quiet=False)
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "[robustness.no-5xx]" in outputs[0]


def test_the_live_line_and_the_heartbeat_say_what_is_going_on() -> None:
    activity = Activity()
    assert status_text(activity) is None
    activity.start_check("rate_limit::throttles-past-budget")
    activity.sent()
    with activity.waiting(42, "Retry-After"):
        text = status_text(activity)
    assert text is not None
    assert text.startswith("rate_limit::throttles-past-budget · 1 request · 0 s · waiting 4")
    assert text.endswith(" s for Retry-After")
    for live, marker in ((True, "\r\x1b[2K  … rate_limit::"), (False, "  … rate_limit::")):
        lines: list[str] = []
        echo = functools.partial(_collect, lines)
        with Display(activity, (), live=live, heartbeat=0.1, echo=echo):
            activity.check_started -= 2  # running for two seconds already
            time.sleep(0.6)
        assert any(line.startswith(marker) for line in lines), lines


def _collect(lines: list[str], text: str = "", **_: object) -> None:
    lines.append(text)


def test_a_check_line_keeps_its_columns_and_one_line() -> None:
    spec = all_checks()[0]
    result = dataclasses.replace(
        spec.result(Status.SKIPPED), reason="needs events: the state URL answered\n<html>\n  x"
    )
    line = Display(Activity(), (), live=False, heartbeat=5).check_line(spec, result)
    assert "\n" not in line
    assert f"{spec.id:<48}   0.00s  needs events: the state URL answered <html> x" in line


def test_skipped_checks_in_a_row_with_one_reason_are_one_line() -> None:
    specs = all_checks()[:5]
    reason = "needs events: no state setup: give --state-url (provider states)"
    lines: list[str] = []
    echo = functools.partial(_collect, lines)
    with Display(Activity(), (), live=False, heartbeat=5, echo=echo) as display:
        for spec in specs[:3]:
            display("done", spec, dataclasses.replace(spec.result(Status.SKIPPED), reason=reason))
        display("done", specs[3], specs[3].result(Status.PASSED))
        skipped = dataclasses.replace(specs[4].result(Status.SKIPPED), reason="x")
        display("done", specs[4], skipped)
    assert len(lines) == 3, lines  # the last skip is shown when the display closes
    assert f"3 checks skipped ({specs[0].id} … {specs[2].id}): {reason}" in lines[0]
    assert specs[4].id in lines[2] and lines[2].endswith("  x")
