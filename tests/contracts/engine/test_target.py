"""The target: pacing, waiting out 429s, transcripts, masking, in-process and over HTTP."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from calbot.contracts.domain.operations import EVENT, EVENT_BOT
from calbot.contracts.engine.target import (
    MAX_THROTTLED_RETRIES,
    Target,
    TargetConfig,
    TargetError,
    TargetThrottled,
)
from calbot.server import ServerConfig, create_app, running
from calbot.spec.throttles import RateLimit

Scope = dict[str, Any]


def scripted(statuses: list[tuple[int, dict[str, str]]]) -> Any:
    """An ASGI app answering the given statuses in turn (then 200), recording requests."""
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(scope)
        status, headers = statuses.pop(0) if statuses else (200, {})
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b"{}"})

    app.seen = seen  # type: ignore[attr-defined]
    return app


def make(app: Any, **config: Any) -> Target:
    target = Target(TargetConfig(app=app, **config))
    target.sleep = lambda seconds: target.memo.setdefault("slept", []).append(seconds)
    return target


def test_needs_exactly_one_of_url_and_app() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Target(TargetConfig())
    with pytest.raises(ValueError, match="exactly one"):
        Target(TargetConfig(base_url="http://x", app=scripted([])))


def test_budgets_come_from_the_fragment_or_the_override() -> None:
    documented = make(scripted([]))
    assert documented.budget("POST", EVENT_BOT) == RateLimit(600, 60.0)
    assert documented.budget("GET", EVENT) == RateLimit(300, 60.0)
    configured = make(scripted([]), rate_limit=RateLimit(5, 1.0))
    assert configured.budget("GET", EVENT) == RateLimit(5, 1.0)


def test_operation_of_matches_templates_with_or_without_slash() -> None:
    target = make(scripted([]))
    assert target.operation_of("post", "/api/v2/calendar-events/x/bot/") == ("POST", EVENT_BOT)
    assert target.operation_of("GET", "/api/v2/calendar-events/x") == ("GET", EVENT)
    assert target.operation_of("GET", "/elsewhere") is None


def test_a_429_is_waited_out_and_retried() -> None:
    app = scripted([(429, {"Retry-After": "3"}), (429, {})])
    target = make(app)
    response = target.send("GET", "/api/v2/calendar-events/x/")
    assert response.status_code == 200
    assert target.memo["slept"] == [3.0, 1.0]  # a 429 without Retry-After waits 1 s
    assert len(app.seen) == 3
    assert target.throttled_waits == 2


def test_waits_are_capped_by_max_wait() -> None:
    target = make(scripted([(429, {"Retry-After": "3600"})]), max_wait=5)
    target.send("GET", "/api/v2/calendar-events/x/")
    assert target.memo["slept"] == [5]


def test_a_target_that_keeps_throttling_is_an_error() -> None:
    target = make(scripted([(429, {"Retry-After": "0"})] * (MAX_THROTTLED_RETRIES + 1)))
    with pytest.raises(TargetThrottled, match="still answered 429"):
        target.send("GET", "/api/v2/calendar-events/x/")


def test_retry_throttled_false_returns_the_429() -> None:
    target = make(scripted([(429, {"Retry-After": "1"})]))
    assert target.send("GET", "/x", retry_throttled=False).status_code == 429


def test_the_key_goes_out_but_never_into_curl_or_exchanges() -> None:
    app = scripted([])
    target = make(app, api_key="sk_secret")
    response = target.send(
        "POST", EVENT_BOT.format(id="e"), json={"deduplication_key": "sk_secret"}
    )
    headers = dict(app.seen[0]["headers"])
    assert headers[b"authorization"] == b"Token sk_secret"
    assert "sk_secret" not in target.curl(response.request)
    exchange = target.exchange(response)
    assert "sk_secret" not in json.dumps(dataclasses.asdict(exchange))
    assert exchange.request_headers["authorization"] == "Token ****"


def test_in_process_urls_show_the_display_url() -> None:
    target = make(scripted([]), display_url="http://127.0.0.1:8080")
    response = target.send("GET", "/api/v2/calendar-events/x/")
    assert target.exchange(response).url == "http://127.0.0.1:8080/api/v2/calendar-events/x/"
    assert "http://127.0.0.1:8080/api/v2/calendar-events/x/" in target.curl(response.request)


def test_recording_collects_the_responses_of_a_block() -> None:
    target = make(scripted([]))
    with target.recording() as log:
        target.send("GET", "/a")
        target.send("GET", "/b")
    assert [r.request.url.path for r in log] == ["/a", "/b"]
    assert target.transcript == []


def test_unreachable_targets_raise_target_error() -> None:
    target = Target(TargetConfig(base_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(TargetError, match="cannot reach"):
        target.send("GET", "/api/v2/calendar-events/x/")


def test_the_same_target_works_over_real_http() -> None:
    with running(ServerConfig(rate_limit=RateLimit(50, 1.0))) as url:
        target = Target(TargetConfig(base_url=url))
        response = target.send("GET", EVENT.format(id="0b8c7f5e-1111-4a2b-9c3d-1234567890ab"))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        target.close()


def test_the_asgi_bridge_carries_bodies_and_headers() -> None:
    target = make(create_app(ServerConfig()))
    created = target.send(
        "POST",
        "/_calbot/states",
        json={
            "state": "a calendar event",
            "params": {
                "start_time": "2030-01-01T10:00:00Z",
                "end_time": "2030-01-01T11:00:00Z",
                "meeting_url": "https://meet.google.com/abc-defg-hij",
            },
        },
    )
    assert created.status_code == 200
    assert isinstance(created.elapsed.total_seconds(), float)
    assert isinstance(httpx.Headers(created.headers).get("content-type"), str)
