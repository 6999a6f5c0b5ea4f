"""The request ledger: the record format, JSONL in and out, and the recording hook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from calbot.contracts.clients.ledger import (
    MAX_STRING,
    SCHEDULE,
    LedgerError,
    LedgerRecord,
    config_paths,
    excerpt,
    parse_ledger,
    read_ledger,
    write_ledger,
)
from calbot.contracts.domain.model import ENDED_MESSAGE
from calbot.server import App, Request, ServerConfig, create_app
from calbot.server.faults import Faults, parse_fault
from calbot.server.recorder import Ledger

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
KEY = "sk_live_secret_123"
EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record(**fields: Any) -> LedgerRecord:
    values: dict[str, Any] = {
        "seq": 1,
        "time": T0,
        "method": "POST",
        "path": f"/api/v2/calendar-events/{EVENT}/bot/",
        "status": 200,
        "operation": SCHEDULE,
        "resource": EVENT,
        "validation": "valid",
        "key": "k",
        "config_keys": ("bot_name",),
        "body": {"deduplication_key": "k", "bot_config": {"bot_name": "x"}},
        "event": {"start_time": "2030-01-02T10:00:00Z", "meeting_url": None},
    }
    values.update(fields)
    return LedgerRecord(**values)


# --- the format ----------------------------------------------------------------------------------


def test_a_record_round_trips_through_one_ascii_line() -> None:
    original = record(key="clé \ud800", retry_after="2", fault="429:1", message="throttled")
    line = original.to_line()
    assert line.endswith("\n") and line.count("\n") == 1 and line.isascii()
    data = json.loads(line)
    assert list(data)[:4] == ["v", "seq", "time", "method"]
    assert data["v"] == 1 and data["time"] == "2030-01-01T09:00:00.000000Z"
    assert LedgerRecord.from_json(data) == original


def test_files_round_trip(tmp_path: Path) -> None:
    records = [record(seq=n, time=T0 + timedelta(seconds=n)) for n in range(1, 4)]
    write_ledger(records, tmp_path / "l.jsonl")
    assert read_ledger(tmp_path / "l.jsonl") == records


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1]", "l:2: not a JSON object"),
        ('{"v": 2}', "l:2: ledger version 2 (this calbot reads 1)"),
        ('{"v": 1, "seq": 1}', "l:2: missing field 'time'"),
        ('{"v": 1, "seq": "1", "time": "2030-01-01T00:00:00Z"}', "l:2: seq must be int, got str"),
        ('{"v": 1, "seq": 1, "time": "yesterday"}', "l:2: time 'yesterday' is not an RFC 3339"),
        ("{not json", "l:2: not JSON"),
    ],
)
def test_bad_lines_are_named(line: str, message: str) -> None:
    good = record().to_line()
    with pytest.raises(LedgerError) as caught:
        parse_ledger([good, line + "\n", good], source="l")
    assert str(caught.value).startswith(message)


def test_a_cut_off_last_line_is_dropped_and_blank_lines_skipped() -> None:
    good = record().to_line()
    assert parse_ledger([good, "\n", good[:40]]) == [record()]
    with pytest.raises(LedgerError):
        parse_ledger([good, good[:40] + "\n"])  # a complete line that is not JSON: an error


def test_excerpt_cuts_long_strings_big_containers_and_deep_nesting() -> None:
    value = {
        "long": "x" * 1000,
        "many": list(range(100)),
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}},
        "key": f"Token {KEY}",
    }
    cut, truncated = excerpt(value, [KEY])
    assert truncated
    assert cut["long"] == "x" * MAX_STRING + "… [700 more characters]"
    assert cut["many"] == list(range(50))
    assert cut["deep"]["a"]["b"]["c"]["d"]["e"]["f"] == {"g": "…"}
    assert cut["key"] == "Token ****"
    assert excerpt({"a": [1, None, True]}) == ({"a": [1, None, True]}, False)


def test_config_paths() -> None:
    config = {
        "bot_name": "x",
        "metadata": {"team": "a"},
        "recording_config": {"t": {"p": {"q": {}}}},
    }
    assert config_paths(config) == (
        "bot_name",
        "metadata",
        "metadata.team",
        "recording_config",
        "recording_config.t",
        "recording_config.t.p",
        "recording_config.t.p.q",
    )


# --- the hook ------------------------------------------------------------------------------------


def app_with(ledger: Ledger, *, keys: tuple[str, ...] = (KEY,), faults: str = "") -> App:
    hooks: tuple[Any, ...] = (ledger, Faults(parse_fault(faults) if faults else ()))
    return create_app(ServerConfig(api_keys=keys, clock=ledger.clock, hooks=hooks))


def call(app: App, method: str, path: str, body: Any = None, **headers: str) -> int:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"authorization": f"Token {KEY}", **headers}
    return app.core.handle(Request(method, path, headers, raw)).status


def create_event(app: App, **params: Any) -> str:
    params = {
        "start_time": "2030-01-02T10:00:00Z",
        "end_time": "2030-01-02T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
        **params,
    }
    raw = json.dumps({"state": "a calendar event", "params": params}).encode()
    headers = {"authorization": f"Token {KEY}"}
    response = app.core.handle(Request("POST", "/_calbot/states", headers, raw))
    event_id: str = response.body["id"]
    return event_id


def test_the_hook_records_every_request_with_its_answer(tmp_path: Path) -> None:
    clock = Clock()
    ledger = Ledger(tmp_path / "l.jsonl", clock=clock, api_keys=("other", KEY))
    app = app_with(ledger, keys=("other", KEY))
    event = create_event(app)
    clock.now += timedelta(milliseconds=500)
    path = f"/api/v2/calendar-events/{event.upper()}/bot"  # any UUID spelling, no slash
    config = {"bot_name": "x", "metadata": {"team": "a"}}
    assert call(app, "POST", path, {"deduplication_key": "k", "bot_config": config}) == 200
    assert call(app, "GET", "/_calbot/health") == 200
    assert call(app, "DELETE", path, authorization="Token wrong") == 401
    states, schedule, health, unauthorized = ledger.records
    assert (states.operation, states.workspace, states.validation) == (None, "key2", None)
    assert schedule.operation == SCHEDULE and schedule.resource == event
    assert schedule.time == T0 + timedelta(milliseconds=500)
    assert (schedule.validation, schedule.key, schedule.workspace) == ("valid", "k", "key2")
    assert schedule.config_keys == ("bot_name", "metadata", "metadata.team")
    assert schedule.event == {
        "start_time": "2030-01-02T10:00:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    }
    assert health.operation is None and health.status == 200
    assert (unauthorized.workspace, unauthorized.status) == ("unknown", 401)
    assert unauthorized.operation == "DELETE /api/v2/calendar-events/{id}/bot/"
    assert read_ledger(tmp_path / "l.jsonl") == ledger.records


def test_the_file_is_complete_after_every_answer(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.jsonl", api_keys=(KEY,), keep=False) as ledger:
        app = app_with(ledger)
        for count in range(1, 4):
            call(app, "GET", "/_calbot/health")
            assert len(read_ledger(tmp_path / "l.jsonl")) == count  # not closed yet
        assert ledger.records == []  # keep=False: the file only


def test_the_api_key_is_never_recorded(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl", api_keys=(KEY,))
    app = app_with(ledger)
    event = create_event(app)
    body = {"deduplication_key": KEY, "bot_config": {"metadata": {"note": f"key {KEY}"}}}
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", body)
    ledger.close()
    text = (tmp_path / "l.jsonl").read_text()
    assert KEY not in text and "****" in text


def test_the_api_key_is_masked_wherever_a_client_puts_it(tmp_path: Path) -> None:
    other = "Other-Key-MixedCase"
    ledger = Ledger(tmp_path / "l.jsonl", api_keys=(KEY, other))
    app = app_with(ledger, keys=(KEY, other))
    event = create_event(app)
    call(app, "GET", f"/api/v2/calendar-events/{KEY}/")  # pasted into the path
    call(app, "GET", f"/api/v1/bot/{other}/?api_key={other}")
    call(app, "POST", "/_calbot/states", {"state": KEY})  # echoed by the 400
    call(app, "POST", "/_calbot/faults", {"faults": [other, f"503:op={other}"]})
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", "{}", **{"content-type": KEY})
    app.core.handle(Request(KEY, f"/api/v2/calendar-events/{event}/", {}))  # as the method
    ledger.close()
    text = (tmp_path / "l.jsonl").read_text()
    assert KEY not in text and other not in text and other.lower() not in text.lower()
    paths = [json.loads(line)["path"] for line in text.splitlines()]
    assert "/api/v2/calendar-events/****/" in paths
    assert text.count("****") >= 7


def test_without_keys_every_request_is_the_default_workspace() -> None:
    ledger = Ledger()
    app = app_with(ledger, keys=())
    call(app, "GET", "/_calbot/health", authorization="Token anything")
    assert ledger.records[0].workspace == "default"


@pytest.mark.parametrize(
    ("raw", "headers", "error"),
    [
        (b"{", {}, "non_field_errors: JSON parse error"),
        (b"a=1", {"content-type": "application/x-www-form-urlencoded"}, "non_field_errors: Unsup"),
        (b"", {}, "deduplication_key: This field is required."),
        (b'{"deduplication_key": "", "bot_config": []}', {}, "deduplication_key: This field"),
    ],
)
def test_unreadable_and_invalid_bodies_are_recorded_as_invalid(
    raw: bytes, headers: dict[str, str], error: str
) -> None:
    from calbot.contracts.clients.verify import flatten_errors

    ledger = Ledger(api_keys=(KEY,))
    app = app_with(ledger)
    event = create_event(app)
    headers = {"authorization": f"Token {KEY}", **headers}
    app.core.handle(Request("POST", f"/api/v2/calendar-events/{event}/bot/", headers, raw))
    schedule = ledger.records[-1]
    assert schedule.validation == "invalid" and schedule.status in (400, 415)
    assert any(line.startswith(error) for line in flatten_errors(schedule.errors or {}))


def test_an_oversize_body_is_recorded_as_invalid() -> None:
    ledger = Ledger(api_keys=(KEY,))
    app = app_with(ledger)
    request = Request("POST", f"/api/v2/calendar-events/{EVENT}/bot/", {}, b"", body_too_large=True)
    assert app.core.handle(request).status == 413
    assert ledger.records[0].validation == "invalid"


def test_injected_answers_are_recorded_with_their_fault(tmp_path: Path) -> None:
    ledger = Ledger(api_keys=(KEY,))
    app = app_with(ledger, faults="ended")
    event = create_event(app)
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", {"deduplication_key": "k"})
    refused = ledger.records[-1]
    assert (refused.status, refused.fault, refused.message) == (400, "ended:1", ENDED_MESSAGE)
    assert refused.validation == "invalid"  # the body is judged even when a fault answered


def test_the_fixture_server_records_over_real_http(tmp_path: Path) -> None:
    from calbot.client_fixture import ClientServer, ClientServerOptions

    server = ClientServer(ClientServerOptions(record=tmp_path / "l.jsonl"))
    try:
        with httpx.Client(base_url=server.url, headers=server.headers) as http:
            assert http.get("/_calbot/health").status_code == 200
        assert read_ledger(tmp_path / "l.jsonl") == server.ledger
    finally:
        server.close()
