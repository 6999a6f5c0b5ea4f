"""The one ledger view (`calbot.contracts.clients.view`): the origin, the requests per call, the
heading a finding names a request by, the finding, a rule's check and the run; shared by the
client rules and the upstream's passive verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calbot.contracts.clients.ledger import SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.clients.verify import check_ledger
from calbot.contracts.clients.view import (
    LedgerView,
    judged,
    ledger_run,
    record_exchange,
)
from calbot.contracts.results import Exchange, Status
from calbot.contracts.rules import RULES_BY_ID, source_of
from calbot.contracts.traffic.verdict import check_traffic

from .records import T0, A, B, Records


def test_the_origin_is_the_first_record_and_calls_group_the_api_requests() -> None:
    records = Records()
    first = records.add(0)
    records.add(1, resource=B)
    records.add(2, operation=UNSCHEDULE)
    records.add(3, workspace="key2")
    records.add(4)
    other = LedgerRecord(seq=6, time=T0, method="GET", path="/_calbot/health", status=200)
    view = LedgerView([*records.records, other])
    assert view.origin == first.time and len(view.all) == 6
    assert other not in view.requests and len(view.requests) == 5
    assert [r.seq for r in view.calls[("default", SCHEDULE, A)]] == [1, 5]
    assert set(view.calls) == {
        ("default", SCHEDULE, A),
        ("default", SCHEDULE, B),
        ("default", UNSCHEDULE, A),
        ("key2", SCHEDULE, A),
    }


def test_an_empty_ledger_starts_now() -> None:
    before = datetime.now(UTC)
    assert before <= LedgerView([]).origin <= datetime.now(UTC)


def test_the_heading_names_the_request() -> None:
    records = Records()
    records.add(0)
    late = records.add(1.25, 429, retry_after="1")
    view = LedgerView(records.records)
    assert (view.seconds(late), view.at(late)) == (1.25, "#2 +1.250s")
    assert view.heading(late) == f"#2 +1.250s POST /api/v2/calendar-events/{A}/bot/ → 429"


def test_a_finding_names_its_request_and_rests_on_the_related_ones() -> None:
    records = Records()
    throttled = records.add(0, 429, retry_after="2", fault="429:1")
    early = records.add(0.5, body={"deduplication_key": "k"})
    view = LedgerView(records.records)
    finding = view.finding(
        "client.retry-after",
        early,
        "too early",
        expected="later",
        actual="now",
        signature="early",
        related=[throttled],
    )
    assert finding.message == f"{view.heading(early)}: too early"
    assert (finding.operation, finding.signature, finding.curl) == (SCHEDULE, "early", None)
    assert finding.source == source_of("client.retry-after") != ""
    assert finding.exchanges == [record_exchange(throttled), record_exchange(early)]
    assert finding.exchanges[0].response_headers == {
        "Retry-After": "2",
        "X-Calbot-Fault": "429:1",
    }
    assert finding.exchanges[1].request_body == '{"deduplication_key": "k"}'
    own = Exchange("POST", "http://x", None, 200)
    told = view.finding(
        "schema.responses",
        early,
        "w",
        expected="e",
        actual="a",
        signature="s",
        exchanges=[own],
        curl="curl x",
    )
    assert (told.exchanges, told.curl) == ([own], "curl x")


def test_a_rules_check_from_its_findings() -> None:
    records = Records()
    finding = LedgerView(records.records).finding(
        "ended.refused", records.add(0), "w", expected="e", actual="a", signature="s"
    )
    must, should = RULES_BY_ID["ended.refused"], RULES_BY_ID["errors.not-found"]
    assert judged("c", "n", must, None, needs="x", started_at=T0).reason == "not exercised: x"
    assert judged("c", "n", must, None, needs="x", started_at=T0).status is Status.SKIPPED
    assert judged("c", "n", must, [], needs="x", started_at=T0).status is Status.PASSED
    failed = judged("c", "n", must, [finding], needs="x", started_at=T0)
    assert (failed.status, failed.findings, failed.rule) == (
        Status.FAILED,
        [finding],
        "ended.refused",
    )
    # the findings' rules decide, as in the active checks: MUST fails, SHOULD only warns
    inferred = LedgerView(records.records).finding(
        "errors.not-found", records.add(1), "w", expected="e", actual="a", signature="s"
    )
    assert judged("c", "n", should, [inferred], needs="x", started_at=T0).status is Status.WARNING
    assert judged("c", "n", must, [inferred], needs="x", started_at=T0).status is Status.WARNING
    assert judged("c", "n", should, [finding], needs="x", started_at=T0).status is Status.FAILED


def test_a_run_on_a_ledger_lasts_from_its_first_record_to_its_last() -> None:
    records = Records()
    records.add(0)
    records.add(2.5)
    run = ledger_run(records.records, [], kind="client", target="t", strict=True, options={})
    assert (run.started_at, run.duration, run.kind, run.target) == (T0, 2.5, "client", "t")
    empty = ledger_run([], [], kind="server", target="t", strict=False, options={"a": 1})
    assert empty.duration == 0.0 and empty.options == {"a": 1}


def test_the_client_rules_and_the_traffic_verdict_name_a_request_alike() -> None:
    """One answer both judge (a 429 without Retry-After, never sent again) gets one heading."""
    throttled = LedgerRecord(
        seq=1,
        time=T0 + timedelta(seconds=1),
        method="POST",
        path=f"/api/v2/calendar-events/{A}/bot/",
        status=429,
        operation=SCHEDULE,
        resource=A,
        answered_by="upstream",
    )
    first = LedgerRecord(seq=0, time=T0, method="GET", path="/", status=200)
    records = [first, throttled]
    client = {c.rule: c for c in check_ledger(records)}["client.retries-throttled"]
    server = {c.rule: c for c in check_traffic(records)}["rate-limit.throttle"]
    heading = f"#1 +1.000s POST /api/v2/calendar-events/{A}/bot/ → 429: "
    assert client.findings[0].message.startswith(heading)
    assert server.findings[0].message.startswith(heading)
