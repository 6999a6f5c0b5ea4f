"""The ASGI app in-process through `httpx.ASGITransport`: the main paths, checked against the
fragment's response schemas, and the adapter's own duties (body cap, disconnects, 500s)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from calbot.server import App, ServerConfig, create_app
from calbot.spec.throttles import RateLimit

BOT = "/api/v2/calendar-events/{id}/bot/"
EVENT = "/api/v2/calendar-events/{id}/"
BOT_GET = "/api/v1/bot/{id}/"
UNKNOWN = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
BODY = {
    "deduplication_key": "2030-01-01T10:00:00Z-https://meet.google.com/abc-defg-hij",
    "bot_config": {"bot_name": "Notetaker", "metadata": {"customer_id": "c_123"}},
}


def test_the_main_paths_answer_as_the_fragment_says(
    client: Any, make_event: Callable[..., str], conforms: Any, clock: Any
) -> None:
    event = make_event()
    scheduled = client.post(BOT.format(id=event), json=BODY)
    assert scheduled.status_code == 200
    conforms.check("POST", BOT, scheduled)
    bot = scheduled.json()["bots"][0]
    assert bot["deduplication_key"] == BODY["deduplication_key"]

    fetched = client.get(EVENT.format(id=event))
    conforms.check("GET", EVENT, fetched)
    assert fetched.json() == scheduled.json()

    bot_body = client.get(BOT_GET.format(id=bot["bot_id"]))
    conforms.check("GET", BOT_GET, bot_body)
    assert bot_body.json()["meeting_url"] == {
        "meeting_id": "abc-defg-hij",
        "platform": "google_meet",
    }
    assert bot_body.json()["metadata"] == {"customer_id": "c_123"}

    removed = client.delete(BOT.format(id=event))
    conforms.check("DELETE", BOT, removed)
    assert removed.json()["bots"] == []
    assert client.delete(BOT.format(id=event)).json() == removed.json()

    for method, template in [("POST", BOT), ("DELETE", BOT), ("GET", EVENT), ("GET", BOT_GET)]:
        missing = client.request(method, template.format(id=UNKNOWN), json=BODY)
        assert missing.status_code == 404
        conforms.check(method, template, missing)

    invalid = client.post(BOT.format(id=event), json={"bot_config": {}})
    conforms.check("POST", BOT, invalid)
    assert invalid.json()["errors"] == {"deduplication_key": ["This field is required."]}

    clock.advance(400 * 24 * 3600)  # past the event's end
    ended = client.post(BOT.format(id=event), json=BODY)
    conforms.check("POST", BOT, ended)
    assert ended.json() == {
        "code": "invalid_request_data",
        "message": "Unable to process request because invalid data was submitted. "
        "Check `errors` field for more details.",
        "errors": {"non_field_errors": ["Cannot schedule bot as calendar event has ended."]},
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/j/84315220467?pwd=abc123",
        "https://teams.live.com/meet/9398850880426?p=RUu7Fs",
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_N2Q%40thread.v2/0"
        "?context=%7b%22Tid%22%3a%2272f988bf%22%2c%22Oid%22%3a%22a1b2c3d4%22%7d",
        "https://acme.webex.com/acme/j.php?MTID=m8b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
        "https://global.gotomeeting.com/join/680504437",
    ],
)
def test_bot_meeting_url_objects_match_the_fragment_for_every_platform(
    client: Any, make_event: Callable[..., str], conforms: Any, url: str
) -> None:
    event = make_event(meeting_url=url)
    scheduled = client.post(BOT.format(id=event), json=BODY)
    conforms.check("POST", BOT, scheduled)
    assert scheduled.json()["bots"][0]["meeting_url"] == url
    bot = client.get(BOT_GET.format(id=scheduled.json()["bots"][0]["bot_id"]))
    conforms.check("GET", BOT_GET, bot)


def test_401_413_415_and_429_answer_as_the_fragment_says(
    make_app: Callable[..., App], in_process: Any, conforms: Any, setup_body: Any
) -> None:
    app = make_app(rate_limit=RateLimit(1, 30), api_keys=("k",), max_body_bytes=300)
    from_client = in_process(app, {"authorization": "Token k"})
    event = from_client.post("/_calbot/states", json=setup_body()).json()["id"]
    assert from_client.get(EVENT.format(id=event)).status_code == 200
    throttled = from_client.get(EVENT.format(id=event))
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "30"
    conforms.check("GET", EVENT, throttled)

    anonymous = in_process(app)
    unauthorized = anonymous.post(BOT.format(id=event), json=BODY)
    assert unauthorized.status_code == 401
    conforms.check("POST", BOT, unauthorized)

    too_large = from_client.post(BOT.format(id=event), content=b"x" * 301)
    assert too_large.status_code == 413
    conforms.check("POST", BOT, too_large)

    wrong_type = from_client.post(
        BOT.format(id=event), content=b"a=b", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    conforms.check("POST", BOT, wrong_type)


def test_head_answers_headers_only(client: Any, make_event: Callable[..., str]) -> None:
    event = make_event()
    head = client.request("HEAD", EVENT.format(id=event))
    get = client.get(EVENT.format(id=event))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


# --- the adapter, driven with raw ASGI messages -----------------------------------------------


class Exchange:
    """Feeds an app scripted ASGI messages and records what it sends back."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.incoming = list(messages)
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        if not self.incoming:
            await asyncio.sleep(3600)  # a client that never sends more: the test would hang
        return self.incoming.pop(0)

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def run(self, app: App, scope: dict[str, Any]) -> None:
        asyncio.run(asyncio.wait_for(app(scope, self.receive, self.send), 5))

    @property
    def status(self) -> int:
        status: int = self.sent[0]["status"]
        return status


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers or [],
    }


