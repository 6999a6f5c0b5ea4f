"""A thin raw-ASGI adapter over `ServerCore`: reads the body up to the cap, answers JSON.

No web framework: uvicorn (or `httpx.ASGITransport`) speaks HTTP, this turns ASGI messages
into a `Request` and a `Response` back into ASGI messages.

The body has `limits.request_timeout` seconds to arrive; a body that does not is answered 408
through the core (so the ledger has it) and the connection is closed. `stop(grace)` starts a
graceful stop: new requests get 503, bodies still arriving get `grace` seconds and then a 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from calbot.server.config import ServerConfig
from calbot.server.core import ServerCore
from calbot.server.messages import STOPPING, TIMED_OUT, Request, Response, server_error
from calbot.serving.answers import encode

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("calbot.server")

_JSON = (b"content-type", b"application/json")


class Disconnected(Exception):
    """The client went away before its request body was complete."""


class App:
    """The ASGI application; `core` holds the state (`app.core.world`, `app.core.reset()`)."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.stopping = False
        self._reads: set[asyncio.Timeout] = set()

    def stop(self, grace: float) -> None:
        """Refuse new requests (503); bodies still arriving get `grace` seconds, then a 503.

        Call it on the event loop that serves the app (uvicorn's server does, on shutdown).
        """
        self.stopping = True
        deadline = asyncio.get_running_loop().time() + grace
        for timer in list(self._reads):
            when = timer.when()
            if when is None or when > deadline:
                timer.reschedule(deadline)

    def resume(self) -> None:
        """Take requests again (a server starting with this app calls it)."""
        self.stopping = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1003})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def respond(response: Response) -> None:
            nonlocal started
            payload = encode(response.body)
            headers = [_JSON, (b"content-length", str(len(payload)).encode("ascii"))]
            headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
            started = True
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": payload})

        try:
            request = await self._request(scope, receive)
            response = self.core.handle(request)
            if request.body_too_large and response.header("Connection") is None:
                # The rest of the body is not read: the connection cannot be reused.
                response = Response(
                    response.status, response.body, (*response.headers, ("Connection", "close"))
                )
            await respond(response)
        except Disconnected:
            return
        except Exception:
            log.exception("unexpected error in the ASGI adapter")
            if not started:
                await respond(server_error())

    async def _request(self, scope: Scope, receive: Receive) -> Request:
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        config = self.core.config
        cap = config.max_body_bytes
        declared = headers.get("content-length", "")
        body: bytes | None = b""
        interrupted = ""
        if self.stopping:
            interrupted = STOPPING  # new work: refused without reading it
        elif declared.isdigit() and (len(declared) > 18 or int(declared) > cap):
            body = None  # refused at once, without reading it
        else:
            try:
                body = await self._read_in_time(receive, cap, config.limits.request_timeout)
            except TimeoutError:
                body, interrupted = b"", (STOPPING if self.stopping else TIMED_OUT)
        query = scope.get("query_string", b"")
        return Request(
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            body=body or b"",
            query=query.decode("latin-1") if isinstance(query, bytes) else "",
            body_too_large=body is None,
            interrupted=interrupted,
        )

    async def _read_in_time(self, receive: Receive, cap: int, seconds: float) -> bytes | None:
        """`_read_body` within `seconds` (TimeoutError past them, or when `stop` cuts it short).

        Only on asyncio: in-process under another event loop (trio through
        `httpx.ASGITransport`), the body is read without a timeout.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return await _read_body(receive, cap)
        async with asyncio.timeout(seconds) as timer:
            self._reads.add(timer)
            try:
                return await _read_body(receive, cap)
            finally:
                self._reads.discard(timer)


async def _read_body(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None as soon as it goes over `cap` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(config: ServerConfig | None = None) -> App:
    """The reference server as an ASGI app (serve it with uvicorn, or `httpx.ASGITransport`)."""
    return App(ServerCore(config))
