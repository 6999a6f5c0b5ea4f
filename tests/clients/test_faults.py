"""Fault injection: the spec syntax, scenarios, the queue, the answers, the control endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calbot.contracts.domain.model import ENDED_BODY
from calbot.server import Request, Response, ServerConfig, create_app
from calbot.server.faults import (
    FAULT_HEADER,
    SCENARIOS,
    Fault,
    Faults,
    FaultSyntaxError,
    parse_fault,
    scenario,
)
from calbot.spec.states import FAULTS_PATH

EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
BOT_PATH = f"/api/v2/calendar-events/{EVENT}/bot/"
EVENT_PATH = f"/api/v2/calendar-events/{EVENT}/"


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("429", Fault("429")),
        ("429:3:retry-after=2", Fault("429", 3, retry_after=2)),
        ("503:*", Fault("503", None)),
        ("507:1:op=schedule:retry-after=30", Fault("507", 1, 30, "schedule")),
        ("ended", Fault("ended")),
        (" 409:2:after=1 ", Fault("409", 2, after=1)),
        ("ENDED:1:OP=schedule", Fault("ended", 1, operation="schedule")),
    ],
)
def test_specs(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == [fault]
    assert parse_fault(fault.spec) == [fault]  # the canonical spec reads back


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("418", "'418': unknown fault '418'; use one of 429, 409, 500, 502, 503, 504, 507, ended"),
        ("429:0", "'429:0': the count must be a positive whole number or *"),
        ("429:two", "'429:two': the count must be a whole number, got 'two'"),
        ("429:1:wait=2", "'429:1:wait=2': unknown option 'wait=2'; use retry-after=SECONDS"),
        ("429:retry-after=1.5", "'429:retry-after=1.5': retry-after must be a whole number"),
        ("503:op=list", "'503:op=list': unknown operation 'list'; use one of schedule, "),
        ("ended:op=get-bot", "'ended:op=get-bot': the ended-event 400 only answers schedule"),
        ("scenario:chaos", "unknown scenario 'chaos'; known: throttle-after-N, outage-N"),
        ("scenario:outage-0", "'scenario:outage-0': the outage must last at least one request"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultSyntaxError) as caught:
        parse_fault(spec)
    assert str(caught.value).startswith(message)


def test_scenarios() -> None:
    assert set(SCENARIOS) == {"throttle-after-N", "outage-N", "conflict", "pool-empty", "ended"}
    (throttle,) = parse_fault("scenario:throttle-after-3")
    assert (throttle.kind, throttle.after, throttle.count, throttle.retry_after) == ("429", 3, 1, 1)
    assert throttle.label == "scenario:throttle-after-3"
    assert scenario("outage-2")[0].spec == "503:2"
    assert scenario("conflict")[0].spec == "409:1:op=schedule"
    assert scenario("pool-empty")[0].spec == "507:1:retry-after=2:op=schedule"
    assert scenario("ended")[0].kind == "ended"


# --- the hook ------------------------------------------------------------------------------------


def serve(*specs: str) -> tuple[Any, Faults]:
    faults = Faults(fault for spec in specs for fault in parse_fault(spec))
    return create_app(ServerConfig(hooks=(faults,))), faults


def call(app: Any, method: str, path: str, body: Any = None) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    response: Response = app.core.handle(Request(method, path, {}, raw))
    return response


def statuses(app: Any, *requests: tuple[str, str]) -> list[int]:
    return [call(app, method, path).status for method, path in requests]


def test_faults_are_used_in_order_then_the_server_answers() -> None:
    app, faults = serve("429:2:retry-after=3", "503")
    assert faults.pending == ["429:2:retry-after=3", "503:1"]
    assert statuses(app, *[("GET", EVENT_PATH)] * 4) == [429, 429, 503, 404]
    assert faults.pending == []


def test_op_after_and_star() -> None:
    app, faults = serve("409:1:op=unschedule", "503:*:op=get-event:after=1")
    assert statuses(
        app,
        ("GET", EVENT_PATH),  # let through (after=1); the 409 waits for an unschedule
        ("GET", EVENT_PATH),
        ("DELETE", BOT_PATH),
        ("GET", EVENT_PATH),
        ("DELETE", BOT_PATH),
    ) == [404, 503, 409, 503, 404]
    assert faults.pending == ["503:*:op=get-event"]


def test_the_ended_fault_answers_schedules_only() -> None:
    app, _ = serve("ended")
    assert statuses(app, ("GET", EVENT_PATH), ("DELETE", BOT_PATH)) == [404, 404]
    response = call(app, "POST", BOT_PATH, {})
    assert (response.status, response.body) == (400, ENDED_BODY)
    assert response.header(FAULT_HEADER) == "ended:1"


def test_answers_look_like_the_api_and_are_marked() -> None:
    app, _ = serve("429:1:retry-after=7", "507:1:retry-after=30", "scenario:conflict")
    throttled = call(app, "GET", EVENT_PATH)
    assert throttled.body == {"detail": "Request was throttled. Expected available in 7 seconds."}
    assert throttled.header("Retry-After") == "7"
    assert throttled.header(FAULT_HEADER) == "429:1:retry-after=7"
    full = call(app, "POST", BOT_PATH, {})
    assert full.status == 507 and full.header("Retry-After") == "30"
    assert "ad-hoc pool is empty" in full.body["detail"]
    conflict = call(app, "POST", BOT_PATH, {})
    assert conflict.status == 409 and conflict.header(FAULT_HEADER) == "scenario:conflict"
    assert conflict.header("Retry-After") is None


def test_calbot_endpoints_and_unknown_paths_are_never_faulted() -> None:
    app, faults = serve("503:*")
    assert call(app, "GET", "/_calbot/health").status == 200
    assert call(app, "GET", "/nowhere").status == 404
    assert call(app, "POST", "/_calbot/states", {"state": "x"}).status == 400
    assert faults.pending == ["503:*"]


def test_the_control_endpoint_adds_lists_and_clears() -> None:
    app, _ = serve()
    added = call(app, "POST", FAULTS_PATH, {"faults": ["429:2", "scenario:throttle-after-1"]})
    assert added.status == 200
    assert added.body == {
        "pending": ["429:2", "429:1:retry-after=1:after=1 (scenario:throttle-after-1)"]
    }
    assert call(app, "GET", FAULTS_PATH + "/").body == added.body
    assert statuses(app, *[("GET", EVENT_PATH)] * 2) == [429, 429]
    assert call(app, "DELETE", FAULTS_PATH).body == {"pending": []}
    assert call(app, "GET", EVENT_PATH).status == 404


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"faults": ["418"]}, "'418': unknown fault '418'"),
        ({"faults": "429"}, 'Expected {"faults": ["SPEC", ...]}.'),
        ([], 'Expected {"faults": ["SPEC", ...]}.'),
    ],
)
def test_the_control_endpoint_refuses_bad_specs(body: Any, error: str) -> None:
    app, faults = serve()
    response = call(app, "POST", FAULTS_PATH, body)
    assert response.status == 400
    assert response.body["errors"]["faults"][0].startswith(error)
    assert faults.pending == []
    assert call(app, "PUT", FAULTS_PATH).status == 405


# --- per workspace ---------------------------------------------------------------------------


def in_workspace(faults: Faults, workspace: str | None, method: str, path: str) -> int:
    def server(request: Request) -> Response:
        return Response(200, {})

    return faults(Request(method, path, workspace=workspace), server).status


def test_run_time_faults_serve_the_workspace_that_added_them() -> None:
    faults = Faults()
    added = Request("POST", FAULTS_PATH, {}, b'{"faults": ["503:*"]}', workspace="k1")
    assert faults(added, lambda request: Response(200, {})).status == 200
    assert in_workspace(faults, "k2", "GET", EVENT_PATH) == 200
    assert in_workspace(faults, None, "GET", EVENT_PATH) == 200
    assert in_workspace(faults, "k1", "GET", EVENT_PATH) == 503
    assert in_workspace(faults, "k2", "GET", FAULTS_PATH) == 200
    listed = faults(Request("GET", FAULTS_PATH, workspace="k2"), lambda r: Response(200, {}))
    assert listed.body == {"pending": []}


def test_operator_faults_serve_every_workspace_and_a_workspace_clears_only_its_own() -> None:
    faults = Faults(parse_fault("429:*"))
    faults.add(*parse_fault("503:*"), workspace="k1")
    assert in_workspace(faults, "k2", "GET", EVENT_PATH) == 429
    assert in_workspace(faults, "k2", "DELETE", FAULTS_PATH) == 200
    assert faults.pending == ["429:*", "503:*"]
    assert in_workspace(faults, "k1", "DELETE", FAULTS_PATH) == 200
    assert faults.pending == ["429:*"]
    assert in_workspace(faults, None, "DELETE", FAULTS_PATH) == 401  # invalid credentials
    assert in_workspace(faults, "", "DELETE", FAULTS_PATH) == 200  # a server without keys
    assert faults.pending == []


def test_a_reset_clears_the_callers_faults() -> None:
    faults = Faults(parse_fault("429:*"))
    faults.add(*parse_fault("503:*"), workspace="k1")
    faults.add(*parse_fault("500:*"), workspace="k2")
    assert in_workspace(faults, "k1", "POST", "/_calbot/reset") == 200
    assert faults.pending == ["429:*", "500:*"]


def test_unknown_words_are_echoed_as_given_so_a_key_stays_maskable() -> None:
    with pytest.raises(FaultSyntaxError, match="unknown fault 'Sk-Secret-Key'"):
        parse_fault("Sk-Secret-Key")
    with pytest.raises(FaultSyntaxError, match="unknown operation 'Sk-Secret-Key'"):
        parse_fault("503:op=Sk-Secret-Key")
