"""The Markdown report: verdict first, a table, findings with curl; always under 65,000 chars."""

from __future__ import annotations

import re

from calbot.contracts.results import CheckResult, Finding, Level, RunResult, Status
from calbot.reports import render
from calbot.reports.markdown import BUDGET, cut

GITHUB_LIMIT = 65_000


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, pattern
    return int(found[1].replace(",", ""))


def fences_balanced(text: str) -> bool:
    return len(re.findall(r"^```", text, re.M)) % 2 == 0


def test_verdict_first_then_table_then_findings(result: RunResult) -> None:
    md = render(result, "md")
    assert md.startswith("## calbot: ❌ Non-conformant\n\n**3 of 9 checks failed.** 11 findings")
    assert md.index("### Checks") < md.index("### Failures and warnings") < md.index("### Skipped")
    assert "| ❌ | `dedup::same-key-same-bot` | `dedup.shared-bot` | MUST | 1 | 250 ms |" in md
    assert "| ⏭️ | `override::replace` |" in md
    assert "**1. ×8 server answered 500 to a request with non-string metadata values**" in md
    assert "```sh\ncurl -X POST 'https://recall.example.test/api/v2/calendar-events/" in md
    assert "- `override::replace`: no state setup: the target has no provider-state URL" in md
    assert fences_balanced(md)
    assert md.count("<details>") == md.count("</details>") == 2


def test_failed_checks_come_first_in_the_table(result: RunResult) -> None:
    md = render(result, "md")
    rows = [line for line in md.splitlines() if line.startswith("| ") and "::" in line]
    icons = [row.split(" | ")[0][2:] for row in rows]
    assert icons == ["❌", "❌", "❌", "💥", "⚠️", "⏭️", "✅", "✅", "✅"]


def test_zero_findings(passing: RunResult) -> None:
    md = render(passing, "md")
    assert md.startswith("## calbot: ✅ Conformant\n\n**All 3 checks passed.** No findings.")
    assert "### Failures and warnings" not in md


def test_no_checks(empty: RunResult) -> None:
    md = render(empty, "md")
    assert md.startswith("## calbot: 💥 Could not run\n\n**No checks ran.**")
    assert "### Checks" not in md


def test_table_cells_cannot_break_the_table(result: RunResult) -> None:
    result.checks[0].name = "pipe|name"
    result.checks[0].findings[0].message = "a | b <b>bold</b>\nsecond line"
    md = render(result, "md")
    assert "`dedup::pipe\\|name`" in md
    assert "**1. a \\| b &lt;b&gt;bold&lt;/b&gt; second line**" in md


def test_backticks_in_bodies_cannot_close_the_fence(result: RunResult) -> None:
    result.checks[0].findings[0].curl = "curl -d '```oops```'"
    md = render(result, "md")
    assert "````sh\ncurl -d '```oops```'\n````" in md


def test_giant_run_fits_with_counts_of_what_was_left_out(huge: RunResult) -> None:
    md = render(huge, "md")
    assert len(md) < GITHUB_LIMIT
    assert len(md) <= BUDGET + 1
    assert md.startswith("## calbot: ❌ Non-conformant\n\n**43 of 49 checks failed.**")
    assert "12011 findings (4004 distinct)" in md
    assert "more distinct findings" in md
    assert "calbot-report.html" in md
    assert fences_balanced(md)
    assert md.count("<details>") == md.count("</details>")


def test_thousands_of_checks_still_fit(result: RunResult) -> None:
    long = "y" * 5000
    result.checks += [
        CheckResult(
            contract=f"c{n}",
            name=f"check-{n}-{long[:40]}",
            rule="robustness.no-5xx",
            level=Level.MUST,
            status=Status.FAILED,
            findings=[Finding(rule="robustness.no-5xx", message=long, curl=long)],
        )
        for n in range(3000)
    ]
    md = render(result, "md")
    assert len(md) < GITHUB_LIMIT
    listed = number(r"_… and (\d+) more checks not listed here", md)
    detailed = number(r"_… and (\d+) more failed or warned", md)
    assert 2800 < listed < 3009
    assert 2900 < detailed < 3009
    assert fences_balanced(md)


def test_a_giant_field_is_cut_with_a_note(result: RunResult) -> None:
    result.target = "https://example.test/" + "t" * 100_000
    md = render(result, "md")
    assert len(md) < GITHUB_LIMIT
    assert "**Report cut short:**" in md
    assert md.startswith("## calbot: ❌ Non-conformant")


def test_cut_closes_open_blocks_and_says_how_much_was_cut() -> None:
    text = "intro\n<details><summary>x</summary>\n\n```http\n" + "line\n" * 20_000
    out = cut(text, 10_000)
    assert len(out) <= 10_000
    assert fences_balanced(out)
    assert out.count("<details>") == out.count("</details>")
    chars = number(r"([\d,]+) more characters", out)
    assert chars > 90_000
    assert "calbot-report.html" in out


def test_cut_leaves_short_text_alone() -> None:
    assert cut("short", 100) == "short"