def chunks(count: int, size: int) -> list[dict[str, Any]]:
    return [
        {"type": "http.request", "body": b"x" * size, "more_body": index < count - 1}
        for index in range(count)
    ]


def test_a_declared_length_over_the_cap_is_refused_without_reading_the_body() -> None:
    app = create_app(ServerConfig(max_body_bytes=1000))
    exchange = Exchange(chunks(1, 10))
    headers = [(b"content-length", b"10000000")]
    exchange.run(app, http_scope("POST", f"/api/v2/calendar-events/{UNKNOWN}/bot/", headers))
    assert exchange.status == 413 and exchange.received == 0


def test_a_chunked_body_is_read_only_up_to_the_cap() -> None:
    app = create_app(ServerConfig(max_body_bytes=1000))
    exchange = Exchange(chunks(100, 300))
    exchange.run(app, http_scope("POST", f"/api/v2/calendar-events/{UNKNOWN}/bot/"))
    assert exchange.status == 413 and exchange.received == 4
    assert (
        exchange.sent[1]["body"] == b'{"detail":"Request body too large: the limit is 1000 bytes."}'
    )


def test_a_body_of_exactly_the_cap_is_accepted() -> None:
    app = create_app(ServerConfig(max_body_bytes=600))
    exchange = Exchange(chunks(2, 300))
    exchange.run(app, http_scope("POST", f"/api/v2/calendar-events/{UNKNOWN}/bot/"))
    assert exchange.status == 404 and exchange.received == 2


def test_a_client_that_disconnects_mid_body_gets_nothing() -> None:
    app = create_app()
    exchange = Exchange([chunks(2, 10)[0], {"type": "http.disconnect"}])
    exchange.run(app, http_scope("POST", "/_calbot/states"))
    assert exchange.sent == []


def test_an_exception_outside_the_core_still_answers_500_json(caplog: Any) -> None:
    app = create_app()
    exchange = Exchange(chunks(1, 0))
    exchange.run(app, {"type": "http", "method": "GET", "path": "/_calbot/health"})  # no headers
    assert exchange.status == 500
    assert (b"content-type", b"application/json") in exchange.sent[0]["headers"]
    assert b"detail" in exchange.sent[1]["body"]


def test_lifespan_and_websocket_scopes_are_handled() -> None:
    app = create_app()
    lifespan = Exchange([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    lifespan.run(app, {"type": "lifespan"})
    assert [m["type"] for m in lifespan.sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    socket = Exchange([{"type": "websocket.connect"}])
    socket.run(app, {"type": "websocket", "path": "/"})
    assert socket.sent == [{"type": "websocket.close", "code": 1003}]


def test_the_query_string_and_extra_headers_reach_the_core(app: App) -> None:
    from calbot.server import Handler, Request, Response

    seen: list[Request] = []

    def ledger(request: Request, following: Handler) -> Response:
        seen.append(request)
        return following(request)

    app = create_app(ServerConfig(hooks=(ledger,)))
    exchange = Exchange(chunks(1, 0))
    scope = http_scope("GET", "/_calbot/health", [(b"X-Trace", b"\xff1")])
    scope["query_string"] = b"a=1&b=%20"
    exchange.run(app, scope)
    assert seen[0].query == "a=1&b=%20" and seen[0].headers["x-trace"] == "\xff1"


async def _stream(total: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


def test_a_streamed_body_over_the_cap_through_httpx(client: Any) -> None:
    response = client.post(BOT.format(id=UNKNOWN), content=_stream(10_000_000, 65536))
    assert response.status_code == 413


def test_the_app_needs_no_asyncio_loop_in_process() -> None:
    """Under another event loop (trio through httpx.ASGITransport) the body has no timeout."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/_calbot/health", "headers": []}
    running = create_app()(scope, receive, send)
    with pytest.raises(StopIteration):  # driven by hand: no event loop at all
        running.send(None)
    assert sent[0]["status"] == 200
