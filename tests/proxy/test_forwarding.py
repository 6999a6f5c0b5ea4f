"""The proxy forwards unchanged (status, headers less hop-by-hop ones, body byte for byte),
injects faults before forwarding, answers 502/504 for an upstream that gives none, and never
writes the key."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
import uvicorn

from calbot.contracts.clients.verify import client_result
from calbot.contracts.results import Status
from calbot.contracts.traffic.verdict import traffic_result
from calbot.proxy import ProxyConfig, ProxyRecorder, UpstreamError, create_proxy, running_proxy
from calbot.server.faults import Faults
from calbot.serving import ReadyServer, bind, in_thread

from .traffic import KEY, polite, session, upstream

Scope = MutableMapping[str, Any]
ODD_BYTES = bytes(range(256)) * 3


class Echo:
    """An upstream that answers 418 with odd bytes and tells what it received, in headers."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append({"scope": scope, "body": body})
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"x-upstream", b"yes"),
            (b"set-cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
            (b"connection", b"x-hop"),
            (b"x-hop", b"dropped"),
            (b"keep-alive", b"timeout=5"),
        ]
        await send({"type": "http.response.start", "status": 418, "headers": headers})
        await send({"type": "http.response.body", "body": ODD_BYTES[:100], "more_body": True})
        await send({"type": "http.response.body", "body": ODD_BYTES[100:]})


def through(app: Any, request: httpx.Request, **options: Any) -> tuple[httpx.Response, Any]:
    ledger = ProxyRecorder()
    proxy = create_proxy(
        ProxyConfig(
            "http://upstream.test/prefix/",
            ledger=ledger,
            transport=httpx.ASGITransport(app=app),
            **options,
        )
    )

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy)) as client:
            response = await client.send(request)
            await response.aread()
        await proxy.aclose()
        return response

    return asyncio.run(run()), ledger


def test_the_answer_comes_back_unchanged_and_the_request_goes_on_unchanged() -> None:
    echo = Echo()
    request = httpx.Request(
        "PUT",
        "http://proxy.test/any/th%C3%AFng/?b=2&a=%20",
        headers=[
            ("Authorization", f"Token {KEY}"),
            ("Connection", "x-private"),
            ("X-Private", "hop"),
            ("TE", "trailers"),
            ("Proxy-Authorization", "Basic c2VjcmV0"),
            ("X-Custom", "kept"),
        ],
        content=ODD_BYTES,
    )
    response, _ = through(echo, request)
    assert response.status_code == 418
    assert response.content == ODD_BYTES
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-upstream"] == "yes"
    assert "x-hop" not in response.headers and "keep-alive" not in response.headers
    (seen,) = echo.seen
    assert seen["body"] == ODD_BYTES
    assert seen["scope"]["method"] == "PUT"
    assert seen["scope"]["raw_path"] == b"/prefix/any/th%C3%AFng/"
    assert seen["scope"]["query_string"] == b"b=2&a=%20"
    sent = {k.decode().lower(): v.decode() for k, v in seen["scope"]["headers"]}
    assert sent["host"] == "upstream.test"
    assert sent["authorization"] == f"Token {KEY}"  # the client's key goes to the upstream
    assert sent["x-custom"] == "kept"
    assert not {"x-private", "te", "proxy-authorization", "connection"} & set(sent)


def test_a_large_body_is_streamed_through_and_recorded_as_too_large() -> None:
    echo = Echo()
    big = json.dumps({"deduplication_key": "k", "bot_config": {"x": "y" * 1_200_000}}).encode()

    async def chunks() -> Any:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/"
    request = httpx.Request("POST", f"http://proxy.test{path}", content=chunks())
    response, ledger = through(echo, request)
    assert response.status_code == 418
    assert echo.seen[0]["body"] == big
    (record,) = ledger.records
    assert record.validation == "invalid" and record.body is None
    assert record.errors == {"non_field_errors": ["Request body too large."]}


def test_the_key_is_in_no_ledger_line() -> None:
    def careless_with_its_key(app: Any) -> list[Any]:
        async def drive(client: httpx.AsyncClient) -> None:
            await polite(client)
            await client.post(
                "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/",
                json={"deduplication_key": KEY, "bot_config": {"metadata": {"key": KEY}}},
            )

        return session(app, drive)

    records = careless_with_its_key(upstream())
    lines = "".join(record.to_line() for record in records)
    assert KEY not in lines and "wrong-key" not in lines and "****" in lines
    assert {r.workspace for r in records} == {"key1", "key2"}  # the right key, the wrong one


