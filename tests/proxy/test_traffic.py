"""The passive checks on hand-written ledger records: the latitude the docs leave is kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calbot.contracts.clients.ledger import GET_BOT, GET_EVENT, SCHEDULE, LedgerRecord
from calbot.contracts.domain.model import ENDED_BODY
from calbot.contracts.results import Status
from calbot.contracts.traffic.verdict import check_traffic, traffic_result

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
EVENT_ID = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
BOT_ID = "9f0e2b1c-3333-4d5e-8f90-aabbccddeeff"
ZOOM = "https://zoom.us/j/84315220467?pwd=abc123"


def event(url: str | None = ZOOM, *, end: datetime = T0 + timedelta(days=1)) -> dict[str, Any]:
    return {
        "id": EVENT_ID,
        "start_time": "2030-01-02T09:00:00Z",
        "end_time": end.isoformat().replace("+00:00", "Z"),
        "calendar_id": "5d2f0c3a-2222-4b1c-8d4e-abcdefabcdef",
        "raw": {},
        "platform": "google_calendar",
        "platform_id": "p",
        "ical_uid": "u",
        "meeting_platform": "zoom",
        "meeting_url": url,
        "created_at": "2029-12-01T10:00:00Z",
        "updated_at": "2029-12-01T10:00:00Z",
        "is_deleted": False,
        "bots": [
            {
                "bot_id": BOT_ID,
                "start_time": "2030-01-02T09:00:00Z",
                "deduplication_key": "k",
                "meeting_url": url,
            }
        ],
    }


def answer(seq: int, operation: str, status: int, response: Any, **fields: Any) -> LedgerRecord:
    method, _, template = operation.partition(" ")
    resource = BOT_ID if operation == GET_BOT else EVENT_ID
    values: dict[str, Any] = {
        "seq": seq,
        "time": T0 + timedelta(seconds=seq),
        "method": method,
        "path": template.replace("{id}", resource),
        "status": status,
        "operation": operation,
        "resource": resource,
        "answered_by": "upstream",
        "response": response,
        "validation": "valid" if operation == SCHEDULE else None,
    }
    values.update(fields)
    return LedgerRecord(**values)


def bot(meeting_url: object) -> dict[str, Any]:
    return {"id": BOT_ID, "join_at": None, "metadata": {}, "meeting_url": meeting_url}


def statuses(records: list[LedgerRecord]) -> dict[str, Status]:
    return {check.rule: check.status for check in check_traffic(records)}


def test_a_retry_after_date_is_usable_and_a_missing_one_is_not() -> None:
    date = "Tue, 01 Jan 2030 09:00:30 GMT"
    fine = answer(1, GET_EVENT, 429, {"detail": "x"}, retry_after=date)
    missing = answer(2, GET_EVENT, 429, {"detail": "x"})
    assert statuses([fine])["rate-limit.throttle"] is Status.PASSED
    assert statuses([fine, missing])["rate-limit.throttle"] is Status.FAILED


@pytest.mark.parametrize(
    ("url", "value", "status"),
    [
        (
            ZOOM,
            {"meeting_id": "84315220467", "meeting_password": "abc123", "platform": "zoom"},
            Status.PASSED,
        ),
        (ZOOM, None, Status.PASSED),  # cleared once the bot joined
        (ZOOM, ZOOM, Status.FAILED),
        (ZOOM, {"meeting_id": "1", "meeting_password": None, "platform": "zoom"}, Status.FAILED),
        ("https://example.com/a-link-no-pattern-covers", "https://example.com/x", Status.SKIPPED),
    ],
)
def test_the_bot_object_is_judged_only_for_covered_link_forms(
    url: str, value: object, status: Status
) -> None:
    records = [answer(1, SCHEDULE, 200, event(url)), answer(2, GET_BOT, 200, bot(value))]
    assert statuses(records)["meeting_url.bot-object"] is status


def test_the_ended_body_is_checked_exactly_and_a_throttle_says_nothing() -> None:
    ended = event(end=T0 - timedelta(hours=1))
    seen = answer(1, GET_EVENT, 200, ended)
    exact = answer(2, SCHEDULE, 400, ENDED_BODY)
    throttled = answer(3, SCHEDULE, 429, {"detail": "x"}, retry_after="1")
    reworded = answer(4, SCHEDULE, 400, {**ENDED_BODY, "message": "Other words."})
    assert statuses([seen, exact, throttled])["ended.refused"] is Status.PASSED
    assert statuses([seen, exact, reworded])["ended.refused"] is Status.FAILED
    accepted = answer(5, SCHEDULE, 200, ended)
    assert statuses([seen, accepted])["ended.refused"] is Status.FAILED


def test_an_invalid_request_of_a_doubtful_kind_is_not_judged() -> None:
    number_key = answer(
        1,
        SCHEDULE,
        200,
        event(),
        validation="invalid",
        errors={"deduplication_key": ["Not a valid string."]},
    )
    assert statuses([number_key])["schema.invalid-requests"] is Status.SKIPPED  # DRF coerces it
    blank = dataclasses.replace(
        number_key, errors={"deduplication_key": ["This field may not be blank."]}
    )
    assert statuses([blank])["schema.invalid-requests"] is Status.FAILED


def test_extra_fields_pass_and_a_wrong_type_fails_with_a_curl() -> None:
    extra = answer(1, GET_EVENT, 200, {**event(), "something_new": [1, 2]})
    assert statuses([extra])["schema.responses"] is Status.PASSED
    wrong = answer(2, GET_EVENT, 200, {**event(), "is_deleted": "false"})
    result = traffic_result([extra, wrong], upstream="https://api.example.com")
    (finding,) = result.findings()
    assert finding.rule == "schema.responses" and finding.message.startswith("#2 ")
    assert finding.curl and finding.curl.startswith(
        "curl -sS -X GET https://api.example.com/api/v2/"
    )
    assert result.exit_code == 1


def test_a_partly_unreachable_upstream_is_a_warning() -> None:
    fine = answer(1, GET_EVENT, 200, event())
    failed = dataclasses.replace(
        fine,
        seq=2,
        status=502,
        operation=None,
        answered_by="proxy",
        response=None,
        upstream_error="refused",
    )
    checks = {c.rule: c for c in check_traffic([fine, failed])}
    assert checks["traffic.upstream-answered"].status is Status.WARNING
    assert traffic_result([fine, failed]).exit_code == 0
    assert traffic_result([fine, failed], strict=True).exit_code == 1


def test_a_ledger_of_the_reference_server_without_answer_bodies_is_not_judged_on_them() -> None:
    plain = dataclasses.replace(answer(1, GET_EVENT, 200, None), answered_by=None)
    checks = statuses([plain])
    assert checks["schema.responses"] is Status.PASSED  # documented status; no body to judge
    assert checks["meeting_url.event-string"] is Status.SKIPPED


def schedule(seq: int, config: dict[str, Any], answer_body: dict[str, Any]) -> LedgerRecord:
    sent = {"deduplication_key": "k", "bot_config": config}
    return answer(seq, SCHEDULE, 200, answer_body, body=sent)


def test_defaults_are_judged_for_a_bot_of_one_event_only() -> None:
    read = answer(2, GET_BOT, 200, {**bot(None), "join_at": "2030-01-02T08:50:00Z"})
    alone = [schedule(1, {}, event()), read]
    assert statuses(alone)["defaults.from-event"] is Status.FAILED  # not the event's start
    other = {**event(), "id": "1b8c7f5e-1111-4a2b-9c3d-1234567890ab"}
    seen_elsewhere = answer(3, GET_EVENT, 200, other, resource=other["id"])
    shared = [schedule(1, {}, event()), read, seen_elsewhere]
    assert statuses(shared)["defaults.from-event"] is Status.SKIPPED  # dedup: another event's


def test_a_cleared_join_at_and_a_kept_config_pass() -> None:
    cleared = answer(2, GET_BOT, 200, bot(None))
    given = {"join_at": "2030-01-02T08:55:00+00:00"}
    fine = answer(3, GET_BOT, 200, {**bot(None), "join_at": "2030-01-02T08:55:00Z"})
    # null once the bot has joined: not held against the server
    assert statuses([schedule(1, {}, event()), cleared])["defaults.from-event"] is Status.PASSED
    assert statuses([schedule(1, given, event()), fine])["defaults.from-event"] is Status.PASSED


def test_an_override_that_keeps_a_dropped_metadata_key_is_a_merge() -> None:
    first = schedule(1, {"metadata": {"a": "1", "b": "2"}}, event())
    second = schedule(2, {"metadata": {"a": "1"}}, event())
    merged = answer(3, GET_BOT, 200, {**bot(None), "metadata": {"a": "1", "b": "2"}})
    replaced = answer(3, GET_BOT, 200, {**bot(None), "metadata": {"a": "1"}})
    assert statuses([first, second, merged])["override.replace"] is Status.FAILED
    assert statuses([first, second, replaced])["override.replace"] is Status.PASSED
    two_bots = {**event(), "bots": event()["bots"] * 2}
    assert statuses([answer(1, GET_EVENT, 200, two_bots)])["override.replace"] is Status.FAILED
