"""The request ledger as a server hook: every request and its answer, in memory and as JSONL.

    ledger = Ledger("ledger.jsonl", clock=clock, api_keys=keys)
    app = create_app(ServerConfig(api_keys=keys, clock=clock, hooks=(ledger, faults)))

Put it first in `hooks` so it also sees what the inner hooks (fault injection) answer. Each
record is written and flushed as soon as its answer is known, so a crash loses nothing that
was answered. The API key is never recorded: the workspace is a label (`key1`, `key2`, ... in
the order of `api_keys`; `default` when the server has no keys; `unknown` otherwise), and every
text the record keeps (path, resource, method, bodies, messages, fault) goes through the one
masker (`calbot.contracts.masking`), so a key a client put in the URL or a body is `****`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from calbot.contracts.clients.ledger import (
    SCHEDULE,
    BodyFacts,
    LedgerRecord,
    LedgerSink,
    answer_message,
    schedule_body_facts,
    short_path,
    unreadable_body_facts,
)
from calbot.contracts.domain.operations import operation_name, operation_of
from calbot.contracts.masking import masker
from calbot.server.config import utc_now
from calbot.server.core import credentials
from calbot.server.faults import FAULT_HEADER
from calbot.server.messages import Handler, Request, Response
from calbot.server.parsing import json_body


class Ledger:
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
        self._sink = LedgerSink(path, keep=keep)

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        return self._sink.records

    def __call__(self, request: Request, following: Handler) -> Response:
        arrived = self.clock()
        response = following(request)
        self._sink.append(lambda seq: self._record(seq, arrived, request, response))
        return response

    def workspace(self, request: Request) -> str:
        """The workspace label of a request (never its key)."""
        if not self._keys:
            return "default"
        return self._keys.get(credentials(request.headers.get("authorization")) or "", "unknown")

    def _record(
        self, seq: int, arrived: datetime, request: Request, response: Response
    ) -> LedgerRecord:
        found = operation_of(request.method, request.path)
        operation = operation_name(found[0]) if found else None
        facts = self._facts(request) if operation == SCHEDULE else None
        event = None
        if operation == SCHEDULE and response.status == 200:
            event = {
                "start_time": response.body.get("start_time"),
                "meeting_url": response.body.get("meeting_url"),
            }
        mask = self._mask
        return LedgerRecord(
            seq=seq,
            time=arrived,
            method=mask.text(request.method)[:20],
            path=short_path(mask.text(request.path)),
            status=response.status,
            workspace=self.workspace(request),
            operation=operation,
            resource=mask.optional(found[1]) if found else None,
            validation=facts.validation if facts else None,
            errors=facts.errors if facts else None,
            body=facts.body if facts else None,
            body_truncated=facts.body_truncated if facts else False,
            key=facts.key if facts else None,
            config_keys=facts.config_keys if facts else None,
            retry_after=response.header("Retry-After"),
            message=mask.optional(answer_message(response.body)),
            fault=mask.optional(response.header(FAULT_HEADER)),
            event=event,
        )

    def _facts(self, request: Request) -> BodyFacts:
        if request.body_too_large:
            return unreadable_body_facts({"non_field_errors": ["Request body too large."]})
        parsed = json_body(request)
        if isinstance(parsed, Response):
            errors = parsed.body.get("errors") or {"non_field_errors": [parsed.body["detail"]]}
            return unreadable_body_facts(self._mask.data(errors))
        return schedule_body_facts(parsed, secrets=tuple(self._keys))

    def close(self) -> None:
        """Close the JSONL file (records stay readable)."""
        self._sink.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
