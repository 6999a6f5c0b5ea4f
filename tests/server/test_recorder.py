"""`LedgerRecorder`, the request ledger as a server hook: every request recorded with its answer,
flushed as it is answered, the API key never in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calbot.contracts.clients.ledger import SCHEDULE, read_ledger
from calbot.contracts.clients.schedules import flatten_errors
from calbot.contracts.domain.model import ENDED_MESSAGE
from calbot.server import App, Request, ServerConfig, create_app
from calbot.server.faults import Faults, parse_fault
from calbot.server.recorder import LedgerRecorder

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
KEY = "sk_live_secret_123"
EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def app_with(recorder: LedgerRecorder, *, keys: tuple[str, ...] = (KEY,), faults: str = "") -> App:
    hooks: tuple[Any, ...] = (recorder, Faults(parse_fault(faults) if faults else ()))
    return create_app(ServerConfig(api_keys=keys, clock=recorder.clock, hooks=hooks))


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
    recorder = LedgerRecorder(tmp_path / "l.jsonl", clock=clock, api_keys=("other", KEY))
    app = app_with(recorder, keys=("other", KEY))
    event = create_event(app)
    clock.now += timedelta(milliseconds=500)
    path = f"/api/v2/calendar-events/{event.upper()}/bot"  # any UUID spelling, no slash
    config = {"bot_name": "x", "metadata": {"team": "a"}}
    assert call(app, "POST", path, {"deduplication_key": "k", "bot_config": config}) == 200
    assert call(app, "GET", "/_calbot/health") == 200
    assert call(app, "DELETE", path, authorization="Token wrong") == 401
    states, schedule, health, unauthorized = recorder.records
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
    assert read_ledger(tmp_path / "l.jsonl") == recorder.records


def test_the_file_is_complete_after_every_answer(tmp_path: Path) -> None:
    with LedgerRecorder(tmp_path / "l.jsonl", api_keys=(KEY,), keep=False) as recorder:
        app = app_with(recorder)
        for count in range(1, 4):
            call(app, "GET", "/_calbot/health")
            assert len(read_ledger(tmp_path / "l.jsonl")) == count  # not closed yet
        assert recorder.records == []  # keep=False: the file only


def test_the_api_key_is_never_recorded(tmp_path: Path) -> None:
    recorder = LedgerRecorder(tmp_path / "l.jsonl", api_keys=(KEY,))
    app = app_with(recorder)
    event = create_event(app)
    body = {"deduplication_key": KEY, "bot_config": {"metadata": {"note": f"key {KEY}"}}}
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", body)
    recorder.close()
    text = (tmp_path / "l.jsonl").read_text()
    assert KEY not in text and "****" in text


def test_the_api_key_is_masked_wherever_a_client_puts_it(tmp_path: Path) -> None:
    other = "Other-Key-MixedCase"
    recorder = LedgerRecorder(tmp_path / "l.jsonl", api_keys=(KEY, other))
    app = app_with(recorder, keys=(KEY, other))
    event = create_event(app)
    call(app, "GET", f"/api/v2/calendar-events/{KEY}/")  # pasted into the path
    call(app, "GET", f"/api/v1/bot/{other}/?api_key={other}")
    call(app, "POST", "/_calbot/states", {"state": KEY})  # echoed by the 400
    call(app, "POST", "/_calbot/faults", {"faults": [other, f"503:op={other}"]})
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", "{}", **{"content-type": KEY})
    app.core.handle(Request(KEY, f"/api/v2/calendar-events/{event}/", {}))  # as the method
    recorder.close()
    text = (tmp_path / "l.jsonl").read_text()
    assert KEY not in text and other not in text and other.lower() not in text.lower()
    paths = [json.loads(line)["path"] for line in text.splitlines()]
    assert "/api/v2/calendar-events/****/" in paths
    assert text.count("****") >= 7


def test_without_keys_every_request_is_the_default_workspace() -> None:
    recorder = LedgerRecorder()
    app = app_with(recorder, keys=())
    call(app, "GET", "/_calbot/health", authorization="Token anything")
    assert recorder.records[0].workspace == "default"


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
    recorder = LedgerRecorder(api_keys=(KEY,))
    app = app_with(recorder)
    event = create_event(app)
    headers = {"authorization": f"Token {KEY}", **headers}
    app.core.handle(Request("POST", f"/api/v2/calendar-events/{event}/bot/", headers, raw))
    schedule = recorder.records[-1]
    assert schedule.validation == "invalid" and schedule.status in (400, 415)
    assert any(line.startswith(error) for line in flatten_errors(schedule.errors or {}))


def test_an_oversize_body_is_recorded_as_invalid() -> None:
    recorder = LedgerRecorder(api_keys=(KEY,))
    app = app_with(recorder)
    request = Request("POST", f"/api/v2/calendar-events/{EVENT}/bot/", {}, b"", body_too_large=True)
    assert app.core.handle(request).status == 413
    assert recorder.records[0].validation == "invalid"


def test_injected_answers_are_recorded_with_their_fault(tmp_path: Path) -> None:
    recorder = LedgerRecorder(api_keys=(KEY,))
    app = app_with(recorder, faults="ended")
    event = create_event(app)
    call(app, "POST", f"/api/v2/calendar-events/{event}/bot/", {"deduplication_key": "k"})
    refused = recorder.records[-1]
    assert (refused.status, refused.fault, refused.message) == (400, "ended:1", ENDED_MESSAGE)
    assert refused.validation == "invalid"  # the body is judged even when a fault answered
