"""The HTML report: self-contained, verdict first, matrix, findings grouped and capped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from calbot.contracts.results import Finding, RunResult, Status
from calbot.contracts.rules import RULES
from calbot.reports import render


class Tags(HTMLParser):
    """Every start tag with its attributes, to look for anything that loads from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_self_contained(result: RunResult) -> None:
    html = render(result, "html")
    found = tags(html)
    names = {tag for tag, _ in found}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base"}
    for _, attrs in found:
        assert not {"src", "href", "srcset", "action"} & set(attrs), attrs
    assert "@import" not in html
    assert "url(" not in html
    assert "default-src 'none'" in html  # the page itself forbids loading anything


def test_verdict_comes_first_with_counts(result: RunResult) -> None:
    html = render(result, "html")
    body = html[html.index("<body>") :]
    assert body.index("Non-conformant") < body.index("Target") < body.index("Rules")
    assert "3 of 9 checks failed." in html
    assert "11 findings (4 distinct)" in html
    assert 'class="verdict v-non-conformant"' in html
    for label in ("<b>3</b> failed", "<b>1</b> error", "<b>1</b> warning", "<b>1</b> skipped"):
        assert label in html


def test_metadata(result: RunResult) -> None:
    html = render(result, "html")
    for text in (
        "https://recall.example.test/",
        "0.1.0",
        "1.0.0",
        "1234",
        "2026-11-24 17:00:00 UTC",
        "12.50 s",
        "rate_limit=600/60s",
    ):
        assert text in html


def test_matrix_lists_every_rule_grouped_by_area(result: RunResult) -> None:
    html = render(result, "html")
    matrix = html[html.index('<table class="matrix">') : html.index("</table>")]
    positions = [matrix.index(f"<code>{rule.id}</code>") for rule in RULES]
    assert positions == sorted(positions)
    assert matrix.count('<tr class="area">') == len({rule.area for rule in RULES})
    row = matrix[matrix.index("<code>robustness.no-5xx</code>") :]
    assert row.index('class="c-failed">1<') < row.index("</tr>")
    assert 'class="r-untested untested"' in matrix


def test_sections_in_order(result: RunResult) -> None:
    html = render(result, "html")
    order = [
        "Failures and warnings",
        "dedup::same-key-same-bot",
        "errors::auth",
        "rate-limit::budget",
        "Skipped",
        "no state setup",
        "Passed",
        '<details class="passed">',
        "errors::not-found",
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)


def test_finding_details(result: RunResult) -> None:
    html = render(result, "html")
    assert "one bot_id shared by both events" in html
    assert "bot_id 7d3a… on event A, 91fe… on event B" in html
    assert "<b>POST https://recall.example.test/api/v2/calendar-events/" in html
    assert "<b>HTTP 500</b>" in html
    assert "&lt;html&gt;Internal Server Error&lt;/html&gt;" in html  # bodies are escaped
    curls = re.findall(r'<pre class="curl">(.*?)</pre>', html, re.S)
    assert len(curls) == 3
    assert curls[0].startswith("curl -X POST &#39;https://recall.example.test/")
    assert '<span class="times" title="8 identical findings">×8</span>' in html


def test_zero_findings(passing: RunResult) -> None:
    html = render(passing, "html")
    assert ">Conformant</h1>" in html
    assert "All 3 checks passed." in html  # the passing fixture has no skipped check
    assert "No findings." in html
    assert "No check failed and there are no warnings." in html
    assert "No check was skipped." in html


def test_no_checks(empty: RunResult) -> None:
    html = render(empty, "html")
    assert ">Could not run</h1>" in html
    assert "No checks ran." in html


def test_hundreds_of_findings_are_grouped_and_capped(result: RunResult) -> None:
    check = result.checks[1]
    check.findings = [
        Finding(rule="robustness.no-5xx", message=f"500 for input #{n % 30}", signature=f"{n % 30}")
        for n in range(600)
    ]
    html = render(result, "html")
    article = html[html.index('id="check-1-robustness-no-5xx"') :]
    article = article[: article.index("</article>")]
    assert "600 findings in 30 groups of identical findings" in article
    assert article.count('<li class="finding">') == 20
    assert article.count("×20") == 20
    assert "and 10 more distinct findings (200 occurrences) not shown" in article


def test_text_is_escaped(result: RunResult) -> None:
    result.checks[0].findings[0].message = "<script>alert(1)</script> & more"
    html = render(result, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_control_characters_are_shown_escaped(result: RunResult) -> None:
    result.checks[0].findings[0].actual = "bell\x07 and escape\x1b[0m"
    html = render(result, "html")
    assert "bell\\u0007 and escape\\u001b[0m" in html


def test_strict_warnings_count(result: RunResult) -> None:
    result.strict = True
    result.checks = [c for c in result.checks if c.status in (Status.WARNING, Status.PASSED)]
    html = render(result, "html")
    assert ">Non-conformant</h1>" in html
    assert "1 warning counts as failures (strict)." in html
