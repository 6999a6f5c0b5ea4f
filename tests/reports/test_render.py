"""The renderer: formats, files, the rule matrix and the grouping every writer shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from calbot.contracts.results import Finding, Level, RunResult, Status
from calbot.contracts.rules import RULES
from calbot.reports import FILENAMES, FORMATS, render, write_reports
from calbot.reports.filters import duration, md_code, md_fenced, shortened, when
from calbot.reports.matrix import rule_matrix
from calbot.reports.view import Limits, build_view


def test_write_reports_writes_each_format(result: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "calbot-report"
    written = write_reports(result, FORMATS, out)
    assert written == {fmt: out / FILENAMES[fmt] for fmt in FORMATS}
    assert sorted(p.name for p in out.iterdir()) == [
        "calbot-junit.xml",
        "calbot-report.html",
        "calbot-report.md",
        "calbot-result.json",
    ]
    for fmt, path in written.items():
        assert path.read_text(encoding="utf-8") == render(result, fmt)


def test_write_reports_only_what_was_asked(result: RunResult, tmp_path: Path) -> None:
    assert list(write_reports(result, ["md", "md"], tmp_path)) == ["md"]
    assert [p.name for p in tmp_path.iterdir()] == ["calbot-report.md"]


def test_unknown_format(result: RunResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(result, "pdf")
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        write_reports(result, ["html", "pdf"], tmp_path)
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_ends_with_a_newline(result: RunResult, fmt: str) -> None:
    assert render(result, fmt).endswith("\n")


def test_matrix_counts_checks_by_the_rules_they_cite(result: RunResult) -> None:
    result.checks[0].findings.append(Finding(rule="robustness.no-5xx", message="500"))
    result.checks[1].rule = "made-up.rule"
    areas = rule_matrix(result.checks)
    assert [a.area for a in areas] == [*dict.fromkeys(r.area for r in RULES), "other"]
    rows = {row.rule: row for area in areas for row in area.rows}
    assert rows["dedup.shared-bot"].counts[Status.FAILED] == 1
    assert rows["robustness.no-5xx"].counts[Status.FAILED] == 2  # its own check and dedup's
    assert rows["made-up.rule"].worst == "failed"
    assert rows["rate-limit.budget"].worst == "warning"
    assert rows["stateful.model"].worst == "untested"


def test_view_sections_and_limits(result: RunResult) -> None:
    view = build_view(result, Limits(detailed_checks=2, table_rows=4, groups_per_check=1))
    assert [v.check.id for v in view.problems] == ["dedup::same-key-same-bot", "robustness::no-5xx"]
    assert view.hidden_problems == 3
    assert len(view.table) == 4 and view.hidden_rows == 5
    assert [v.check.status for v in view.skipped] == [Status.SKIPPED]
    assert len(view.passed) == 3
    assert view.counts == {"passed": 3, "failed": 3, "warning": 1, "skipped": 1, "error": 1}
    assert (view.total_findings, view.distinct_findings) == (11, 4)


def test_grouping_does_not_change_the_result(result: RunResult) -> None:
    before = [len(check.findings) for check in result.checks]
    for fmt in FORMATS:
        render(result, fmt)
    assert [len(check.findings) for check in result.checks] == before
    assert result.checks[1].findings[0].count == 1


def test_level_of_unknown_rules_comes_from_the_check(result: RunResult) -> None:
    result.checks[3].rule = "custom.should"
    rows = {row.rule: row for area in rule_matrix(result.checks) for row in area.rows}
    assert rows["custom.should"].level is Level.SHOULD


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.0042, "4 ms"), (1.254, "1.25 s"), (185, "3 min 05 s")]
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_text_helpers() -> None:
    assert shortened("abcdef", 3) == "abc… [3 more characters]"
    assert shortened(None, 3) == ""
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b", cell=True) == "`a\\|b`"
    assert md_fenced("x ``` y", "sh") == "````sh\nx ``` y\n````"
    assert when(None) == "—"
