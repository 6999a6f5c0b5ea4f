"""The proxy as a raw ASGI app: every request to the one upstream, every answer back unchanged.

Status, headers (less hop-by-hop ones) and body go back byte for byte, streamed both ways,
over pooled keep-alive connections (httpx). Each exchange goes to the ledger once its answer
is complete. A `--fault` answers before forwarding; an upstream that cannot be reached or is
too slow gets the client a 502/504 `{"detail": ...}` marked `X-Calbot-Proxy: upstream-error`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

import httpx

from calbot.contracts.masking import mask
from calbot.proxy.config import ProxyConfig
from calbot.proxy.failures import failure_of
from calbot.proxy.headers import as_text, end_to_end, request_headers
from calbot.proxy.pool import UpstreamPool
from calbot.proxy.recording import MAX_REQUEST_BODY, MAX_RESPONSE_BODY, Captured
from calbot.server.config import utc_now
from calbot.server.core import credentials
from calbot.server.faults import FAULTS_PATH
from calbot.server.messages import Request, Response
from calbot.serving.answers import encode

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("calbot.proxy")
_PASS = Response(0, {})  # what a fault hook's `following` returns: no fault, forward


class Disconnected(Exception):
    """The client went away before its request was complete."""


class _Tee:
    """Keeps a copy of the bytes that pass, up to a cap (`complete` turns False past it)."""

    __slots__ = ("cap", "chunks", "complete", "size")

    def __init__(self, cap: int) -> None:
        self.cap, self.size, self.complete = cap, 0, True
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.complete and self.size <= self.cap:
            self.chunks.append(chunk)
        else:
            self.complete, self.chunks = False, []

    @property
    def data(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


class Proxy:
    """The ASGI app; `config.ledger` holds what it recorded."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.pool = UpstreamPool(config)

    async def aclose(self) -> None:
        """Close the connections to the upstream."""
        await self.pool.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            try:
                await self._http(scope, receive, send)
            except Disconnected:
                return
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        captured = Captured(
            arrived=utc_now(),
            method=scope["method"],
            path=scope["path"],
            headers=as_text(scope["headers"]),
            request_body=None,
        )
        started = time.perf_counter()
        first = await receive()
        if first["type"] == "http.disconnect":
            raise Disconnected
        tee = _Tee(MAX_REQUEST_BODY)
        body: bytes | AsyncIterator[bytes] = first.get("body", b"")
        assert isinstance(body, bytes)
        tee.add(body)
        streaming = bool(first.get("more_body", False))
        if self.config.faults is not None:
            control = scope["path"].rstrip("/") == FAULTS_PATH
            if streaming and control:  # the control endpoint reads the request whole
                body, streaming = await _read_rest(body, receive, tee), False
            captured.request_body = body if tee.complete else None
            injected = self._fault(captured, scope)  # decided by method and path alone
            if injected is not None:
                if streaming:  # recorded whole, as if forwarded
                    body, streaming = await _read_rest(body, receive, tee), False
                    captured.request_body = body if tee.complete else None
                await self._answer(injected, captured, send)
                return
        content = _stream(body, receive, tee) if streaming else body
        try:
            upstream = await self.pool.send(scope, self._forward(scope, content))
        except httpx.HTTPError as error:
            await self._failed(error, captured, tee, started, send)
            return
        try:
            await self._relay(upstream, captured, send)
        finally:
            await upstream.aclose()
            captured.request_body = tee.data if tee.complete else None
            captured.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
            if self.config.ledger is not None:
                self.config.ledger.add(captured)

    def _forward(self, scope: Scope, content: bytes | AsyncIterator[bytes]) -> httpx.Request:
        raw_path = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
        url = self.config.upstream + raw_path.decode("latin-1")
        query = scope.get("query_string", b"")
        if query:
            url += "?" + query.decode("latin-1")
        return httpx.Request(
            scope["method"], url, headers=request_headers(scope["headers"]), content=content
        )

    async def _relay(self, upstream: httpx.Response, captured: Captured, send: Send) -> None:
        captured.status = upstream.status_code
        captured.response_headers = {k.lower(): v for k, v in upstream.headers.items()}
        headers = end_to_end(upstream.headers.raw)
        await send(
            {"type": "http.response.start", "status": upstream.status_code, "headers": headers}
        )
        tee = _Tee(MAX_RESPONSE_BODY)
        try:
            async for chunk in upstream.aiter_raw():
                tee.add(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError as error:
            failure = failure_of(error, self.config.upstream, self.config.timeout)
            captured.upstream_error = failure.reason
            captured.response_complete = False
            self._warn(captured, failure.reason)
            return  # the answer is under way: left incomplete, the client's connection drops
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        captured.response_body = tee.data if tee.complete else b""
        captured.response_complete = tee.complete

    async def _failed(
        self, error: httpx.HTTPError, captured: Captured, tee: _Tee, started: float, send: Send
    ) -> None:
        failure = failure_of(error, self.config.upstream, self.config.timeout)
        self._warn(captured, failure.reason)
        payload = failure.body()
        await send(
            {
                "type": "http.response.start",
                "status": failure.status,
                "headers": failure.headers(len(payload)),
            }
        )
        await send({"type": "http.response.body", "body": payload})
        captured.status = failure.status
        captured.answered_by = "proxy"
        captured.upstream_error = failure.reason
        captured.request_body = tee.data if tee.complete else None
        captured.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        if self.config.ledger is not None:
            self.config.ledger.add(captured)

    def _warn(self, captured: Captured, reason: str) -> None:
        """One log line per failed exchange (any key the proxy has seen masked out)."""
        secrets = self.config.ledger.secrets if self.config.ledger is not None else ()
        own = credentials(captured.headers.get("authorization"))
        where = mask(f"{captured.method} {captured.path}", (*secrets, *([own] if own else [])))
        log.warning("calbot proxy: %s: %s", where, reason)

    def _fault(self, captured: Captured, scope: Scope) -> Response | None:
        """The injected answer for this request, if a pending fault takes it."""
        assert self.config.faults is not None
        if scope["path"].rstrip("/") != FAULTS_PATH and not scope["path"].startswith("/api/"):
            return None
        query = scope.get("query_string", b"")
        request = Request(
            captured.method,
            captured.path,
            captured.headers,
            captured.request_body or b"",
            query.decode("latin-1") if isinstance(query, bytes) else "",
        )
        answer = self.config.faults(request, lambda _request: _PASS)
        return None if answer is _PASS else answer

    async def _answer(self, response: Response, captured: Captured, send: Send) -> None:
        payload = encode(response.body)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode("ascii")),
        ]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        captured.status = response.status
        captured.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        captured.response_body = payload
        captured.answered_by = "proxy"
        if self.config.ledger is not None:
            self.config.ledger.add(captured)


async def _read_rest(first: bytes, receive: Receive, tee: _Tee) -> bytes:
    chunks = [first]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        tee.add(chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _stream(first: bytes, receive: Receive, tee: _Tee) -> AsyncIterator[bytes]:
    """The request body as it arrives, copied into `tee` on the way."""
    if first:
        yield first
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        tee.add(chunk)
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def create_proxy(config: ProxyConfig) -> Proxy:
    """The proxy as an ASGI app (serve it with uvicorn, or in-process with httpx)."""
    return Proxy(config)
