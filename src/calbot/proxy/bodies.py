"""The client's request body as it arrives: streamed on to the upstream, a copy kept for the
ledger up to a cap, counted against the proxy's body limit, each wait for the client timed by
the exchange's deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from calbot.contracts.clients.ledger.builder import BODY_TOO_LARGE
from calbot.proxy.deadline import Deadline, Phase
from calbot.proxy.recording import MAX_REQUEST_BODY

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class Disconnected(Exception):
    """The client went away before its request was complete."""


class TooLarge(Exception):
    """The body went over the proxy's `max_body_bytes`."""


class Tee:
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


class RequestBody:
    """One request's body. `ended`: all of it arrived; `kept`: the whole body when it did and
    is small enough for the ledger (else None, and `note` says why)."""

    def __init__(
        self,
        receive: Receive,
        deadline: Deadline,
        *,
        limit: int | None,
        answer_timeout: float,
    ) -> None:
        self._receive = receive
        self._deadline = deadline
        self._limit = limit
        self._answer_timeout = answer_timeout
        self.tee = Tee(MAX_REQUEST_BODY)
        self.ended = False

    async def next(self) -> bytes:
        """The next chunk the client sends (waiting for it is the client's `BODY` phase)."""
        self._deadline.waiting_for(Phase.BODY)
        message = await self._receive()
        self._deadline.waiting_for(Phase.UPLOAD)
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk: bytes = message.get("body", b"")
        self._deadline.grow(len(chunk))
        self.tee.add(chunk)
        if self._limit is not None and self.tee.size > self._limit:
            raise TooLarge
        if not message.get("more_body", False):
            self.ended = True  # from now on the upstream's answer is awaited
            self._deadline.until(Phase.ANSWER, self._answer_timeout)
        return chunk

    async def stream(self, first: bytes) -> AsyncIterator[bytes]:
        """`first`, then the rest as it arrives (what goes to the upstream)."""
        if first:
            yield first
        while not self.ended:
            chunk = await self.next()
            if chunk:
                yield chunk

    async def drain(self) -> None:
        """Read the rest (kept up to the ledger's cap, the rest dropped)."""
        while not self.ended:
            await self.next()

    @property
    def kept(self) -> bytes | None:
        return self.tee.data if self.ended and self.tee.complete else None

    @property
    def note(self) -> str:
        """Why `kept` is None."""
        if not self.tee.complete:
            return BODY_TOO_LARGE
        return "Request body not received whole."
