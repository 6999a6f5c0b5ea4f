"""The core without HTTP: routing, auth, methods, rate limits, provider states, the hook seam."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from calbot.contracts.domain.operations import (
    GET_BOT_OPERATION,
    GET_EVENT_OPERATION,
    SCHEDULE_OPERATION,
    UNSCHEDULE_OPERATION,
)
from calbot.server import Handler, Request, Response, ServerConfig, ServerCore
from calbot.spec.throttles import RateLimit

BODY = {"deduplication_key": "k1", "bot_config": {"bot_name": "Notetaker"}}
UNKNOWN = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"


def call(
    core: ServerCore,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return core.handle(Request(method, path, headers or {}, raw))


@pytest.fixture
def make_core(clock: Any, ids: Any) -> Callable[..., ServerCore]:
    def make(**settings: Any) -> ServerCore:
        return ServerCore(ServerConfig(clock=clock, new_id=ids, **settings))

    return make


@pytest.fixture
def core(make_core: Callable[..., ServerCore]) -> ServerCore:
    return make_core()


def new_event(
    core: ServerCore, setup_body: Callable[..., Any], headers: dict[str, str] | None = None
) -> str:
    response = call(core, "POST", "/_calbot/states", setup_body(), headers)
    assert response.status == 200, response.body
    ident: str = response.body["id"]
    return ident


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["/", ""])
def test_every_route_answers_with_or_without_the_trailing_slash(
    core: ServerCore, setup_body: Callable[..., Any], slash: str
) -> None:
    event = new_event(core, setup_body)
    scheduled = call(core, "POST", f"/api/v2/calendar-events/{event}/bot{slash}", BODY)
    assert scheduled.status == 200
    bot = scheduled.body["bots"][0]["bot_id"]
    assert call(core, "GET", f"/api/v2/calendar-events/{event}{slash}").status == 200
    assert call(core, "GET", f"/api/v1/bot/{bot}{slash}").status == 200
    assert call(core, "DELETE", f"/api/v2/calendar-events/{event}/bot{slash}").status == 200
    assert call(core, "GET", f"/_calbot/health{slash}").body == {
        "status": "ok",
        "events": 1,
        "bots": 0,
        "max_events_per_workspace": 10_000,
        "evicted": {"events": 0, "bots": 0},
    }


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api/v2/calendar-events/",
        "/api/v2/calendar-events//bot/",
        "/api/v2/calendar-events/a/b/bot/",
        "/api/v1/bot/",
        "/api/v2/calendar-events/x/bot/extra",
        "/_calbot",
        "/API/V2/CALENDAR-EVENTS/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/",
    ],
)
def test_unknown_paths_answer_404_json(core: ServerCore, path: str) -> None:
    for method in ("GET", "POST", "PUT"):
        response = call(core, method, path)
        assert (response.status, response.body) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("POST", "/api/v2/calendar-events/{}/bot/"),
        ("DELETE", "/api/v2/calendar-events/{}/bot/"),
        ("GET", "/api/v2/calendar-events/{}/"),
        ("GET", "/api/v1/bot/{}/"),
    ],
)
@pytest.mark.parametrize("ident", [UNKNOWN, "not-a-uuid", "1", "../etc", "0" * 1000])
def test_unknown_or_non_uuid_ids_answer_404(
    core: ServerCore, method: str, template: str, ident: str
) -> None:
    response = call(core, method, template.format(ident), BODY if method == "POST" else None)
    assert (response.status, response.body) == (404, {"detail": "Not found."})


def test_ids_are_read_in_any_uuid_spelling(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body)
    for spelling in (event.upper(), event.replace("-", ""), "{" + event + "}"):
        assert call(core, "GET", f"/api/v2/calendar-events/{spelling}/").body["id"] == event


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v2/calendar-events/{}/bot/", "POST, DELETE, OPTIONS"),
        ("/api/v2/calendar-events/{}/", "GET, HEAD, OPTIONS"),
        ("/api/v1/bot/{}/", "GET, HEAD, OPTIONS"),
        ("/_calbot/states", "POST, OPTIONS"),
        ("/_calbot/health", "GET, HEAD, OPTIONS"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "FOO"])
def test_a_wrong_method_answers_405_with_allow(
    core: ServerCore, path: str, allow: str, method: str
) -> None:
    response = call(core, method, path.format(UNKNOWN))
    assert response.status == 405
    assert response.body == {"detail": f'Method "{method}" not allowed.'}
    assert response.header("Allow") == allow
    options = call(core, "OPTIONS", path.format(UNKNOWN))
    assert options.status == 200 and options.header("allow") == allow


def test_get_on_the_bot_path_is_405(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body)
    response = call(core, "GET", f"/api/v2/calendar-events/{event}/bot/")
    assert response.status == 405 and response.header("Allow") == "POST, DELETE, OPTIONS"


def test_head_is_answered_like_get(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body)
    head = call(core, "HEAD", f"/api/v2/calendar-events/{event}/")
    assert head == call(core, "GET", f"/api/v2/calendar-events/{event}/")
    assert call(core, "HEAD", "/_calbot/health").status == 200


# --- auth ------------------------------------------------------------------------------------


@pytest.fixture
def keyed(make_core: Callable[..., ServerCore]) -> ServerCore:
    return make_core(api_keys=("key-a", "key-b"))


@pytest.mark.parametrize(
    "value", ["Token key-a", "token key-a", "TOKEN   key-a", "key-a", " key-a "]
)
def test_a_configured_key_is_accepted_with_or_without_the_token_prefix(
    keyed: ServerCore, setup_body: Any, value: str
) -> None:
    event = new_event(keyed, setup_body, {"authorization": value})
    response = call(
        keyed, "GET", f"/api/v2/calendar-events/{event}/", None, {"authorization": value}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": ""},
        {"authorization": "Token"},
        {"authorization": "Token key-c"},
        {"authorization": "Bearer key-a"},
        {"authorization": "Token key-a extra"},
        {"authorization": "Token " + "k" * 100_000},
        {"authorization": "Token \xff\xfe\x00"},
        {"x-api-key": "key-a"},
    ],
)
def test_missing_or_wrong_credentials_answer_401(
    keyed: ServerCore, headers: dict[str, str]
) -> None:
    for method, path in [
        ("POST", f"/api/v2/calendar-events/{UNKNOWN}/bot/"),
        ("DELETE", f"/api/v2/calendar-events/{UNKNOWN}/bot/"),
        ("GET", f"/api/v2/calendar-events/{UNKNOWN}/"),
        ("GET", f"/api/v1/bot/{UNKNOWN}/"),
        ("POST", "/_calbot/states"),
        ("PUT", "/_calbot/states"),
    ]:
        response = call(keyed, method, path, None, headers)
        assert (response.status, response.body) == (401, {"detail": "Invalid token."})
        assert response.header("WWW-Authenticate") == "Token"


def test_health_and_unknown_paths_need_no_key(keyed: ServerCore) -> None:
    assert call(keyed, "GET", "/_calbot/health").status == 200
    assert call(keyed, "GET", "/nowhere").status == 404


def test_without_configured_keys_no_auth_is_checked(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body, {"authorization": "Token whatever"})
    assert call(core, "GET", f"/api/v2/calendar-events/{event}/").status == 200


def test_each_key_is_its_own_workspace(keyed: ServerCore, setup_body: Any) -> None:
    a, b = {"authorization": "Token key-a"}, {"authorization": "Token key-b"}
    event = new_event(keyed, setup_body, a)
    assert call(keyed, "GET", f"/api/v2/calendar-events/{event}/", None, b).status == 404
    assert call(keyed, "POST", f"/api/v2/calendar-events/{event}/bot/", BODY, b).status == 404
    other = new_event(keyed, setup_body, b)
    bot_a = call(keyed, "POST", f"/api/v2/calendar-events/{event}/bot/", BODY, a)
    bot_b = call(keyed, "POST", f"/api/v2/calendar-events/{other}/bot/", BODY, b)
    # The same deduplication key in two workspaces gives two bots.
    assert bot_a.body["bots"][0]["bot_id"] != bot_b.body["bots"][0]["bot_id"]
    bot = bot_a.body["bots"][0]["bot_id"]
    assert call(keyed, "GET", f"/api/v1/bot/{bot}/", None, b).status == 404


# --- rate limits -----------------------------------------------------------------------------


def test_default_budgets_are_the_documented_ones(core: ServerCore) -> None:
    budgets = {operation: limiter.budget for operation, limiter in core.limiters.items()}
    assert budgets == {
        SCHEDULE_OPERATION: RateLimit(600, 60),
        UNSCHEDULE_OPERATION: RateLimit(600, 60),
        GET_EVENT_OPERATION: RateLimit(300, 60),
        GET_BOT_OPERATION: RateLimit(300, 60),
    }


def test_a_configured_rate_limit_overrides_every_budget(make_core: Any) -> None:
    core = make_core(rate_limit=RateLimit(5, 1))
    assert {limiter.budget for limiter in core.limiters.values()} == {RateLimit(5, 1)}


def test_past_the_documented_budget_the_answer_is_429(
    core: ServerCore, setup_body: Any, clock: Any
) -> None:
    event = new_event(core, setup_body)
    path = f"/api/v2/calendar-events/{event}/"
    for _ in range(300):
        assert call(core, "GET", path).status == 200
    refused = call(core, "GET", path)
    assert refused.status == 429
    assert refused.header("Retry-After") == "60"
    assert refused.body == {"detail": "Request was throttled. Expected available in 60 seconds."}
    clock.advance(59)
    assert call(core, "GET", path).header("Retry-After") == "1"
    assert call(core, "GET", path).body["detail"].endswith("in 1 second.")
    clock.advance(1)
    assert call(core, "GET", path).status == 200


def test_budgets_are_per_operation_and_per_workspace(
    make_core: Any, setup_body: Any, clock: Any
) -> None:
    core = make_core(rate_limit=RateLimit(2, 10), api_keys=("a", "b"))
    a, b = {"authorization": "a"}, {"authorization": "b"}
    event = new_event(core, setup_body, a)
    path = f"/api/v2/calendar-events/{event}/"
    assert [call(core, "GET", path, None, a).status for _ in range(3)] == [200, 200, 429]
    assert call(core, "GET", path, None, b).status == 404  # b's own budget: admitted
    bot_path = f"/api/v2/calendar-events/{event}/bot/"
    assert call(core, "POST", bot_path, BODY, a).status == 200  # another operation
    assert call(core, "DELETE", bot_path, None, a).status == 200
    assert call(core, "GET", f"/api/v1/bot/{UNKNOWN}/", None, a).status == 404


def test_every_authenticated_request_counts_whatever_its_answer(make_core: Any) -> None:
    core = make_core(rate_limit=RateLimit(3, 60), api_keys=("a",))
    auth = {"authorization": "a"}
    path = f"/api/v2/calendar-events/{UNKNOWN}/bot/"
    assert call(core, "POST", path, BODY, auth).status == 404
    assert core.handle(Request("POST", path, auth, b"{bad")).status == 404
    assert call(core, "POST", "/api/v2/calendar-events/nope/bot/", BODY, auth).status == 404
    assert call(core, "POST", path, BODY, auth).status == 429


def test_refused_requests_do_not_count(make_core: Any, clock: Any) -> None:
    core = make_core(rate_limit=RateLimit(2, 10), api_keys=("a",))
    path = f"/api/v2/calendar-events/{UNKNOWN}/"
    for _ in range(5):  # unauthenticated: never counted
        assert call(core, "GET", path).status == 401
    assert call(core, "PUT", path, None, {"authorization": "a"}).status == 405
    assert call(core, "GET", path, None, {"authorization": "a"}).status == 404
    clock.advance(5)
    assert call(core, "GET", path, None, {"authorization": "a"}).status == 404
    for _ in range(5):  # throttled: not counted either
        assert call(core, "GET", path, None, {"authorization": "a"}).status == 429
    clock.advance(5)  # the first admission leaves the window: exactly one slot
    assert call(core, "GET", path, None, {"authorization": "a"}).status == 404
    assert call(core, "GET", path, None, {"authorization": "a"}).status == 429


def test_a_throttled_request_changes_nothing(make_core: Any, setup_body: Any) -> None:
    core = make_core(rate_limit=RateLimit(1, 60))
    workspace = core.world.workspace()
    event = new_event(core, setup_body)
    path = f"/api/v2/calendar-events/{event}/bot/"
    assert call(core, "POST", path, BODY).status == 200
    before = (workspace.event_json(workspace.events[event]), dict(workspace.dedup))
    other = {"deduplication_key": "other", "bot_config": {"bot_name": "Changed"}}
    assert call(core, "POST", path, other).status == 429
    assert (workspace.event_json(workspace.events[event]), dict(workspace.dedup)) == before
    assert [bot.config for bot in workspace.bots.values()] == [{"bot_name": "Notetaker"}]
    assert call(core, "DELETE", path).status == 200  # DELETE has its own budget
    assert call(core, "POST", path, BODY).status == 429
    assert workspace.events[event].bots == [] and workspace.bots == {}


def test_the_provider_state_endpoint_is_not_rate_limited(make_core: Any, setup_body: Any) -> None:
    core = make_core(rate_limit=RateLimit(1, 60))
    for _ in range(20):
        new_event(core, setup_body)


# --- provider states -------------------------------------------------------------------------


def test_setup_answers_the_created_event_and_action_defaults_to_setup(
    core: ServerCore, setup_body: Any
) -> None:
    body = setup_body()
    del body["action"]
    created = call(core, "POST", "/_calbot/states", body)
    assert created.status == 200
    assert (
        created.body["bots"] == [] and created.body["meeting_url"] == body["params"]["meeting_url"]
    )
    fetched = call(core, "GET", f"/api/v2/calendar-events/{created.body['id']}/")
    assert fetched.body == created.body


def test_setup_accepts_every_documented_param(core: ServerCore, setup_body: Any) -> None:
    body = setup_body(
        platform="microsoft_outlook",
        calendar_id="5d2f0c3a-2222-4b1c-8d4e-abcdefabcdef",
        is_deleted=True,
        meeting_url=None,
        id="9f0e2b1c-3333-4d5e-8f90-aabbccddeeff",
    )
    created = call(core, "POST", "/_calbot/states", body).body
    assert created["id"] == "9f0e2b1c-3333-4d5e-8f90-aabbccddeeff"
    assert created["calendar_id"] == "5d2f0c3a-2222-4b1c-8d4e-abcdefabcdef"
    assert (created["platform"], created["is_deleted"], created["meeting_url"]) == (
        "microsoft_outlook",
        True,
        None,
    )


def test_teardown_removes_the_event_and_is_idempotent(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body)
    body = {"state": "a calendar event", "action": "teardown", "params": {"id": event}}
    assert call(core, "POST", "/_calbot/states", body).status == 200
    assert call(core, "GET", f"/api/v2/calendar-events/{event}/").status == 404
    assert call(core, "POST", "/_calbot/states", body).status == 200


def test_teardown_frees_the_events_bot(core: ServerCore, setup_body: Any) -> None:
    event = new_event(core, setup_body)
    bot = call(core, "POST", f"/api/v2/calendar-events/{event}/bot/", BODY).body["bots"][0]
    teardown = {"state": "a calendar event", "action": "teardown", "params": {"id": event}}
    call(core, "POST", "/_calbot/states", teardown)
    assert call(core, "GET", f"/api/v1/bot/{bot['bot_id']}/").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "a bot", "params": {}}, "state"),
        ({"state": None}, "state"),
        ({"state": ["a calendar event"]}, "state"),
        ({"params": {}}, "state"),
        ({"state": "a calendar event", "action": "explode"}, "action"),
        ({"state": "a calendar event", "action": None}, "action"),
        ({"state": "a calendar event", "params": {"start_time": "soon"}}, "start_time"),
        ({"state": "a calendar event"}, "start_time"),
        ({"state": "a calendar event", "params": []}, "params"),
        ({"state": "a calendar event", "action": "teardown"}, "id"),
        ({"state": "a calendar event", "action": "teardown", "params": {"id": "x"}}, "id"),
        ({"state": "a calendar event", "action": "teardown", "params": {"id": 7}}, "id"),
        ({"state": "a calendar event", "action": "teardown", "params": "x"}, "params"),
        ([], "non_field_errors"),
        ("a calendar event", "non_field_errors"),
        (None, "non_field_errors"),
    ],
)
def test_bad_provider_state_requests_answer_400_in_the_envelope(
    core: ServerCore, body: object, field: str
) -> None:
    raw = json.dumps(body).encode()
    response = core.handle(Request("POST", "/_calbot/states", {}, raw))
    assert response.status == 400
    assert set(response.body) == {"code", "message", "errors"}
    assert response.body["code"] == "invalid_request_data"
    assert field in response.body["errors"]
    assert all(isinstance(m, str) for m in response.body["errors"][field])


def test_an_unknown_state_is_named_in_the_error(core: ServerCore) -> None:
    response = call(core, "POST", "/_calbot/states", {"state": "x" * 500})
    message = response.body["errors"]["state"][0]
    assert message.startswith('Unknown provider state "xxx') and len(message) < 200
    assert '"a calendar event"' in message


def test_a_duplicate_event_id_is_refused(core: ServerCore, setup_body: Any) -> None:
    body = setup_body(id=UNKNOWN)
    assert call(core, "POST", "/_calbot/states", body).status == 200
    assert call(core, "POST", "/_calbot/states", body).status == 400


def test_provider_state_bodies_are_parsed_like_any_other(core: ServerCore) -> None:
    bad = core.handle(Request("POST", "/_calbot/states", {}, b"{nope"))
    assert (bad.status, bad.body["code"]) == (400, "parse_error")
    wrong = core.handle(Request("POST", "/_calbot/states", {"content-type": "text/plain"}, b"x"))
    assert wrong.status == 415


# --- the choke point -------------------------------------------------------------------------


def test_an_over_size_body_is_refused_first(make_core: Any) -> None:
    core = make_core(api_keys=("a",), max_body_bytes=10)
    request = Request("POST", "/nowhere", {}, b"", body_too_large=True)
    assert core.handle(request) == Response(
        413, {"detail": "Request body too large: the limit is 10 bytes."}
    )


def test_hooks_see_every_request_and_answer_in_order(make_core: Any, setup_body: Any) -> None:
    seen: list[tuple[str, str, int]] = []

    def ledger(request: Request, following: Handler) -> Response:
        response = following(request)
        seen.append((request.method, request.path, response.status))
        return response

    def tagger(request: Request, following: Handler) -> Response:
        response = following(request)
        return Response(response.status, {**response.body, "tag": "inner"}, response.headers)

    core = make_core(hooks=(ledger, tagger))
    event = new_event(core, setup_body)
    call(core, "GET", "/nowhere")
    core.handle(Request("POST", "/x", {}, b"", body_too_large=True))
    assert seen == [("POST", "/_calbot/states", 200), ("GET", "/nowhere", 404), ("POST", "/x", 413)]
    assert call(core, "GET", f"/api/v2/calendar-events/{event}/").body["tag"] == "inner"


def test_a_hook_can_answer_instead_of_the_server(make_core: Any, setup_body: Any) -> None:
    def fault(request: Request, following: Handler) -> Response:
        if request.method == "POST" and request.path.endswith("/bot/"):
            return Response(507, {"detail": "No bots available."}, (("Retry-After", "30"),))
        return following(request)

    core = make_core(hooks=(fault,))
    event = new_event(core, setup_body)
    assert call(core, "POST", f"/api/v2/calendar-events/{event}/bot/", BODY).status == 507
    assert call(core, "GET", f"/api/v2/calendar-events/{event}/").body["bots"] == []


def test_an_unexpected_exception_is_a_500_json_answer(
    core: ServerCore, setup_body: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    event = new_event(core, setup_body)

    def broken(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(type(core.world.workspace()), "schedule", broken)
    response = call(core, "POST", f"/api/v2/calendar-events/{event}/bot/", BODY)
    assert response.status == 500 and "detail" in response.body
    assert "boom" in caplog.text
    assert call(core, "GET", "/_calbot/health").status == 200


def test_a_failing_hook_is_a_500_json_answer(make_core: Any) -> None:
    def broken(request: Request, following: Handler) -> Response:
        raise ValueError("hook bug")

    core = make_core(hooks=(broken,))
    assert call(core, "GET", "/_calbot/health").status == 500


def test_reset_forgets_events_and_budgets(make_core: Any, setup_body: Any) -> None:
    core = make_core(rate_limit=RateLimit(1, 60))
    event = new_event(core, setup_body)
    path = f"/api/v2/calendar-events/{event}/"
    assert call(core, "GET", path).status == 200
    assert call(core, "GET", path).status == 429
    core.reset()
    assert call(core, "GET", path).status == 404


@pytest.mark.parametrize("keys", [("",), ("a b",), ("tab\tkey",)])
def test_unusable_api_keys_are_refused(keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="API keys"):
        ServerConfig(api_keys=keys)


def test_a_negative_body_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        ServerConfig(max_body_bytes=-1)
