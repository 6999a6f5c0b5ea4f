"""Behaviour coverage and transient retries in words: the one summary phrase, the reasons told
apart by the engine's own wording, and every writer showing them (the section comes last)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from calbot.contracts.behaviours import BEHAVIOURS
from calbot.contracts.engine.coverage import coverage
from calbot.contracts.engine.registry import NO_SECOND_KEY, CheckSpec, RunOptions
from calbot.contracts.engine.runner import RATE_LIMIT_CONTRACT, run_check
from calbot.contracts.engine.state_setup import NoStates
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.outcomes import Incomplete, Outcome, SkipKind
from calbot.contracts.results import (
    CheckResult,
    Coverage,
    RunResult,
    Status,
    describe_retries,
)
from calbot.reports import render
from calbot.reports.coverage import (
    OTHER,
    by_edge,
    by_rule,
    coverage_summary,
    minimum_note,
    parse_min_coverage,
    why_not,
)
from calbot.reports.json_result import parse_result
from calbot.reports.markdown import BUDGET
from calbot.reports.retries import run_retries
from calbot.server import ServerConfig, create_app

SUMMARY = (
    "coverage: 2 of 6 behaviours exercised (33.3%); not exercised: 2 need a second API key, "
    "1 was not selected, 1 got no calendar event"
)
XSD = Path(__file__).parent / "data" / "JUnit.xsd"


# --- the words ------------------------------------------------------------------------------


def test_the_summary_phrase(covered: RunResult) -> None:
    assert coverage_summary(covered) == SUMMARY


def test_every_behaviour_exercised_says_so(covered: RunResult) -> None:
    covered.coverage = [dataclasses.replace(item, reason=None) for item in covered.coverage]
    assert coverage_summary(covered) == "coverage: 6 of 6 behaviours exercised (100%)"


def test_no_coverage_no_phrase(result: RunResult) -> None:
    assert coverage_summary(result) is None


def _spec(name: str, behaviour: str, contract: str = "fake") -> CheckSpec:
    return CheckSpec(contract, name, "errors.auth", lambda ctx: None, "", (behaviour,))


def _ran(
    spec: CheckSpec, status: Status, reason: str | None = None, requests: int = 0
) -> CheckResult:
    result = spec.result(status, reason)
    result.exercised = {spec.covers[0]: requests} if requests else {}
    return result


def test_the_reasons_are_told_apart_in_the_engines_own_words() -> None:
    """Whatever behaviours the catalogue holds: each reason the engine gives has its kind."""
    ids = [behaviour.id for behaviour in BEHAVIOURS]
    names = ["second", "unselected", "events", "errored", "exercised", "unreached", "budget"]
    specs = [_spec(name, behaviour) for name, behaviour in zip(names, ids, strict=False)]
    off = _spec("off", ids[len(specs)], RATE_LIMIT_CONTRACT)
    second, unselected, events, errored, exercised, unreached, budget = specs
    # The runner's own skip when the rate-limit contract is off (it sends nothing for it).
    target = Target(TargetConfig(app=create_app(ServerConfig())))
    turned_off = run_check(off, target, NoStates(), RunOptions(rate_limit_contract=False))
    assert target.activity.requests == 0
    results = [
        _ran(second, Status.SKIPPED, NO_SECOND_KEY),
        _ran(events, Status.SKIPPED, SkipKind.NEEDS_EVENTS.reason("no state setup")),
        _ran(errored, Status.ERROR, "ValueError: boom"),
        _ran(exercised, Status.PASSED, requests=4),
        _ran(unreached, Status.FAILED),
        _ran(budget, Status.SKIPPED, "the fragment documents no budget for POST"),
        turned_off,
    ]
    known = [*specs, off]
    items = coverage(known, [spec for spec in known if spec is not unselected], results)
    kinds = {item.behaviour: (why.key if (why := why_not(item)) else None) for item in items}
    assert [kinds[spec.covers[0]] for spec in known] == [
        "second-key",
        "not-selected",
        "no-events",
        "errored",
        None,
        "not-reached",
        "no-budget",
        "turned-off",
    ]
    assert {kinds[behaviour] for behaviour in ids[len(known) :]} <= {"no-check"}
    assert OTHER.key not in kinds.values()


def test_an_unknown_reason_is_another_reason_never_exercised() -> None:
    item = Coverage("x", "errors.auth", "", "typical", reason="something new")
    assert why_not(item) is OTHER
    run = RunResult("t", "0", "1", datetime(2026, 11, 24, tzinfo=UTC), coverage=[item, item])
    assert coverage_summary(run) == (
        "coverage: 0 of 2 behaviours exercised (0%); not exercised: 2 for other reasons"
    )


def test_groups_by_rule_and_counts_by_edge(covered: RunResult) -> None:
    groups = by_rule(covered.coverage)
    assert [(g.rule, g.exercised, len(g.items)) for g in groups] == [
        ("dedup.shared-bot", 2, 2),
        ("workspaces.isolated", 0, 2),
        ("ended.refused", 0, 1),
        ("override.replace", 0, 1),
    ]
    assert groups[0].text.startswith("Two events scheduled with the same deduplication_key")
    assert by_edge(covered) == [("typical", 2, 3), ("workspaces", 0, 2), ("time", 0, 1)]


@pytest.mark.parametrize(
    ("text", "value"),
    [("90", 90.0), ("90%", 90.0), (" 87.5 % ", 87.5), ("0", 0.0), ("100", 100.0)],
)
def test_min_coverage_values(text: str, value: float) -> None:
    assert parse_min_coverage(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("101", "not between 0 and 100"),
        ("-1", "not between 0 and 100"),
        ("nan", "not between 0 and 100"),
        ("ninety", "not a percentage"),
        ("", "not a percentage"),
    ],
)
def test_min_coverage_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_min_coverage(text)


def test_the_minimum_decides_only_when_asked(covered: RunResult) -> None:
    assert covered.verdict.value == "non-conformant"  # its checks failed
    covered.checks = [c for c in covered.checks if c.status is Status.PASSED]
    assert covered.exit_code == 0
    assert "not part of the verdict" in minimum_note(covered)
    covered.min_coverage = 30
    assert (covered.exit_code, minimum_note(covered)) == (0, "At least 30% was asked, and met.")
    covered.min_coverage = 90
    assert covered.exit_code == 1
    assert covered.coverage_shortfall() == "coverage 33.3% is below the minimum of 90%"
    assert covered.coverage_shortfall("--min-coverage") == (
        "coverage 33.3% is below --min-coverage 90%"
    )


def test_retries_in_words(covered: RunResult) -> None:
    assert describe_retries({}) == ""
    assert describe_retries({507: 3}) == "the server answered 507 three times; retried"
    assert describe_retries({"507": 4, "409": 1, "503": 2}) == (
        "the server answered 409 once, 503 twice and 507 4 times; retried"
    )
    assert run_retries(covered) == (
        "the server answered 409 once and 507 three times; retried (in 2 checks)"
    )


def test_the_engine_words_retries_from_the_same_place() -> None:
    from calbot.contracts.engine import retrying

    assert retrying.describe_retries is describe_retries


# --- every writer ---------------------------------------------------------------------------


def test_html_coverage_is_its_own_section_last(covered: RunResult) -> None:
    html = render(covered, "html")
    section = html[html.index('<section id="coverage">') : html.index("</section>")]
    assert html.index('<section id="coverage">') > html.index('<details class="passed">')
    assert html.index("</section>") < html.index("<footer>")
    for item in covered.coverage:
        assert f'id="behaviour-{item.behaviour}"' in section
    assert "✓ 3 requests" in section and "✓ 1 request<" in section
    assert f"not exercised: {covered.coverage[2].reason}".replace("'", "&#39;") in section
    assert "2 of 6 behaviours exercised (33.3%)" in section
    assert "not part of the verdict" in section
    assert "not endpoints" in section
    assert "<li>workspaces <b>0</b> of 2</li>" in section
    assert '<code>workspaces.isolated</code> <span class="tally">0 of 2 exercised</span>' in section


def test_html_verdict_block_says_coverage_and_retries(covered: RunResult) -> None:
    html = render(covered, "html")
    head = html[: html.index("</header>")]
    assert '<a href="#coverage">Coverage: 2 of 6 behaviours exercised (33.3%); not' in head
    assert (
        "Transient answers: the server answered 409 once and 507 three times; retried "
        "(in 2 checks)." in head
    )
    failed = html[html.index('id="check-0-') :]
    failed = failed[: failed.index("</article>")]
    assert '<p class="retried">the server answered 507 three times; retried</p>' in failed
    passed = html[html.index('<details class="passed">') :]
    assert "the server answered 409 once; retried" in passed


def test_html_below_the_minimum(covered: RunResult) -> None:
    covered.checks = [c for c in covered.checks if c.status is Status.PASSED]
    covered.min_coverage = 90
    html = render(covered, "html")
    assert ">Non-conformant</h1>" in html
    assert '<p class="summary">Coverage 33.3% is below the minimum of 90%.' in html
    assert "Coverage 33.3% is below the minimum of 90%: the run is non-conformant." in html


def test_html_without_coverage_says_it_was_not_measured(result: RunResult) -> None:
    html = render(result, "html")
    assert '<section id="coverage">' in html
    assert "Not measured: only calbot run and the pytest plugin measure coverage" in html
    assert 'id="coverage-summary"' not in html and 'id="retries"' not in html
    result.incomplete = Incomplete(Outcome.COULD_NOT_RUN, "the target refused the key")
    assert "Not measured: the run did not finish its checks." in render(result, "html")


def test_a_client_run_has_no_coverage_section(result: RunResult) -> None:
    result.kind = "client"
    assert 'id="coverage"' not in render(result, "html")
    assert "### Coverage" not in render(result, "md")


def test_markdown_summary_line_and_collapsed_list(covered: RunResult) -> None:
    md = render(covered, "md")
    assert f"\n{SUMMARY[:1].upper()}{SUMMARY[1:]} (listed under Coverage, below).\n" in md
    assert (
        "🔁 Transient answers: the server answered 409 once and 507 three times; retried "
        "(in 2 checks).\n\n- `dedup::same-key-same-bot`: the server answered 507 three times; "
        "retried\n- `errors::not-found`: the server answered 409 once; retried\n" in md
    )
    assert "🔁 The server answered 507 three times; retried." in md  # in the failed check
    section = md[md.index("### Coverage") : md.index("\n---\n<sub>")]
    assert md.index("### Coverage") > md.index("### Skipped")
    assert "<details><summary>Every behaviour, by rule</summary>" in section
    assert "**`workspaces.isolated`** 0 of 2" in section
    assert "- ✅ `dedup.across-events`: one key on two events gives one bot · 3 requests" in section
    assert (
        "- ⬜ `ended.moment-ago` _time_: an event that ended a moment ago is refused · "
        "not exercised: its checks were not selected for this run" in section
    )
    assert section.count("<details>") == section.count("</details>") == 1


def test_markdown_says_why_below_the_minimum(covered: RunResult) -> None:
    covered.checks = [c for c in covered.checks if c.status is Status.PASSED]
    covered.min_coverage = 90
    md = render(covered, "md")
    assert md.startswith(
        "## calbot: ❌ Non-conformant\n\n**Coverage 33.3% is below the minimum of 90%.**"
    )


def _many_behaviours(run: RunResult, count: int) -> RunResult:
    reason = "fake::check skipped: " + "z" * 400
    run.coverage = [
        Coverage(f"b.{n}", "errors.auth", "a behaviour " + "w" * 200, "time", reason=reason)
        for n in range(count)
    ]
    return run


def test_markdown_keeps_under_the_cap_with_a_huge_catalogue(huge: RunResult) -> None:
    run = _many_behaviours(dataclasses.replace(huge), 2000)
    md = render(run, "md")
    assert len(md) <= BUDGET + 1
    assert "Coverage: 0 of 2000 behaviours exercised (0%); not exercised: 2000 were skipped" in md
    assert md.count("<details>") == md.count("</details>")
    listed = re.search(r"_… (\d+) more behaviours \(exercised or not\)", md)
    assert listed and int(listed[1]) > 1900


def test_markdown_lists_what_was_not_exercised_first_when_short_of_room(
    covered: RunResult,
) -> None:
    run = _many_behaviours(covered, 300)
    run.coverage[:0] = [Coverage("ok.one", "errors.auth", "fine", "typical", requests=2)]
    md = render(run, "md")
    assert len(md) <= BUDGET + 1
    assert "Behaviours not exercised, by rule" in md
    assert "`ok.one`" not in md  # exercised ones are counted, not listed, at that level


def test_junit_properties_and_a_failing_case_below_the_minimum(covered: RunResult) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    root = etree.fromstring(render(covered, "junit").encode("utf-8"))
    assert schema.validate(root), schema.error_log
    for suite in root.findall("testsuite"):
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["calbot.coverage"] == SUMMARY
        assert properties["calbot.coverage_percent"] == "33.3"
        assert properties["calbot.transient_retries"].startswith("the server answered 409 once")
        assert "calbot.min_coverage" not in properties
    assert not root.xpath("//testcase[@name='coverage']")
    covered.min_coverage = 90
    root = etree.fromstring(render(covered, "junit").encode("utf-8"))
    assert schema.validate(root), schema.error_log
    [case] = root.xpath("//testcase[@classname='calbot' and @name='coverage']")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "coverage 33.3% is below the minimum of 90%"
    assert root.xpath("//property[@name='calbot.min_coverage']/@value")[0] == "90"


def test_junit_without_coverage_has_no_coverage_properties(result: RunResult) -> None:
    junit = render(result, "junit")
    assert "calbot.coverage" not in junit and "calbot.transient_retries" not in junit


def test_json_keeps_the_minimum_and_rendering_it_again_keeps_the_verdict(
    covered: RunResult,
) -> None:
    covered.checks = [c for c in covered.checks if c.status is Status.PASSED]
    covered.min_coverage = 87.5
    data = json.loads(render(covered, "json"))
    assert (data["min_coverage"], data["coverage_percent"]) == (87.5, 33.3)
    assert (data["verdict"], data["exit_code"]) == ("non-conformant", 1)
    assert data["checks"][0]["retried"] == {"409": 1}
    back = parse_result(render(covered, "json"))
    assert back.min_coverage == 87.5 and back.exit_code == 1
    assert "below the minimum of 87.5%" in render(back, "md")


def test_the_minimum_is_compared_exactly_not_after_rounding() -> None:
    from datetime import UTC, datetime

    from calbot.contracts.results import Coverage, RunResult

    items = [Coverage(f"b{i}", "dedup.shared-bot", "", "typical") for i in range(3)]
    items[2].reason = "not exercised"
    run = RunResult("t", "0", "0", datetime.now(UTC), coverage=items, min_coverage=66.7)
    assert run.coverage_percent == 66.7  # 2 of 3, rounded for display
    assert run.coverage_shortfall() == "coverage 66.7% is below the minimum of 66.7%"
    run.min_coverage = 66.6
    assert run.coverage_shortfall() is None
