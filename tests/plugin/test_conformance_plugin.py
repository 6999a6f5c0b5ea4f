"""The pytest plugin end to end: pytester runs against reference servers, good and broken."""

from __future__ import annotations

import glob
import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from calbot.conformance import Setting
from calbot.contracts.domain.model import ENDED_MESSAGE, envelope
from calbot.contracts.engine.runner import RATE_LIMIT_CONTRACT, all_checks
from calbot.contracts.engine.state_setup import NoStates, StateUnavailable
from calbot.contracts.results import CheckResult, Finding, Level, Status
from calbot.pytest.settings import FLAGS, flag
from calbot.pytest.xdist import dump_check, load_check
from calbot.reports import FILENAMES
from calbot.reports.json_result import schema_errors
from calbot.server import Handler, Request, Response, ServerConfig, running
from calbot.spec.throttles import RateLimit

BUDGET = RateLimit(100, 1.0)
API_KEY = "calbot-plugin-test-key-5f1c"
SECOND_API_KEY = "calbot-plugin-second-key-9d2e"  # another workspace's
REPORTS = sorted(FILENAMES.values())
# Every contract is imported here, before any pytester run: those runs drop the modules they
# import, and a contract module imported again would register its checks twice.
CHECKS = all_checks()
ITEM_IDS = [
    *(f"calbot::test_calbot[{c.id}]" for c in CHECKS if c.contract != RATE_LIMIT_CONTRACT),
    f"calbot::test_calbot[{RATE_LIMIT_CONTRACT}]",
]
Hook = Callable[[Request, Handler], Response]


def calbot_args(url: str, *extra: str) -> list[str]:
    """The options of a quick run against the reference server at `url`."""
    return [
        f"--calbot-url={url}",
        "--calbot-state-url=/_calbot/states",
        f"--calbot-rate-limit={BUDGET}",
        "--calbot-max-examples=5",
        "--calbot-seed=7",
        "-p",
        "no:cacheprovider",
        *extra,
    ]


def junit_cases(path: Path) -> dict[str | None, ElementTree.Element]:
    return {case.get("name"): case for case in ElementTree.parse(path).iter("testcase")}


@pytest.fixture
def server_url() -> Iterator[str]:
    """A reference server with the short test budget and no API keys."""
    with running(ServerConfig(rate_limit=BUDGET)) as url:
        yield url


@pytest.fixture
def keyed_server_url() -> Iterator[str]:
    """A reference server that requires API_KEY (or SECOND_API_KEY: another workspace)."""
    with running(ServerConfig(rate_limit=BUDGET, api_keys=(API_KEY, SECOND_API_KEY))) as url:
        yield url


