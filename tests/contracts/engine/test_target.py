"""The target: pacing, waiting out 429s, retrying transient answers, transcripts, masking,
in-process and over HTTP."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import time
from typing import Any

import httpx
import pytest

from calbot.contracts.domain.operations import EVENT, EVENT_BOT
from calbot.contracts.engine.retrying import (
    MALFORMED_TRANSIENT,
    MAX_TRANSIENT_TRIES,
    backoff,
    persisted,
)
from calbot.contracts.engine.target import (
    MAX_THROTTLED_RETRIES,
    Target,
    TargetConfig,
    TargetError,
    TargetThrottled,
)
from calbot.contracts.engine.transport import SyncASGITransport
from calbot.server import ServerConfig, create_app, running
from calbot.spec.throttles import TRANSIENT_STATUSES, RateLimit

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


# --- documented transient answers (409, 502-504, 507) ----------------------------------------

BOT_PATH = EVENT_BOT.format(id="e")


@pytest.mark.parametrize("status", sorted(TRANSIENT_STATUSES))
def test_each_transient_answer_is_retried_with_backoff_until_it_clears(status: int) -> None:
    app = scripted([(status, {}), (status, {})])
    target = make(app)
    response = target.send("POST", BOT_PATH, json={})
    assert response.status_code == 200
    assert persisted(response) is None
    assert len(app.seen) == 3
    assert target.memo["slept"] == [backoff(1), backoff(2)]
    assert target.retries.snapshot() == {status: 2}


def test_retry_after_is_honoured_in_seconds_and_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    app = scripted([(507, {"Retry-After": "2"}), (503, {"Retry-After": when})])
    target = make(app)
    assert target.send("POST", BOT_PATH, json={}).status_code == 200
    first, second = target.memo["slept"]
    assert first == 2.0 and 25 <= second <= 31


def test_a_500_is_never_retried() -> None:
    app = scripted([(500, {"Retry-After": "1"})])
    target = make(app)
    response = target.send("POST", BOT_PATH, json={})
    assert response.status_code == 500
    assert len(app.seen) == 1 and "slept" not in target.memo
    assert persisted(response) is None


def test_an_answer_that_persists_past_the_tries_comes_back_marked() -> None:
    app = scripted([(503, {})] * MAX_TRANSIENT_TRIES)
    target = make(app)
    response = target.send("DELETE", BOT_PATH)
    assert response.status_code == 503
    assert len(app.seen) == MAX_TRANSIENT_TRIES
    assert target.memo["slept"] == [backoff(n) for n in range(1, MAX_TRANSIENT_TRIES)]
    mark = persisted(response)
    assert mark is not None
    assert (mark.status, mark.tries) == (503, MAX_TRANSIENT_TRIES)
    assert mark.waited == sum(backoff(n) for n in range(1, MAX_TRANSIENT_TRIES))
    assert target.retries.snapshot() == {503: MAX_TRANSIENT_TRIES - 1}


def test_a_persisting_mix_of_transient_answers_names_them_all() -> None:
    app = scripted([(409, {}), (507, {}), (503, {}), (503, {}), (502, {}), (504, {})])
    response = make(app).send("POST", BOT_PATH, json={})
    mark = persisted(response)
    assert mark is not None and mark.statuses == (409, 507, 503, 503, 502, 504)
    assert "409, 507, 503, 503, 502, 504" in mark.describe()


def test_a_retry_after_past_max_wait_stops_retrying_and_says_so() -> None:
    app = scripted([(507, {"Retry-After": "120"})])
    target = make(app, max_wait=60)
    response = target.send("POST", BOT_PATH, json={})
    assert response.status_code == 507
    assert len(app.seen) == 1 and "slept" not in target.memo
    mark = persisted(response)
    assert mark is not None and mark.tries == 1
    assert "120 s" in mark.why and "(max_wait)" in mark.why  # as Python names it


def test_waiting_in_all_is_bounded_by_max_wait() -> None:
    app = scripted([(409, {"Retry-After": "2"})] * 4)
    target = make(app, max_wait=5)
    mark = persisted(target.send("POST", BOT_PATH, json={}))
    assert target.memo["slept"] == [2.0, 2.0]
    assert mark is not None and (mark.tries, mark.waited) == (3, 4.0)


def test_transient_statuses_can_be_narrowed_or_turned_off() -> None:
    app = scripted([(409, {}), (503, {})])
    target = make(app)
    response = target.send("POST", BOT_PATH, json={}, transient={409})
    assert response.status_code == 503 and persisted(response) is None
    assert make(scripted([(507, {})])).send("GET", "/x", transient=()).status_code == 507


def test_for_a_malformed_body_a_5xx_that_clears_on_one_retry_is_load_shedding() -> None:
    app = scripted([(503, {}), (400, {})])
    target = make(app)
    response = target.send("POST", BOT_PATH, content=b"{", transient=MALFORMED_TRANSIENT)
    assert response.status_code == 400
    assert target.memo["slept"] == [backoff(1)]


def test_for_a_malformed_body_a_5xx_that_repeats_is_the_answer_unmarked() -> None:
    app = scripted([(502, {}), (502, {}), (200, {})])
    target = make(app)
    response = target.send("POST", BOT_PATH, content=b"{", transient=MALFORMED_TRANSIENT)
    assert response.status_code == 502
    assert len(app.seen) == 2
    assert persisted(response) is None  # judged as a 5xx by the check, not as transient


def test_for_a_malformed_body_a_409_is_retried_as_always_and_a_500_never() -> None:
    app = scripted([(409, {}), (409, {}), (409, {})])
    target = make(app)
    assert target.send("POST", BOT_PATH, content=b"{", transient=MALFORMED_TRANSIENT).is_success
    assert len(app.seen) == 4
    crash = scripted([(500, {})])
    assert (
        make(crash).send("POST", BOT_PATH, content=b"{", transient=MALFORMED_TRANSIENT).status_code
        == 500
    )
    assert len(crash.seen) == 1


def test_a_429_between_transient_answers_is_waited_out_too() -> None:
    app = scripted([(503, {}), (429, {"Retry-After": "1"}), (507, {})])
    target = make(app)
    assert target.send("POST", BOT_PATH, json={}).status_code == 200
    assert target.memo["slept"] == [backoff(1), 1.0, backoff(2)]
    assert target.throttled_waits == 1
    assert target.retries.snapshot() == {503: 1, 507: 1}


def test_the_pacer_counts_every_try() -> None:
    app = scripted([(507, {}), (409, {})])
    target = make(app, rate_limit=RateLimit(100, 60.0))
    target.send("POST", BOT_PATH, json={})
    assert target.pacer.recent(("POST", EVENT_BOT), 60.0) == 3
    assert target.activity.requests == 3


def test_the_activity_shows_the_retry_wait_and_why() -> None:
    target = make(scripted([(507, {"Retry-After": "4"})]))
    seen: list[tuple[float | None, str]] = []
    target.sleep = lambda seconds: seen.append(
        (target.activity.wait_left(), target.activity.waiting_for)
    )
    target.send("POST", BOT_PATH, json={})
    [(left, why)] = seen
    assert left is not None and 3 < left <= 4
    assert why == "the 507 to clear (retry 1)"
    assert target.activity.wait_left() is None


def test_ctrl_c_during_a_retry_wait_stops_at_once() -> None:
    """The interrupt arrives while the server answers 507 (Retry-After: 30): the wait that
    follows does not happen, and nothing more is sent."""
    target = Target(TargetConfig(app=scripted([])))
    answered: list[int] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        answered.append(507)
        target.activity.stop()
        headers = [(b"retry-after", b"30")]
        await send({"type": "http.response.start", "status": 507, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    target.client = httpx.Client(base_url=target.base_url, transport=SyncASGITransport(app))
    with pytest.raises(KeyboardInterrupt):
        target.send("POST", BOT_PATH, json={})
    assert answered == [507]
    assert target.activity.waiting_until is None
