"""Bad input never hurts the server: each gets a clear 4xx JSON answer, never a 5xx or a hang,
and the server keeps serving. Every case runs in-process (ASGI) and against uvicorn on a port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from calbot.server import App, ServerConfig, create_app, running
from calbot.spec.throttles import RateLimit

KEY = "good-key"
VALID = b'{"deduplication_key": "k", "bot_config": {"bot_name": "Notetaker"}}'
TEN_MB = 10_000_000


def nested(levels: int, leaf: bytes = b"1") -> bytes:
    return b'{"a":' * levels + leaf + b"}" * levels


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    code: str | None = None  # the envelope's `code` for 400s
    body: bytes | None = VALID
    headers: dict[str, Any] = field(default_factory=dict)
    method: str = "POST"
    path: str = "bot"  # "bot": the event's bot path; otherwise a literal path
    chunked: int = 0  # stream this many bytes instead of `body`
    over_http: int | None = None  # the status over a socket, when the HTTP layer answers first


CASES = [
    Case("malformed JSON", 400, "parse_error", b"{bad"),
    Case("truncated JSON", 400, "parse_error", b'{"deduplication_key": "k"'),
    Case("whitespace only", 400, "parse_error", b"   \n"),
    Case("UTF-8 byte order mark", 400, "parse_error", b"\xef\xbb\xbf" + VALID),
    Case("body is a list", 400, "invalid_request_data", b"[]"),
    Case("body is a string", 400, "invalid_request_data", b'"text"'),
    Case("body is null", 400, "invalid_request_data", b"null"),
    Case("body is a number", 400, "invalid_request_data", b"42"),
    Case("empty body", 400, "invalid_request_data", b""),
    Case(
        "invalid UTF-8", 400, "parse_error", b'{"deduplication_key": "\xff\xfe", "bot_config": {}}'
    ),
    Case("lone continuation byte", 400, "parse_error", b"\x80"),
    Case("NUL bytes only", 400, "parse_error", b"\x00\x00\x00"),
    Case("NUL byte in a string", 400, "parse_error", b'{"deduplication_key": "a\x00b"}'),
    Case("NUL byte after the JSON", 400, "parse_error", VALID + b"\x00"),
    Case("10,000-deep arrays", 400, "parse_error", b"[" * 10_000 + b"]" * 10_000),
    Case("10,000-deep objects", 400, "parse_error", nested(10_000)),
    Case("100,000 open brackets", 400, "parse_error", b"[" * 100_000),
    Case(
        "150-deep bot_config",
        400,
        "parse_error",
        b'{"deduplication_key": "k", "bot_config": ' + nested(150, b"{}") + b"}",
    ),
    Case("NaN", 400, "parse_error", b'{"deduplication_key": "k", "bot_config": {"x": NaN}}'),
    Case("-Infinity", 400, "parse_error", b'{"deduplication_key": -Infinity, "bot_config": {}}'),
    Case(
        "5,000-digit integer",
        400,
        "parse_error",
        b'{"deduplication_key": "k", "bot_config": {"n": 1' + b"0" * 5000 + b"}}",
    ),
    Case("10 MB body", 413, body=b"x" * TEN_MB),
    Case("10 MB of valid JSON", 413, body=b'{"deduplication_key": "' + b"k" * TEN_MB + b'"}'),
    Case("10 MB chunked body", 413, chunked=TEN_MB),
    Case("text/plain", 415, headers={"content-type": "text/plain"}),
    Case("form-encoded", 415, headers={"content-type": "application/x-www-form-urlencoded"}),
    Case("multipart", 415, headers={"content-type": "multipart/form-data; boundary=x"}),
    Case("nonsense content type", 415, headers={"content-type": "/////;;;=="}),
    Case("10 KB content type", 415, headers={"content-type": "a/" + "b" * 10_000}),
    Case("JSON with a charset", 200, headers={"content-type": "application/json; charset=utf-8"}),
    Case("vendor JSON type", 200, headers={"content-type": "application/vnd.api+json"}),
    Case("missing Content-Type", 200),
    Case(
        "100 KB Authorization",
        401,
        headers={"authorization": "Token " + "a" * 100_000},
        over_http=431,  # past the header limit (32 KB by default)
    ),
    Case("1 MB Authorization", 401, headers={"authorization": "a" * 1_000_000}, over_http=431),
    Case("binary Authorization", 401, headers={"authorization": b"Token \xff\xfe\x80"}),
    Case("Authorization with spaces", 401, headers={"authorization": "Token a b c d"}),
    Case("500 extra headers", 200, headers={f"x-extra-{n}": "v" * 50 for n in range(500)}),
    Case(
        "2,001-character key",
        400,
        "invalid_request_data",
        json.dumps({"deduplication_key": "k" * 2001, "bot_config": {}}).encode(),
    ),
    Case(
        "900 KB key",
        400,
        "invalid_request_data",
        json.dumps({"deduplication_key": "k" * 900_000, "bot_config": {}}).encode(),
    ),
    Case(
        "lone surrogates",
        200,
        body=b'{"deduplication_key": "\\ud800", "bot_config": {"n": "\\udfff"}}',
    ),
    Case(
        "non-ASCII text",
        200,
        body=json.dumps(
            {"deduplication_key": "ключ 🔑", "bot_config": {"bot_name": "名前"}}
        ).encode(),
    ),
    Case(
        "duplicate keys",
        200,
        body=b'{"deduplication_key": "a", "deduplication_key": "b", "bot_config": {}}',
    ),
    Case(
        "shallow but bracket-heavy",
        200,
        body=b'{"deduplication_key": "k", "bot_config": {"l": ['
        + b",".join([b"[]"] * 5000)
        + b"]}}",
    ),
    Case(
        "bot_config is a list",
        400,
        "invalid_request_data",
        b'{"deduplication_key": "k", "bot_config": []}',
    ),
    Case(
        "metadata value is a number",
        400,
        "invalid_request_data",
        b'{"deduplication_key": "k", "bot_config": {"metadata": {"a": 1}}}',
    ),
    Case(
        "unsupported meeting URL",
        400,
        "invalid_request_data",
        b'{"deduplication_key": "k", "bot_config": {"meeting_url": "https://example.com/x"}}',
    ),
    Case("junk query string", 200, path="bot?%ff%00=&&&=x"),
    Case("NUL in the id", 404, path="/api/v2/calendar-events/%00/bot/"),
    Case("percent-encoded slash in the id", 404, path="/api/v2/calendar-events/a%2Fb/bot/"),
    Case("10 KB id", 404, path="/api/v2/calendar-events/" + "9" * 10_000 + "/bot/"),
    # A method token httptools does not know (FROB) is refused by uvicorn itself (400, text).
    Case("WebDAV method", 405, method="PROPFIND"),
    Case("PATCH", 405, method="PATCH"),
    Case("body on a GET", 404, method="GET", path="/api/v1/bot/x/", body=b"\x00" * 1000),
]


async def _astream(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 65536 + 1):
        yield b"x" * 65536


def _stream(total: int) -> Iterator[bytes]:
    for _ in range(total // 65536 + 1):
        yield b"x" * 65536


@pytest.fixture(scope="module")
def shared_app() -> App:
    return create_app(ServerConfig(api_keys=(KEY,), rate_limit=RateLimit(1_000_000, 60)))


@pytest.fixture(scope="module")
def shared_url(shared_app: App) -> Iterator[str]:
    with running(app=shared_app) as url:
        yield url


@pytest.fixture(scope="module")
def event(shared_app: App, in_process: Any) -> str:
    body = {
        "state": "a calendar event",
        "params": {
            "start_time": "2099-01-01T10:00:00Z",
            "end_time": "2099-01-01T11:00:00Z",
            "meeting_url": "https://meet.google.com/abc-defg-hij",
        },
    }
    response = in_process(shared_app, {"authorization": KEY}).post("/_calbot/states", json=body)
    ident: str = response.json()["id"]
    return ident


@pytest.fixture(params=["asgi", "real"])
def send(request: pytest.FixtureRequest, shared_app: App, in_process: Any) -> Any:
    """`send(case, event)`: the case's request, in-process or over a real socket."""
    real = request.param == "real"
    url = request.getfixturevalue("shared_url") if real else None

    def go(case: Case, event: str) -> httpx.Response:
        path = case.path
        if path.startswith("bot"):
            path = f"/api/v2/calendar-events/{event}/bot/" + path[3:]
        headers = {"authorization": f"Token {KEY}", **case.headers}
        kwargs: dict[str, Any] = {"headers": headers}
        if case.chunked:
            kwargs["content"] = _stream(case.chunked) if real else _astream(case.chunked)
        elif case.body is not None:
            kwargs["content"] = case.body
        if real:
            with httpx.Client(base_url=str(url), timeout=20) as http:
                return http.request(case.method, path, **kwargs)
        response: httpx.Response = in_process(shared_app).request(case.method, path, **kwargs)
        return response

    go.real = real  # type: ignore[attr-defined]
    return go


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gets_a_clear_4xx_json_answer(send: Any, event: str, case: Case) -> None:
    response = send(case, event)
    expected = case.over_http if send.real and case.over_http else case.status
    assert response.status_code == expected, response.text[:500]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    if case.code is not None:
        assert set(body) == {"code", "message", "errors"}
        assert body["code"] == case.code
        assert all(isinstance(v, list | dict) for v in body["errors"].values())
    if case.code == "parse_error":
        assert body["errors"]["non_field_errors"][0].startswith("JSON parse error - ")
    elif expected in (401, 404, 405, 413, 415, 431):
        assert isinstance(body["detail"], str)
    health = send(Case("health", 200, method="GET", path="/_calbot/health", body=None), event)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["evicted"] == {"events": 0, "bots": 0}


def test_a_deep_but_accepted_config_can_be_read_back(send: Any, event: str) -> None:
    body = b'{"deduplication_key": "deep", "bot_config": {"x": ' + nested(95) + b"}}"
    scheduled = send(Case("deep", 200, body=body), event)
    assert scheduled.status_code == 200
    bot = scheduled.json()["bots"][0]["bot_id"]
    fetched = send(Case("get", 200, method="GET", path=f"/api/v1/bot/{bot}/", body=None), event)
    assert fetched.status_code == 200 and fetched.json()["x"]["a"]["a"]["a"]


def test_text_that_survives_a_round_trip(send: Any, event: str) -> None:
    case = Case("text", 200, body=b'{"deduplication_key": "\\ud800\\u0000", "bot_config": {}}')
    assert send(case, event).json()["bots"][0]["deduplication_key"] == "\ud800\x00"