@pytest.fixture
def mutant_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A reference server whose answers the parametrised hook rewrites."""
    hook: Hook = request.param
    with running(ServerConfig(rate_limit=BUDGET, hooks=(hook,))) as url:
        yield url


@pytest.fixture
def closed_url() -> str:
    """A URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def ordinary(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with one ordinary test."""
    pytester.makepyfile(test_ordinary="def test_ordinary():\n    assert True\n")
    return pytester


def ended_wrong_body(request: Request, following: Handler) -> Response:
    """The ended-event 400 with another message than Recall's."""
    response = following(request)
    errors = response.body.get("errors") if response.status == 400 else None
    if isinstance(errors, dict) and errors.get("non_field_errors") == [ENDED_MESSAGE]:
        return Response(400, envelope({"non_field_errors": ["The calendar event is over."]}))
    return response


def plain_404(request: Request, following: Handler) -> Response:
    """404s without DRF's {"detail": ...} body (a SHOULD-level rule)."""
    response = following(request)
    if response.status == 404:
        return Response(404, {"error": "no such thing"})
    return response


def test_without_calbot_url_nothing_is_collected(ordinary: pytest.Pytester) -> None:
    collected = ordinary.runpytest("--collect-only", "-q")
    assert collected.ret == 0
    assert "calbot" not in collected.stdout.str()
    assert collected.stdout.lines[0] == "test_ordinary.py::test_ordinary"
    ordinary.runpytest().assert_outcomes(passed=1)
    markers = ordinary.runpytest("--markers").stdout.str()
    assert "@pytest.mark.calbot_relaxed: do not fail the test on client-rule violations" in markers


def test_collects_one_item_per_check_with_stable_ids(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    result = ordinary.runpytest(*calbot_args(server_url), "--collect-only", "-q")
    assert result.ret == 0
    ids = [line for line in result.stdout.lines if "::" in line]
    assert ids == ["test_ordinary.py::test_ordinary", *ITEM_IDS]
    assert f"{len(ITEM_IDS) + 1} tests collected" in result.stdout.str()


def test_the_rate_limit_item_stays_last_when_a_plugin_reorders(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    ordinary.makeconftest("def pytest_collection_modifyitems(items):\n    items.reverse()\n")
    result = ordinary.runpytest(*calbot_args(server_url), "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert ids == [*reversed(ITEM_IDS[:-1]), "test_ordinary.py::test_ordinary", ITEM_IDS[-1]]


def test_k_selects_only_the_dedup_checks_and_they_pass(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    result = ordinary.runpytest(*calbot_args(server_url), "-k", "dedup", "-v")
    dedup = [item for item in ITEM_IDS if "[dedup::" in item]
    assert len(dedup) >= 3
    result.assert_outcomes(passed=len(dedup), deselected=len(ITEM_IDS) + 1 - len(dedup))
    result.stdout.fnmatch_lines([f"{glob.escape(item)} PASSED*" for item in dedup])


def test_full_run_passes_and_writes_four_masked_reports(
    ordinary: pytest.Pytester, keyed_server_url: str
) -> None:
    keys = (f"--calbot-api-key={API_KEY}", f"--calbot-second-api-key={SECOND_API_KEY}")
    args = calbot_args(keyed_server_url, *keys)
    result = ordinary.runpytest(*args, "--calbot-report-dir=out", "--junitxml=junit.xml", "-v")
    result.assert_outcomes(passed=len(ITEM_IDS) + 1)
    output = result.stdout.str()
    assert f"calbot: conformant · {len(CHECKS)} checks: {len(CHECKS)} passed" in output
    assert output.index("calbot::test_calbot[stateful::") < output.index("[rate_limit]")
    out = ordinary.path / "out"
    assert sorted(path.name for path in out.iterdir()) == REPORTS
    data = json.loads((out / FILENAMES["json"]).read_text())
    assert schema_errors(data) == []
    assert data["verdict"] == "conformant"
    assert [check["id"] for check in data["checks"]] == [check.id for check in CHECKS]
    assert data["options"]["runner"] == "pytest"
    for text in [output, (ordinary.path / "junit.xml").read_text()] + [
        path.read_text() for path in out.iterdir()
    ]:
        assert API_KEY not in text
        assert SECOND_API_KEY not in text


def test_the_plugin_leaves_no_hypothesis_folder_in_the_project(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    """calbot's generated checks keep Hypothesis' files in a temporary folder (a subprocess:
    this session's own Hypothesis home would hide the difference)."""
    result = ordinary.runpytest_subprocess(*calbot_args(server_url), "-k", "schema or stateful")
    ran = [check for check in CHECKS if check.contract in ("schema", "stateful")]
    result.assert_outcomes(passed=len(ran))
    assert not (ordinary.path / ".hypothesis").exists()


def _leak_bots(request: Request, following: Handler) -> Response:
    """Gives any bot to any workspace's key (the reference server's 404 becomes the bot)."""
    response = following(request)
    if request.path.startswith("/api/v1/bot/") and response.status == 404:
        return Response(200, {"id": request.path.split("/")[-2], "bot_name": "leaked"})
    return response


def test_a_workspace_finding_masks_both_keys(ordinary: pytest.Pytester) -> None:
    config = ServerConfig(
        rate_limit=BUDGET, api_keys=(API_KEY, SECOND_API_KEY), hooks=(_leak_bots,)
    )
    with running(config) as url:
        keys = (f"--calbot-api-key={API_KEY}", f"--calbot-second-api-key={SECOND_API_KEY}")
        args = calbot_args(url, *keys, "-k", "bots-not-readable-across", "--calbot-report-dir=out")
        result = ordinary.runpytest(*args)
    result.assert_outcomes(failed=1, deselected=len(ITEM_IDS))  # the ordinary test too
    output = result.stdout.str()
    assert "[workspaces.isolated]" in output
    assert "authorization: token ****" in output.lower()  # the curl, masked
    for text in [output] + [path.read_text() for path in (ordinary.path / "out").iterdir()]:
        assert API_KEY not in text
        assert SECOND_API_KEY not in text


@pytest.mark.parametrize("mutant_url", [ended_wrong_body], indirect=True)
def test_a_broken_rule_fails_readably_and_in_junit(
    ordinary: pytest.Pytester, mutant_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the short summary line in full
    args = calbot_args(mutant_url, "-k", "ended", "--junitxml=junit.xml")
    result = ordinary.runpytest(*args)
    selected = [item for item in ITEM_IDS if "ended" in item]
    # the body is wrong for an event that ended a day ago and for one that ended a moment ago
    failed = 2
    result.assert_outcomes(
        failed=failed, passed=len(selected) - failed, deselected=len(ITEM_IDS) + 1 - len(selected)
    )
    failing = "calbot::test_calbot[ended::refused-with-documented-body]"
    result.stdout.fnmatch_lines(
        [
            "*_ test_calbot[[]ended::refused-with-documented-body[]] _*",
            "ended::refused-with-documented-body FAILED · MUST rule ended.refused",
            "  1 finding:",
            "  1. [[]ended.refused[]] *",
            "     operation: POST /api/v2/calendar-events/{id}/bot/",
            "     expected: *Cannot schedule bot as calendar event has ended.*",
            "     actual: *The calendar event is over.*",
            "     reproduce: curl -sS -X POST http://127.0.0.1:*/api/v2/calendar-events/*/bot/ *",
            f"FAILED {glob.escape(failing)} - the ended-event body differs*",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "calbot/pytest/" not in output
    by_name = junit_cases(ordinary.path / "junit.xml")
    failed = by_name["test_calbot[ended::refused-with-documented-body]"]
    assert failed.get("classname") == "calbot"
    failure = failed.find("failure")
    assert failure is not None and "The calendar event is over." in (failure.text or "")
    assert by_name["test_calbot[ended::nothing-changes]"].find("failure") is None


@pytest.mark.parametrize("mutant_url", [ended_wrong_body], indirect=True)
def test_x_stops_after_the_first_failure(ordinary: pytest.Pytester, mutant_url: str) -> None:
    result = ordinary.runpytest(*calbot_args(mutant_url), "-x", "-k", "ended or delete")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])


@pytest.mark.parametrize("mutant_url", [plain_404], indirect=True)
def test_a_should_rule_warns_and_fails_only_when_strict(
    ordinary: pytest.Pytester, mutant_url: str
) -> None:
    args = calbot_args(mutant_url, "-k", "detail-bodies")
    result = ordinary.runpytest(*args)
    result.assert_outcomes(passed=1, deselected=len(ITEM_IDS), warnings=1)
    result.stdout.fnmatch_lines(
        ["*CalbotWarning: errors::detail-bodies WARNING · SHOULD rule errors.bodies*"]
    )
    strict = ordinary.runpytest(*args, "--calbot-strict")
    strict.assert_outcomes(failed=1, deselected=len(ITEM_IDS))


def test_unreachable_target_is_one_clear_error(ordinary: pytest.Pytester, closed_url: str) -> None:
    result = ordinary.runpytest(*calbot_args(closed_url))
    result.assert_outcomes(passed=1, errors=1, skipped=len(ITEM_IDS) - 1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_calbot[[]schema::responses-conform[]]*",
            f"calbot could not reach the target: *cannot reach {closed_url}*",
            "Check --calbot-url and that the server is running*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_refused_key_is_one_clear_error_not_findings(
    ordinary: pytest.Pytester, keyed_server_url: str
) -> None:
    """The user's wrong key is not the server's non-conformance (issue 12)."""
    result = ordinary.runpytest(*calbot_args(keyed_server_url, "--calbot-api-key=WRONG"))
    result.assert_outcomes(passed=1, errors=1, skipped=len(ITEM_IDS) - 1)
    result.stdout.fnmatch_lines(
        [
            "*calbot could not run: the target refuses the API key given (GET *answered 401*",
            "Check --calbot-url and --calbot-api-key*",
        ]
    )
    assert "WRONG" not in result.stdout.str()


def test_a_mistyped_state_url_is_an_error_not_a_skip(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    """A state URL answering 404 is broken, not "this state is not supported" (issue 12)."""
    args = calbot_args(server_url, "--calbot-state-url=/_calbot/wrong", "-k", "dedup")
    result = ordinary.runpytest(*args)
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) == 3 and not outcomes.get("skipped"), outcomes
    result.stdout.fnmatch_lines(["*state setup failed: the state URL *_calbot/wrong answered 404*"])


def test_checks_without_events_skip_or_with_require_state_error(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    args = [a for a in calbot_args(server_url) if not a.startswith("--calbot-state-url")]
    skipped = ordinary.runpytest(*args, "-k", "dedup", "-rs")
    skipped.assert_outcomes(skipped=3, deselected=len(ITEM_IDS) - 2)
    skipped.stdout.fnmatch_lines(["SKIPPED [[]3[]] calbot:0: needs events: *--calbot-state-url*"])
    assert " --state-url" not in skipped.stdout.str()
    errors = ordinary.runpytest(*args, "-k", "dedup", "--calbot-require-state")
    errors.assert_outcomes(errors=3, deselected=len(ITEM_IDS) - 2)
    errors.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_calbot[[]dedup::same-key-same-bot[]]*",
            "dedup::same-key-same-bot ERROR · MUST rule dedup.shared-bot",
            "*reason: needs events: no state setup*",
            "ERROR calbot::test_calbot[[]dedup::same-key-same-bot[]] - needs events*",
        ]
    )
    assert "Traceback" not in errors.stdout.str()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--calbot-rate-limit=lots", "--calbot-rate-limit: 'lots' is not N/PERIOD"),
        ("--calbot-contracts=dedup,nonsense", "--calbot-contracts: unknown contract nonsense"),
        ("--calbot-max-examples=0", "--calbot-max-examples: must be at least 1"),
        ("--calbot-event=someday=abc", "--calbot-event 'someday=abc': use KIND=ID"),
    ],
)
def test_bad_options_are_usage_errors(
    ordinary: pytest.Pytester, closed_url: str, option: str, message: str
) -> None:
    result = ordinary.runpytest(*calbot_args(closed_url), option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_xdist_workers_share_one_report(
    ordinary: pytest.Pytester, keyed_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALBOT_API_KEY", API_KEY)
    monkeypatch.setenv("CALBOT_SECOND_API_KEY", SECOND_API_KEY)
    args = ["-n", "2", "--calbot-report-dir=out", "--junitxml=junit.xml"]
    result = ordinary.runpytest_subprocess(*calbot_args(keyed_server_url, *args), timeout=120)
    result.assert_outcomes(passed=len(ITEM_IDS) + 1)
    texts = [result.stdout.str(), (ordinary.path / "junit.xml").read_text()]
    texts += [path.read_text() for path in (ordinary.path / "out").iterdir()]
    assert all(API_KEY not in text and SECOND_API_KEY not in text for text in texts)
    data = json.loads((ordinary.path / "out" / FILENAMES["json"]).read_text())
    assert schema_errors(data) == []
    assert data["options"]["workers"] == 2
    assert [check["id"] for check in data["checks"]] == [check.id for check in CHECKS]
    assert {check["status"] for check in data["checks"]} == {"passed"}
    # what each worker exercised reaches the controller's coverage
    spent = [check["exercised"] for check in data["checks"]]
    for item in data["coverage"]:
        assert item["requests"] == sum(used.get(item["behaviour"], 0) for used in spent)
    assert data["coverage_percent"] > 0
    names = set(junit_cases(ordinary.path / "junit.xml"))
    assert {item.split("::", 1)[1] for item in ITEM_IDS} <= names


def test_rate_limit_checks_are_one_item_matching_each_check_name(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    result = ordinary.runpytest(
        *calbot_args(server_url), "--collect-only", "-q", "-k", "at-the-budget"
    )
    assert [line for line in result.stdout.lines if "::" in line] == [ITEM_IDS[-1]]
    turned_off = ordinary.runpytest(
        *calbot_args(server_url), "-k", "rate_limit", "-rs", "--calbot-no-rate-limit"
    )
    turned_off.assert_outcomes(skipped=1, deselected=len(ITEM_IDS))
    turned_off.stdout.fnmatch_lines(
        ["*the rate-limit contract is turned off (--calbot-no-rate-limit)"]
    )


def test_results_travel_as_plain_data() -> None:
    check = CheckResult(
        "dedup",
        "same-key-same-bot",
        "dedup.shared-bot",
        Level.MUST,
        Status.FAILED,
        findings=[Finding("dedup.shared-bot", "different bots", count=2)],
        started_at=datetime(2030, 1, 1, tzinfo=UTC),
        duration=0.5,
    )
    data = dump_check(check)
    assert json.loads(json.dumps(data)) == data
    assert load_check(data) == check


def test_reasons_name_the_plugins_options() -> None:
    """The engine names a setting; the plugin spells it as its option (no rewriting)."""
    with pytest.raises(StateUnavailable) as caught:
        NoStates(flag).create_event("upcoming", {})
    assert "give --calbot-state-url (provider states) or existing event ids with " in str(
        caught.value
    )
    assert "--calbot-event KIND=ID" in str(caught.value)
    assert {flag(setting) for setting in Setting} == set(FLAGS.values())


def test_report_dir_unused_when_no_calbot_item_ran(
    ordinary: pytest.Pytester, server_url: str
) -> None:
    result = ordinary.runpytest(
        *calbot_args(server_url), "-m", "not calbot", "--calbot-report-dir=out"
    )
    result.assert_outcomes(passed=1, deselected=len(ITEM_IDS))
    assert not (ordinary.path / "out").exists()


def test_the_coverage_line_and_the_minimum(ordinary: pytest.Pytester, server_url: str) -> None:
    dedup = [item for item in ITEM_IDS if "[dedup::" in item]
    plain = ordinary.runpytest(*calbot_args(server_url), "-k", "dedup")
    assert plain.ret == pytest.ExitCode.OK
    plain.stdout.fnmatch_lines(
        ["calbot coverage: * of * behaviours exercised (*%); not exercised: * were not selected*"]
    )
    args = calbot_args(server_url, "-k", "dedup", "--calbot-min-coverage=90%")
    below = ordinary.runpytest(*args, "--calbot-report-dir=out")
    below.assert_outcomes(passed=len(dedup), deselected=len(ITEM_IDS) + 1 - len(dedup))
    assert below.ret == pytest.ExitCode.TESTS_FAILED
    below.stdout.fnmatch_lines(
        ["*calbot: non-conformant · coverage *% is below --calbot-min-coverage 90% · *"]
    )
    data = json.loads((ordinary.path / "out" / FILENAMES["json"]).read_text())
    assert schema_errors(data) == []
    assert (data["min_coverage"], data["verdict"], data["exit_code"]) == (90, "non-conformant", 1)
    exercised = {item["behaviour"] for item in data["coverage"] if item["exercised"]}
    assert exercised and all(name.startswith("dedup.") for name in exercised)
    bad = ordinary.runpytest(*calbot_args(server_url), "--calbot-min-coverage=120")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--calbot-min-coverage: '120' is not between 0 and 100" in bad.stderr.str()
