"""The one record builder (`ledger.builder`): what a recorder observed becomes a record, masked
and cut to size; a proxy's record is the server's plus the proxy's own fields."""

from __future__ import annotations

from typing import Any

import pytest

from calbot.contracts.clients.ledger import SCHEDULE, UNSCHEDULE
from calbot.contracts.clients.ledger.builder import (
    BODY_TOO_LARGE,
    TOO_LARGE,
    Observed,
    Relayed,
    UnreadableBody,
    build_record,
)
from calbot.contracts.masking import masker

from .records import EVENT, PROXY_FIELDS, T0

KEY = "sk_live_secret_123"
MASK = masker((KEY,))
PATH = f"/api/v2/calendar-events/{EVENT}/bot/"
BODY = {"deduplication_key": "standup", "bot_config": {"bot_name": "x", "metadata": {"a": "b"}}}
ANSWER = {"id": EVENT, "start_time": "2030-01-02T10:00:00Z", "meeting_url": "https://x.test/m"}


def observed(**fields: Any) -> Observed:
    values: dict[str, Any] = {
        "arrived": T0,
        "method": "POST",
        "path": PATH,
        "status": 200,
        "workspace": "key1",
        "read_body": lambda: BODY,
        "answer": ANSWER,
    }
    return Observed(**{**values, **fields})


def test_a_schedule_keeps_its_body_facts_and_the_event() -> None:
    record = build_record(3, observed(), MASK)
    assert (record.seq, record.time, record.operation, record.resource) == (3, T0, SCHEDULE, EVENT)
    assert (record.validation, record.key, record.workspace) == ("valid", "standup", "key1")
    assert record.config_keys == ("bot_name", "metadata", "metadata.a")
    assert record.event == {k: ANSWER[k] for k in ("start_time", "meeting_url")}
    assert record.body == BODY and record.message is None


def test_a_relayed_exchange_differs_only_by_the_proxy_fields() -> None:
    relayed = Relayed("upstream", response=ANSWER, response_note=None, elapsed_ms=2.5)
    plain = build_record(1, observed(retry_after="2", fault="429:1"), MASK).to_json()
    proxied = build_record(
        1, observed(retry_after="2", fault="429:1", relayed=relayed), MASK
    ).to_json()
    assert {k: v for k, v in proxied.items() if k not in PROXY_FIELDS} == plain
    assert set(proxied) - set(plain) == {"answered_by", "response", "elapsed_ms"}


def test_only_a_schedule_body_is_read() -> None:
    def unread() -> object:
        raise AssertionError("the body of a request that is not a schedule was read")

    unschedule = build_record(1, observed(method="DELETE", read_body=unread), MASK)
    assert unschedule.operation == UNSCHEDULE and unschedule.validation is None
    other = build_record(1, observed(path="/_calbot/health", read_body=unread), MASK)
    assert other.operation is None and other.resource is None


def test_no_answer_from_the_upstream_is_no_api_answer() -> None:
    def unread() -> object:
        raise AssertionError("read")

    relayed = Relayed("proxy", upstream_error="connection refused")
    record = build_record(1, observed(status=502, read_body=unread, relayed=relayed), MASK)
    assert record.operation is None and record.resource == EVENT
    assert (record.answered_by, record.upstream_error) == ("proxy", "connection refused")
    assert record.event is None


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (TOO_LARGE, {"non_field_errors": [BODY_TOO_LARGE]}),
        (UnreadableBody.saying(f"bad {KEY}"), {"non_field_errors": ["bad ****"]}),
        (UnreadableBody({"bot_config": [KEY]}), {"bot_config": ["****"]}),
    ],
)
def test_an_unreadable_body_is_invalid_with_why(body: object, errors: dict[str, Any]) -> None:
    record = build_record(1, observed(status=400, read_body=lambda: body, answer={}), MASK)
    assert (record.validation, record.errors, record.body) == ("invalid", errors, None)


def test_every_text_is_masked() -> None:
    schedule = observed(
        read_body=lambda: {**BODY, "deduplication_key": KEY, "note": f"key {KEY}"},
        answer={**ANSWER, "meeting_url": f"https://x.test/{KEY}", "detail": KEY},
        retry_after=KEY,
        fault=KEY,
    )
    line = build_record(1, schedule, MASK).to_line()
    # the body twice, the key, the event, Retry-After, the message, the fault
    assert KEY not in line and line.count("****") == 7
    pasted = observed(method=f"GET{KEY}", path=f"/api/v2/calendar-events/{KEY}/")
    line = build_record(1, pasted, MASK).to_line()
    assert KEY not in line and '"method":"GET****"' in line


def test_the_method_and_the_path_are_cut() -> None:
    record = build_record(1, observed(method="X" * 50, path="/" + "p" * 1000), MASK)
    assert len(record.method) == 20 and len(record.path) == 300


def test_the_event_only_from_a_successful_schedule_answer() -> None:
    assert build_record(1, observed(status=400), MASK).event is None
    assert build_record(1, observed(answer={}), MASK).event is None
    assert build_record(1, observed(method="DELETE"), MASK).event is None
