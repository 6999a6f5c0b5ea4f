"""The HTML report: self-contained, failures first (verdict, contents, findings grouped and
capped), then skipped, passed, the rules the run judged, coverage."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

from calbot.contracts.engine.coverage import NOT_SELECTED
from calbot.contracts.results import Coverage, Finding, RunResult, Status
from calbot.contracts.rules import D_SCHEDULING, RULES
from calbot.reports import render
from calbot.reports.view import build_view

from .conftest import check


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


def matrix_of(html: str) -> str:
    start = html.index('<table class="matrix">')
    return html[start : html.index("</table>", start)]


def test_self_contained(covered: RunResult) -> None:
    html = render(covered, "html")
    found = tags(html)
    names = {tag for tag, _ in found}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base"}
    sources = {url for rule in RULES for url in rule.sources}
    ids = {attrs["id"] for _, attrs in found if attrs.get("id")}
    links = [attrs for tag, attrs in found if tag == "a"]
    assert links  # the contents, the coverage line and the rules' sources are links
    for tag, attrs in found:
        if tag == "a":  # a link loads nothing until followed: to this page, or to a rule's source
            href = attrs.pop("href", None)
            assert href and (href[1:] in ids if href.startswith("#") else href in sources), href
        assert not {"src", "href", "srcset", "action", "ping"} & set(attrs), (tag, attrs)
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


def test_matrix_lists_the_rules_the_run_judged_grouped_by_area(result: RunResult) -> None:
    html = render(result, "html")
    matrix = matrix_of(html)
    cited = {check.rule for check in result.checks}
    judged = [rule for rule in RULES if rule.id in cited]
    positions = [matrix.index(f"<code>{rule.id}</code>") for rule in judged]
    assert positions == sorted(positions)  # catalogue order
    assert matrix.count("<code>") == len(judged)  # and nothing else
    assert matrix.count('<tr class="area">') == len({rule.area for rule in judged})
    row = matrix[matrix.index("<code>robustness.no-5xx</code>") :]
    assert row.index('class="c-failed">1<') < row.index("</tr>")
    row = matrix[matrix.index("<code>override.replace</code>") :]
    assert row.index('class="c-skipped">1<') < row.index("</tr>")  # a skipped check was selected
    assert "untested" not in matrix
    # the rest in one line, each rule still named (folded away) with why it was not judged
    others = html[html.index('<details class="others">') :]
    others = others[: others.index("</details>")]
    rest = len(RULES) - len(judged)
    own = sum(1 for rule in RULES if rule.evidence.value == "own")
    assert (
        f"<summary>{rest} other rules not judged in this run: {rest - own} cited by no check or "
        f"finding, {own} calbot&#39;s own guesses, never checked</summary>" in others
    )
    for rule in RULES:
        assert (f">{rule.id}</code>" in others) is (rule.id not in cited), rule.id


def test_matrix_of_a_run_limited_to_some_contracts(result: RunResult) -> None:
    """`--contracts dedup,override`: their rules, and one line for the rules not selected."""
    result.checks = [c for c in result.checks if c.contract in ("dedup", "override")]
    chosen = ("dedup.shared-bot", "override.replace")
    result.coverage = [
        Coverage(
            rule.id,
            rule.id,
            rule.text,
            "typical",
            checks=[f"{rule.area}::x"],
            reason=None if rule.id in chosen else NOT_SELECTED,
            requests=1 if rule.id in chosen else 0,
        )
        for rule in RULES
    ]
    html = render(result, "html")
    matrix = matrix_of(html)
    assert re.findall(r"<code>([^<]*)</code>", matrix) == list(chosen)
    rest = len(RULES) - 2
    own = sum(1 for rule in RULES if rule.evidence.value == "own")  # never checked, whatever ran
    assert (
        f"<summary>{rest} other rules not judged in this run: {rest - own} not selected, {own} "
        "calbot&#39;s own guesses, never checked</summary>" in html
    )
    view = build_view(result)
    selected_only = dataclasses.replace(view, not_judged=view.not_judged[:1])
    assert selected_only.not_judged_summary == f"{rest - own} other rules not selected in this run"


def test_rule_sources_are_short_links(result: RunResult) -> None:
    html = render(result, "html")
    matrix = html[html.index('<table class="matrix">') :]
    row = matrix[matrix.index("<code>dedup.shared-bot</code>") :]
    row = row[: row.index("</tr>")]
    assert (
        f'documented: <a href="{D_SCHEDULING}" title="{D_SCHEDULING}" rel="noreferrer">'
        "scheduling guide</a>" in row
    )
    unquoted = re.sub(r'"https://[^"]*"', "", html)
    assert "https://docs.recall.ai" not in unquoted  # no source URL is printed as text


def test_sections_in_order(covered: RunResult) -> None:
    """Failures first: the verdict, the contents, the findings, then what was skipped, what
    passed, the rules and coverage (the contents now name the checks before their articles)."""
    html = render(covered, "html")
    order = [
        '<h1 id="verdict">',
        '<details class="run"',
        '<h2 id="failures">Failures and warnings',
        '<nav class="toc"',
        'id="check-0-dedup-same-key-same-bot"',
        'id="check-1-robustness-no-5xx"',
        'id="check-2-ended-refused"',
        'id="check-5-errors-auth"',
        'id="check-3-rate-limit-budget"',
        '<h2 id="skipped">Skipped',
        "no state setup",
        '<h2 id="passed">Passed',
        '<details class="passed">',
        "errors::not-found",
        '<h2 id="rules">Rules',
        '<table class="matrix">',
        '<section id="coverage">',
        "<footer>",
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)


def test_contents_link_each_failure_and_warning_with_its_count(covered: RunResult) -> None:
    html = render(covered, "html")
    toc = html[html.index('<nav class="toc"') : html.index("</nav>")]
    lines = re.findall(r"<li>(.*?)</li>", toc, re.S)
    assert len(lines) == 5  # 3 failed, 1 error, 1 warning: worst first
    expected = [
        ("failed", "check-0-dedup-same-key-same-bot", "dedup::same-key-same-bot", "1 finding"),
        ("failed", "check-1-robustness-no-5xx", "robustness::no-5xx", "8 findings, 1 distinct"),
        ("failed", "check-2-ended-refused", "ended::refused", "1 finding"),
        ("error", "check-5-errors-auth", "errors::auth", ""),
        ("warning", "check-3-rate-limit-budget", "rate-limit::budget", "1 finding"),
    ]
    for line, (status, anchor, check_id, count) in zip(lines, expected, strict=True):
        assert f'<span class="badge s-{status}">{status}</span>' in line
        assert f'<a href="#{anchor}"><code>{check_id}</code></a>' in line
        tally = f'<span class="toc-count">{count}</span>'
        assert tally in line if count else "toc-count" not in line
    assert "connection refused" in lines[3]  # an error without findings says why
    assert "two events scheduled with the same deduplication_key" in lines[0]  # the first finding
    for section in ("skipped", "passed", "rules", "coverage", "run"):
        assert f'<a href="#{section}">' in toc


def test_every_in_page_link_has_its_anchor(covered: RunResult) -> None:
    found = tags(render(covered, "html"))
    ids = [attrs["id"] for _, attrs in found if attrs.get("id")]
    assert len(ids) == len(set(ids))  # anchors are unique
    hrefs = [str(attrs["href"]) for tag, attrs in found if tag == "a"]
    fragments = [href for href in hrefs if href.startswith("#")]
    assert len(fragments) >= 10
    assert not [href for href in fragments if href[1:] not in ids]


def test_every_check_and_finding_has_an_anchor(covered: RunResult) -> None:
    html = render(covered, "html")
    for index, ran in enumerate(covered.checks):
        anchors = re.findall(rf'id="check-{index}-[^"]*"', html)
        assert len([a for a in anchors if "-finding-" not in a]) == 1, ran.id
    findings = re.findall(r'<li class="finding" id="([^"]+)">', html)
    assert findings == [
        "check-0-dedup-same-key-same-bot-finding-1",
        "check-1-robustness-no-5xx-finding-1",
        "check-2-ended-refused-finding-1",
        "check-3-rate-limit-budget-finding-1",
    ]


def test_skipped_checks_are_grouped_by_reason(result: RunResult) -> None:
    needs = "needs events: no state setup: give --state-url (provider states)"
    result.checks += [
        check("dedup", f"n-{n}", "dedup.shared-bot", Status.SKIPPED, reason=needs, offset=9 + n)
        for n in range(20)
    ]
    result.checks.append(
        check("errors", "credentials-401", "errors.auth", Status.SKIPPED, reason=None, offset=40)
    )
    html = render(result, "html")
    skipped = html[html.index('<h2 id="skipped">') : html.index('<h2 id="passed">')]
    groups = re.findall(r'<p class="skip-reason">(.*?)</p>', skipped)
    assert groups == [
        f"<b>20 checks:</b> {needs}",  # the biggest group first
        "<b>1 check:</b> no state setup: the target has no provider-state URL",
        "<b>1 check:</b> no reason given",
    ]
    assert skipped.count(needs) == 1  # said once for the 20
    first = skipped[skipped.index(needs) :]
    first = first[: first.index("</li>")]
    ids = re.findall(r'<code id="(check-\d+-[^"]+)" title="rule [^"]+">([^<]+)</code>', first)
    assert [check_id for _, check_id in ids] == [f"dedup::n-{n}" for n in range(20)]


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
    assert article.count('<li class="finding" id="check-1-robustness-no-5xx-finding-') == 20
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
