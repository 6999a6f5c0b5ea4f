"""`LedgerRecorder`: the request ledger as a server hook, every request and its answer in memory
and as JSONL.

    recorder = LedgerRecorder("ledger.jsonl", clock=clock, api_keys=keys)
    app = create_app(ServerConfig(api_keys=keys, clock=clock, hooks=(recorder, faults)))

Put it first in `hooks` so it also sees what the inner hooks (fault injection) answer. Each
record is written and flushed as soon as its answer is known, so a crash loses nothing that
was answered. The hook only hands what it saw to the one record builder
(`calbot.contracts.clients.ledger.builder`), with the workspace's label (`key1`, `key2`, ... in
the order of `api_keys`; `default` when the server has no keys; `unknown` otherwise: the API
key is never recorded) and the one masker (`calbot.contracts.masking`), so a key a client put
in the URL or a body is `****`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from calbot.contracts.clients.ledger.builder import (
    TOO_LARGE,
    Observed,
    UnreadableBody,
    build_record,
)
from calbot.contracts.clients.ledger.record import (
    DEFAULT_WORKSPACE,
    UNKNOWN_WORKSPACE,
    LedgerRecord,
)
from calbot.contracts.clients.ledger.writer import LedgerWriter
from calbot.contracts.masking import masker
from calbot.server.config import utc_now
from calbot.server.core import credentials
from calbot.server.faults import FAULT_HEADER
from calbot.server.messages import Handler, Request, Response
from calbot.server.parsing import json_body


class LedgerRecorder:
    """A `Hook` that records every request; `records` holds them unless `keep=False`."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        api_keys: Sequence[str] = (),
        keep: bool = True,
    ) -> None:
        self.clock = clock
        self.path = Path(path) if path is not None else None
        self._keys = {key: f"key{index}" for index, key in enumerate(api_keys, 1)}
        self._mask = masker(tuple(api_keys))
        self._writer = LedgerWriter(path, keep=keep)

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        return self._writer.records

    def __call__(self, request: Request, following: Handler) -> Response:
        arrived = self.clock()
        response = following(request)
        observed = Observed(
            arrived=arrived,
            method=request.method,
            path=request.path,
            status=response.status,
            workspace=self.workspace(request),
            read_body=lambda: read_body(request),
            answer=response.body,
            retry_after=response.header("Retry-After"),
            fault=response.header(FAULT_HEADER),
        )
        self._writer.append(lambda seq: build_record(seq, observed, self._mask))
        return response

    def workspace(self, request: Request) -> str:
        """The workspace label of a request (never its key)."""
        if not self._keys:
            return DEFAULT_WORKSPACE
        key = credentials(request.headers.get("authorization")) or ""
        return self._keys.get(key, UNKNOWN_WORKSPACE)

    def close(self) -> None:
        """Close the JSONL file (records stay readable)."""
        self._writer.close()

    def __enter__(self) -> LedgerRecorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def read_body(request: Request) -> object:
    """A request's JSON value as the server reads it, or an `UnreadableBody` saying why not
    (over the cap, not JSON, a media type it refuses)."""
    if request.body_too_large:
        return TOO_LARGE
    parsed = json_body(request)
    if isinstance(parsed, Response):
        return UnreadableBody(
            parsed.body.get("errors") or {"non_field_errors": [parsed.body["detail"]]}
        )
    return parsed