def test_faults_answer_before_forwarding_and_can_be_added_at_run_time() -> None:
    echo = Echo()
    faults = Faults()
    path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/"
    ledger = ProxyRecorder()
    transport = httpx.ASGITransport(app=echo)
    proxy = create_proxy(
        ProxyConfig("http://up.test", faults=faults, ledger=ledger, transport=transport)
    )

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=proxy),
            base_url="http://proxy.test",
            headers={"Authorization": f"Token {KEY}"},
        ) as client:
            keyless = await client.post(
                "/_calbot/faults", json={"faults": ["500:*"]}, headers={"Authorization": ""}
            )
            added = await client.post("/_calbot/faults", json={"faults": ["429:1:retry-after=3"]})
            answers = [keyless, added, await client.get(path), await client.get(path)]
        await proxy.aclose()
        return answers

    keyless, added, throttled, forwarded = asyncio.run(run())
    assert keyless.status_code == 401  # the fault endpoint needs a key, as the server's does
    assert added.json() == {"pending": ["429:1:retry-after=3"]}
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "3"
    assert throttled.headers["x-calbot-fault"] == "429:1:retry-after=3"
    assert forwarded.status_code == 418
    assert len(echo.seen) == 1  # the upstream saw only the forwarded request
    assert [(r.status, r.answered_by) for r in ledger.records] == [
        (401, "proxy"),
        (200, "proxy"),
        (429, "proxy"),
        (418, "upstream"),
    ]


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound, never listening: connections are refused


def test_an_unreachable_upstream_is_a_502_recorded_as_the_upstreams_failure(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = ProxyRecorder()
    proxy = create_proxy(ProxyConfig(f"http://127.0.0.1:{closed_port}", ledger=ledger))
    path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/"
    with running_proxy(proxy) as url:
        httpx.get(f"{url}/a-path-with-the-{KEY}", headers={"Authorization": f"Token {KEY}"})
        for _ in range(7):  # a client retrying at once: still not held against it
            response = httpx.get(url + path, headers={"Authorization": f"Token {KEY}"})
    assert response.status_code == 502
    assert response.headers["x-calbot-proxy"] == "upstream-error"
    detail = response.json()["detail"]
    assert detail.startswith("calbot proxy: the upstream") and "\n" not in detail
    record = ledger.records[-1]
    assert (record.answered_by, record.operation) == ("proxy", None)
    assert record.upstream_error and "could not be reached" in record.upstream_error
    client = client_result(ledger.records)
    assert not client.findings()
    server = traffic_result(ledger.records)
    assert server.exit_code == 2  # nothing the upstream answered could be judged
    upstream_check = next(c for c in server.checks if c.rule == "traffic.upstream-answered")
    assert upstream_check.status is Status.ERROR and upstream_check.findings[0].count == 8
    assert "could not be reached" in caplog.text and KEY not in caplog.text


def test_a_silent_upstream_is_a_504_after_the_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        ledger = ProxyRecorder()
        proxy = create_proxy(ProxyConfig(f"http://127.0.0.1:{port}", timeout=0.3, ledger=ledger))
        with running_proxy(proxy) as url:
            response = httpx.get(url + "/api/v1/bot/x/", timeout=5)
    assert response.status_code == 504
    assert "did not answer within 0.3 s" in response.json()["detail"]
    assert ledger.records[0].upstream_error is not None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com",
        "http://",
        "example.com",
        "http://h/?q=1",
        "http://h/#f",
        "http://u:p@h",
    ],
)
def test_an_unusable_upstream_url_is_refused(url: str) -> None:
    with pytest.raises(UpstreamError):
        ProxyConfig(url)


def serving(app: Echo) -> AbstractContextManager[str]:
    """Any ASGI app on uvicorn in a thread, as calbot serves its own."""
    config = uvicorn.Config(app, lifespan="off", log_config=None, log_level="warning")
    return in_thread(ReadyServer(config), bind(), "the echo upstream")


def test_one_client_connection_keeps_one_upstream_connection() -> None:
    echo = Echo()
    with serving(echo) as upstream_url:
        proxy = create_proxy(ProxyConfig(upstream_url))
        with running_proxy(proxy) as url, httpx.Client(base_url=url) as client:
            answers = [client.get(f"/n/{n}").status_code for n in range(5)]
    assert answers == [418] * 5
    assert len({tuple(seen["scope"]["client"]) for seen in echo.seen}) == 1  # keep-alive


def test_an_absolute_form_request_still_goes_to_the_one_upstream() -> None:
    echo = Echo()
    raw = b"GET http://elsewhere.invalid/x?y=1 HTTP/1.1\r\nHost: elsewhere.invalid\r\n"
    raw += b"Connection: close\r\n\r\n"
    with (
        serving(echo) as upstream_url,
        running_proxy(create_proxy(ProxyConfig(upstream_url))) as url,
    ):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(raw)
            head = conn.recv(65536)
    assert head.startswith(b"HTTP/1.1 418")
    (seen,) = echo.seen
    sent = dict(seen["scope"]["headers"])
    assert seen["scope"]["path"] == "/x" and sent[b"host"] != b"elsewhere.invalid"


def test_a_compressed_answer_goes_back_compressed_and_is_recorded_readable() -> None:
    import gzip

    payload = gzip.compress(json.dumps({"detail": "Not found."}).encode())

    async def gzipped(scope: Scope, receive: Any, send: Any) -> None:
        await receive()
        headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    path = "/api/v1/bot/9f0e2b1c-3333-4d5e-8f90-aabbccddeeff/"
    request = httpx.Request("GET", f"http://proxy.test{path}", headers={"Accept-Encoding": "gzip"})
    response, ledger = through(gzipped, request)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    (record,) = ledger.records
    assert record.response == {"detail": "Not found."} and record.message == "Not found."
