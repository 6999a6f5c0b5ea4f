"""The server on a real port (uvicorn in a thread): lifecycle, raw HTTP, concurrency."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from typing import Any

import httpx
import pytest

from calbot.server import ServerConfig, bind, create_app, running
from calbot.spec.throttles import RateLimit

BOT = "/api/v2/calendar-events/{id}/bot/"
EVENT = "/api/v2/calendar-events/{id}/"
BODY = {"deduplication_key": "shared", "bot_config": {"bot_name": "Notetaker"}}
FRESH_HEALTH = {
    "status": "ok",
    "events": 0,
    "bots": 0,
    "max_events_per_workspace": 10_000,
    "evicted": {"events": 0, "bots": 0},
}


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def raw_exchange(url: str, request: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes, return what comes back until the server has answered one response."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_running_serves_on_a_free_port_and_stops_on_exit() -> None:
    with running() as url:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_calbot/health").json() == FRESH_HEALTH
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_calbot/health", timeout=2)


def test_running_takes_a_config() -> None:
    with running(ServerConfig(api_keys=("k",))) as url:
        assert httpx.get(f"{url}/api/v1/bot/x/").status_code == 401
        assert httpx.get(f"{url}/api/v1/bot/x/", headers={"authorization": "k"}).status_code == 404


def test_running_takes_an_app_to_keep_a_handle_on_its_state(setup_body: Any) -> None:
    app = create_app()
    with running(app=app) as url:
        created = httpx.post(f"{url}/_calbot/states", json=setup_body()).json()
    assert created["id"] in app.core.world.workspace().events
    with pytest.raises(ValueError, match="either"), running(ServerConfig(), app=app):
        pass


def test_a_busy_port_is_an_os_error() -> None:
    with bind() as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError), running(port=port):
            pass


def test_keep_alive_serves_many_requests_on_one_connection(live: httpx.Client) -> None:
    for _ in range(50):
        assert live.get("/_calbot/health").status_code == 200
    assert live.post("/_calbot/states", content=b"{bad").status_code == 400
    assert live.get("/_calbot/health").status_code == 200


def test_head_over_http_has_the_length_and_no_body(live: httpx.Client, setup_body: Any) -> None:
    event = live.post("/_calbot/states", json=setup_body()).json()["id"]
    head = live.head(EVENT.format(id=event))
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(live.get(EVENT.format(id=event)).content)


def test_a_declared_oversize_body_is_refused_before_it_is_sent(live_url: str) -> None:
    """One byte of the 10 MB is sent: a server waiting for the rest would answer 408."""
    answer = raw_exchange(
        live_url,
        b"POST /api/v2/calendar-events/x/bot/ HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/json" in answer.lower()
    assert answer.endswith(b'{"detail":"Request body too large: the limit is 1000000 bytes."}')


def test_a_raw_chunked_body_over_the_cap_is_refused(live_url: str) -> None:
    chunk = b"x" * 300_000
    request = b"POST /_calbot/states HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    request += (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 4
    assert raw_exchange(live_url, request).startswith(b"HTTP/1.1 413 ")


def test_malformed_http_does_not_take_the_server_down(live: httpx.Client, live_url: str) -> None:
    for garbage in (
        b"\x00\x01\x02\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /_calbot/states HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"GET /_calbot/health HTTP/1.1\r\nX: \x00\r\n\r\n",
    ):
        with socket.create_connection(address(live_url), timeout=5) as sock:
            sock.sendall(garbage)
            sock.recv(1000)
    half = socket.create_connection(address(live_url), timeout=5)
    half.sendall(b"POST /_calbot/states HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{")
    half.close()  # the client vanished mid-body
    assert live.get("/_calbot/health").status_code == 200


def test_the_main_paths_over_http_match_the_fragment(
    live: httpx.Client, setup_body: Any, conforms: Any
) -> None:
    event = live.post("/_calbot/states", json=setup_body()).json()["id"]
    scheduled = live.post(BOT.format(id=event), json=BODY)
    conforms.check("POST", BOT, scheduled)
    bot = scheduled.json()["bots"][0]["bot_id"]
    conforms.check("GET", "/api/v1/bot/{id}/", live.get(f"/api/v1/bot/{bot}/"))
    conforms.check("GET", EVENT, live.get(EVENT.format(id=event)))
    conforms.check("DELETE", BOT, live.delete(BOT.format(id=event)))
    conforms.check("POST", BOT, live.post(BOT.format(id=event), json={}))


# --- concurrency -----------------------------------------------------------------------------


async def _gather(url: str, requests: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(http.request(method, path, json=body) for method, path, body in requests)
            )
        )


def test_concurrent_schedules_with_one_key_create_exactly_one_bot(setup_body: Any) -> None:
    app = create_app()
    with running(app=app) as url, httpx.Client(base_url=url) as http:
        events = [http.post("/_calbot/states", json=setup_body()).json()["id"] for _ in range(100)]
        answers = asyncio.run(_gather(url, [("POST", BOT.format(id=e), BODY) for e in events]))
        assert [answer.status_code for answer in answers] == [200] * 100
        bot_ids = {answer.json()["bots"][0]["bot_id"] for answer in answers}
        assert len(bot_ids) == 1
        assert len(app.core.world.workspace().bots) == 1
        bot = app.core.world.workspace().bots[bot_ids.pop()]
        assert sorted(bot.events) == sorted(events)


@pytest.mark.parametrize("budget", [1, 7, 40])
def test_concurrent_requests_against_a_budget_admit_exactly_that_many(
    budget: int, setup_body: Any
) -> None:
    with running(ServerConfig(rate_limit=RateLimit(budget, 60))) as url:
        event = httpx.post(f"{url}/_calbot/states", json=setup_body()).json()["id"]
        path = EVENT.format(id=event)
        answers = asyncio.run(_gather(url, [("GET", path, None)] * (budget + 60)))
        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {200: budget, 429: 60}
        for answer in answers:
            if answer.status_code == 429:
                assert 1 <= int(answer.headers["retry-after"]) <= 60
