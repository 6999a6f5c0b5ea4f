"""The proxy as a raw ASGI app: every request to the one upstream, every answer back unchanged.

Status, headers (less hop-by-hop ones) and body go back byte for byte, streamed both ways,
over pooled keep-alive connections (httpx). A `--fault` answers before forwarding; the fault
endpoint (`/_calbot/faults`) needs a key and serves the caller's key only.

Every exchange the proxy answers is in the ledger before the last byte of its answer leaves:
the answer is relayed one chunk behind the upstream, and the record is written and flushed
before that last chunk (or the whole answer, when the proxy answers itself) goes out. So a
client never holds an answer the ledger lacks, even after `kill -9`.

Deadlines (`deadline.py`): the client's body within `limits.request_timeout` (else 408); the
upstream's status and headers within `timeout` of the request, its body within `timeout` more
(else 504, or the answer is cut off and recorded as such); on a stop, `limits.shutdown_grace`
for whatever is in progress, then a 503. The proxy's own answers are JSON `{"detail": ...}`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from calbot.contracts.masking import credential
from calbot.proxy.bodies import Disconnected, RequestBody, Tee, TooLarge
from calbot.proxy.config import ProxyConfig
from calbot.proxy.credentials import Credentials
from calbot.proxy.deadline import Deadline, Phase
from calbot.proxy.failures import (
    UpstreamFailure,
    body_not_taken,
    cut_by_stop,
    failure_of,
    late,
    unfinished,
)
from calbot.proxy.headers import as_text, end_to_end, request_headers
from calbot.proxy.pool import UpstreamPool
from calbot.proxy.recording import MAX_RESPONSE_BODY, Captured
from calbot.server.config import utc_now
from calbot.server.messages import Request, Response, detail, request_timeout, too_large
from calbot.serving.answers import encode
from calbot.serving.limits import shutting_down_message
from calbot.serving.protocol import abort
from calbot.spec.states import FAULTS_PATH, PROXY_HEALTH_PATH

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("calbot.proxy")
_PASS = Response(0, {})  # what a fault hook's `following` returns: no fault, forward
_CLOSE = (b"connection", b"close")


@dataclass(slots=True)
class Exchange:
    """One request and what has happened to it so far."""

    scope: Scope
    captured: Captured
    started: float = field(default_factory=time.perf_counter)
    body: RequestBody | None = None
    upstream: httpx.Response | None = None
    answering: bool = False  # the answer's start went to the client
    recorded: bool = False

    @property
    def body_ended(self) -> bool:
        return self.body is not None and self.body.ended


class Proxy:
    """The ASGI app; `config.ledger` holds what it recorded. A `Stoppable` (see `serving`)."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.pool = UpstreamPool(config)
        self.credentials = config.ledger.credentials if config.ledger else Credentials()
        self.stopping = False
        self._deadlines: set[Deadline] = set()

    async def aclose(self) -> None:
        """Close the connections to the upstream."""
        await self.pool.aclose()

    def stop(self, grace: float) -> None:
        """New requests get 503; what is in progress gets `grace` seconds, then a 503 (or is cut
        off, when its answer is under way). Call it on the serving event loop."""
        self.stopping = True
        for deadline in list(self._deadlines):
            deadline.stop(grace)

    def resume(self) -> None:
        """Take requests again (a server starting with this app calls it)."""
        self.stopping = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
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

    # --- one exchange ------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        ex = Exchange(
            scope,
            Captured(
                arrived=utc_now(),
                method=scope["method"],
                path=scope["path"],
                headers=as_text(scope["headers"]),
                request_body=None,
            ),
        )
        if scope["path"] == PROXY_HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await self._health(send)  # the proxy's own readiness: not traffic, not recorded
            return
        if self.stopping:
            await self._reply(ex, _stopping(), send)
            return
        deadline = Deadline()
        self._deadlines.add(deadline)
        try:
            async with asyncio.timeout(None) as timer:
                deadline.start(timer, Phase.BODY, self.config.limits.request_timeout)
                await self._exchange(ex, receive, send, deadline)
        except Disconnected:
            pass  # the client went away mid-request: nothing was answered
        except Exception as error:
            if isinstance(error, TimeoutError) and deadline.expired:
                await self._expired(ex, deadline, send)
            else:  # a bug: logged, and a JSON answer, never uvicorn's plain-text 500
                log.exception("calbot proxy: unexpected error")
                failure = UpstreamFailure(502, f"calbot proxy failed: {error!r}")
                await self._give_up(ex, failure, send)
        finally:
            self._deadlines.discard(deadline)
            if ex.upstream is not None:
                await ex.upstream.aclose()

    async def _exchange(
        self, ex: Exchange, receive: Receive, send: Send, deadline: Deadline
    ) -> None:
        limit = self.config.max_body_bytes
        body = ex.body = RequestBody(
            receive, deadline, limit=limit, answer_timeout=self.config.timeout
        )
        declared = ex.captured.headers.get("content-length", "").strip()
        try:
            if limit is not None and declared.isdigit() and int(declared) > limit:
                raise TooLarge  # refused at once, without reading it
            first = await body.next()
            if self.config.faults is not None:
                if ex.captured.path.rstrip("/") == FAULTS_PATH:
                    await body.drain()  # the control endpoint reads the request whole
                injected = self._fault(ex)  # decided by method and path alone
                if injected is not None:
                    await body.drain()  # recorded whole, as if forwarded
                    await self._reply(ex, injected, send)
                    return
            content = first if body.ended else body.stream(first)
            upstream = await self.pool.send(ex.scope, self._forward(ex.scope, content))
        except TooLarge:
            assert limit is not None
            await self._reply(ex, too_large(limit), send)
            return
        except httpx.HTTPError as error:
            await self._give_up(
                ex, failure_of(error, self.config.upstream, self.config.timeout), send
            )
            return
        ex.upstream = upstream
        deadline.until(Phase.ANSWER_BODY, self.config.timeout)
        await self._relay(ex, upstream, send, deadline)

    def _forward(self, scope: Scope, content: bytes | AsyncIterator[bytes]) -> httpx.Request:
        raw_path = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
        url = self.config.upstream + raw_path.decode("latin-1")
        query = scope.get("query_string", b"")
        if query:
            url += "?" + query.decode("latin-1")
        return httpx.Request(
            scope["method"], url, headers=request_headers(scope["headers"]), content=content
        )

    async def _relay(
        self, ex: Exchange, upstream: httpx.Response, send: Send, deadline: Deadline
    ) -> None:
        """The upstream's answer, one chunk behind; recorded before the last chunk goes."""
        captured = ex.captured
        captured.status = upstream.status_code
        captured.response_headers = {k.lower(): v for k, v in upstream.headers.items()}
        headers = end_to_end(upstream.headers.raw)
        if not ex.body_ended:  # the upstream answered before the body ended: not read on
            headers.append(_CLOSE)
        start = {"type": "http.response.start", "status": upstream.status_code, "headers": headers}
        tee = Tee(MAX_RESPONSE_BODY)
        held = b""
        try:
            async for chunk in upstream.aiter_raw():
                if not chunk:
                    continue
                tee.add(chunk)
                deadline.grow(len(chunk))
                if held:
                    await self._deliver(ex, start, held, send, deadline)
                held = chunk
                deadline.waiting_for(Phase.ANSWER_BODY)
        except httpx.HTTPError as error:
            failure = failure_of(error, self.config.upstream, self.config.timeout)
            # nothing went out yet: a clean 502 instead of a torn answer; else cut off
            await self._give_up(ex, failure, send)
            return
        captured.response_body = tee.data if tee.complete else b""
        captured.response_complete = tee.complete
        self._record(ex)
        deadline.waiting_for(Phase.DELIVER)
        if not ex.answering:
            ex.answering = True
            await send(start)
        await send({"type": "http.response.body", "body": held, "more_body": False})

    async def _deliver(
        self, ex: Exchange, start: Message, chunk: bytes, send: Send, deadline: Deadline
    ) -> None:
        deadline.waiting_for(Phase.DELIVER)
        if not ex.answering:
            ex.answering = True  # before the await: a start is never sent twice
            await send(start)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def _expired(self, ex: Exchange, deadline: Deadline, send: Send) -> None:
        """A deadline passed: answer for it, or cut the answer under way, recorded either way."""
        cause = deadline.cause
        upstream, timeout = self.config.upstream, self.config.timeout
        if ex.recorded:  # the last bytes could not go out in time: the client is gone
            abort(ex.scope)
            return
        if ex.answering:
            if cause is Phase.DELIVER:  # the client's doing: the upstream did answer
                note = f"cut off: the client did not take the answer within {timeout:g} s"
                self._cut(ex, note=note)
                return
            reason = cut_by_stop(deadline.grace) if cause is Phase.STOP else None
            await self._give_up(ex, unfinished(upstream, timeout), send, reason=reason)
            return
        request_seconds = self.config.limits.request_timeout
        if cause is Phase.STOP:
            await self._reply(ex, _stopping(), send)
        elif cause is Phase.BODY:
            await self._reply(ex, request_timeout(request_seconds), send)
        elif cause is Phase.UPLOAD:
            await self._give_up(ex, body_not_taken(upstream, request_seconds), send)
        elif cause is Phase.ANSWER:
            await self._give_up(ex, late(upstream, timeout), send)
        else:
            await self._give_up(ex, unfinished(upstream, timeout), send)

    # --- answers and records -----------------------------------------------------------------

    async def _give_up(
        self, ex: Exchange, failure: UpstreamFailure, send: Send, *, reason: str | None = None
    ) -> None:
        """The upstream gave no usable answer: 502/504 from the proxy, recorded as its failure
        (`reason` instead of the failure's own); an answer already under way is cut off."""
        reason = reason or failure.reason
        self._warn(ex, reason)
        if ex.answering:
            self._cut(ex, upstream_error=reason)
            return
        await self._reply(ex, failure.response(), send, upstream_error=reason)

    async def _health(self, send: Send) -> None:
        body = {"status": "stopping" if self.stopping else "ok", "upstream": self.config.upstream}
        payload = encode(body)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode("ascii")),
        ]
        status = 503 if self.stopping else 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _reply(
        self, ex: Exchange, response: Response, send: Send, *, upstream_error: str | None = None
    ) -> None:
        """An answer of the proxy's own: recorded, then sent whole."""
        payload = encode(response.body)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode("ascii")),
        ]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if not ex.body_ended and _CLOSE not in headers:  # the rest of the body is not read
            headers.append(_CLOSE)
        captured = ex.captured
        captured.status = response.status
        captured.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        captured.response_body = payload
        captured.response_complete = True
        captured.answered_by = "proxy"
        captured.upstream_error = upstream_error
        self._record(ex)
        ex.answering = True
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _cut(
        self, ex: Exchange, *, upstream_error: str | None = None, note: str | None = None
    ) -> None:
        """An answer under way that cannot be completed: recorded as such, connection dropped."""
        captured = ex.captured
        captured.response_body = b""
        captured.response_complete = False
        captured.response_note = note or upstream_error
        captured.upstream_error = upstream_error
        if not ex.recorded:
            self._record(ex)
        abort(ex.scope)

    def _record(self, ex: Exchange) -> None:
        captured = ex.captured
        body = ex.body
        captured.request_body = body.kept if body is not None else b""
        if body is not None and captured.request_body is None:
            captured.request_note = body.note
        captured.elapsed_ms = round((time.perf_counter() - ex.started) * 1000, 3)
        ex.recorded = True
        if self.config.ledger is not None:
            self.config.ledger.add(captured)

    def _warn(self, ex: Exchange, reason: str) -> None:
        """One log line per failed exchange (every key the proxy remembers masked out)."""
        self.credentials.label(ex.captured.headers.get("authorization"))  # its own key too
        where = self.credentials.masker.text(f"{ex.captured.method} {ex.captured.path}")
        log.warning("calbot proxy: %s: %s", where, reason)

    def _fault(self, ex: Exchange) -> Response | None:
        """The injected answer for this request, if a pending fault takes it."""
        assert self.config.faults is not None
        captured, scope = ex.captured, ex.scope
        if captured.path.rstrip("/") != FAULTS_PATH and not captured.path.startswith("/api/"):
            return None
        query = scope.get("query_string", b"")
        assert ex.body is not None
        request = Request(
            captured.method,
            captured.path,
            captured.headers,
            ex.body.kept or b"",
            query.decode("latin-1") if isinstance(query, bytes) else "",
            # faults are per key, as the server's are per workspace; no key, no control
            workspace=credential(captured.headers.get("authorization")),
        )
        answer = self.config.faults(request, lambda _request: _PASS)
        return None if answer is _PASS else answer


def _stopping() -> Response:
    return detail(503, shutting_down_message("proxy"), (("Connection", "close"),))


def create_proxy(config: ProxyConfig) -> Proxy:
    """The proxy as an ASGI app (serve it with uvicorn, or in-process with httpx)."""
    return Proxy(config)
