"""A synchronous httpx transport over an ASGI app, so sync code can test an app in-process."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

ASGIApp = Any


class SyncASGITransport(httpx.BaseTransport):
    """Runs `httpx.ASGITransport` on a private event loop in a background thread."""

    def __init__(self, app: ASGIApp, *, timeout: float = 30.0) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._inner.handle_async_request(inner)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        future = asyncio.run_coroutine_threadsafe(send(), self._loop)
        try:
            status, headers, body = future.result(self._timeout)
        except TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("the in-process app did not answer", request=request) from None
        # A stream (not `content=`), so the client reads and closes it and sets `.elapsed`.
        return httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(body), request=request
        )

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()
