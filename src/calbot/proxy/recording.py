"""The proxy's ledger: each exchange as a `LedgerRecord`, in memory and as flushed JSON lines.

The same format as `calbot serve --record` (so `calbot client-report` reads it unchanged),
plus what the upstream's passive verdict needs: who answered, the answer's JSON body (masked)
and how long the upstream took. The API key is never written: a workspace is a label (`key1`,
`key2`, ... in the order the proxy first sees each key; `none` without one), and every key the
proxy remembers is masked out of paths, bodies and messages (`credentials.Credentials`).

Each record is written and flushed as soon as it is built; the proxy builds it before the last
byte of the answer goes to the client, so a ledger never misses an answer a client received,
even after `kill -9`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
from calbot.contracts.masking import Masker
from calbot.proxy.credentials import Credentials
from calbot.server.faults import FAULT_HEADER
from calbot.server.messages import Request, Response
from calbot.server.parsing import is_json_media_type, json_body

MAX_REQUEST_BODY = 1_000_000
"""Request bodies are kept (for the schedule facts) up to this size; larger ones are forwarded
whole but recorded as too large."""
MAX_RESPONSE_BODY = 256_000
"""Answers up to this size are kept in the ledger (JSON only)."""


@dataclass(slots=True)
class Captured:
    """One exchange as the proxy saw it (raw), before it becomes a ledger record."""

    arrived: datetime
    method: str
    path: str
    headers: dict[str, str]
    request_body: bytes | None  # None: not kept whole (`request_note` says why)
    request_note: str = "Request body too large."
    status: int = 0
    response_headers: Mapping[str, str] | None = None
    response_body: bytes = b""
    response_complete: bool = True  # False: over MAX_RESPONSE_BODY, or cut off
    response_note: str | None = None  # why it is not complete, when it was cut off
    answered_by: str = "upstream"
    upstream_error: str | None = None
    elapsed_ms: float | None = None


class ProxyLedger:
    """Turns captured exchanges into ledger records; writes each as soon as it is complete.

    `credentials`: the keys the proxy has seen (labels and masking); its own by default.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        keep: bool = True,
        credentials: Credentials | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.credentials = credentials or Credentials()
        self._sink = LedgerSink(path, keep=keep)

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        return self._sink.records

    def workspace(self, authorization: str | None) -> str:
        """The label of the key in an Authorization value (never the key itself)."""
        return self.credentials.label(authorization)

    def add(self, captured: Captured) -> LedgerRecord:
        """Record one exchange (numbered in the order answers complete), written and flushed."""
        workspace = self.workspace(captured.headers.get("authorization"))
        masked = self.credentials.masker
        return self._sink.append(lambda seq: build_record(seq, captured, workspace, masked))

    def close(self) -> None:
        """Close the JSONL file (the records stay readable)."""
        self._sink.close()


def build_record(seq: int, captured: Captured, workspace: str, masked: Masker) -> LedgerRecord:
    """The ledger record of one exchange; nothing `masked` masks appears in it."""
    found = operation_of(captured.method, captured.path)
    # the upstream gave no answer: not an API answer the client could be judged on
    operation = operation_name(found[0]) if found and captured.upstream_error is None else None
    facts = _request_facts(captured, masked) if operation == SCHEDULE else None
    headers = captured.response_headers or {}
    response, note = _response_json(captured, headers, masked)
    answer = response if isinstance(response, dict) else {}
    event = None
    if operation == SCHEDULE and captured.status == 200 and answer:
        event = {"start_time": answer.get("start_time"), "meeting_url": answer.get("meeting_url")}
    return LedgerRecord(
        seq=seq,
        time=captured.arrived,
        method=masked.text(captured.method)[:20],
        path=short_path(masked.text(captured.path)),
        status=captured.status,
        workspace=workspace,
        operation=operation,
        resource=masked.optional(found[1]) if found else None,
        validation=facts.validation if facts else None,
        errors=facts.errors if facts else None,
        body=facts.body if facts else None,
        body_truncated=facts.body_truncated if facts else False,
        key=facts.key if facts else None,
        config_keys=facts.config_keys if facts else None,
        retry_after=masked.optional(headers.get("retry-after")),
        message=masked.optional(answer_message(answer)),
        fault=headers.get(FAULT_HEADER.lower()),
        event=event,
        answered_by=captured.answered_by,
        response=response,
        response_note=note,
        upstream_error=captured.upstream_error,
        elapsed_ms=captured.elapsed_ms,
    )


def _request_facts(captured: Captured, masked: Masker) -> BodyFacts:
    if captured.request_body is None:
        return unreadable_body_facts({"non_field_errors": [captured.request_note]})
    request = Request(captured.method, captured.path, captured.headers, captured.request_body)
    parsed = json_body(request)
    if isinstance(parsed, Response):
        errors = parsed.body.get("errors") or {"non_field_errors": [parsed.body["detail"]]}
        return unreadable_body_facts(masked.data(errors))
    return schedule_body_facts(parsed, masked=masked)


def _response_json(
    captured: Captured, headers: Mapping[str, str], masked: Masker
) -> tuple[Any, str | None]:
    """The answer's JSON body, masked, or None and a note saying why it is not kept."""
    if captured.upstream_error is not None:
        return None, None
    raw = captured.response_body
    if not captured.response_complete:
        return None, captured.response_note or f"not kept: over {MAX_RESPONSE_BODY:,} bytes"
    if not raw:
        return None, "empty"
    content_type = headers.get("content-type", "")
    if not content_type or not is_json_media_type(content_type):
        return None, f"not JSON ({content_type or 'no Content-Type'})"
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        decoded = _decoded(raw, encoding)
        if decoded is None:
            return None, f"not kept: Content-Encoding {encoding}"
        raw = decoded
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not JSON (not UTF-8)"
    try:  # masking the text once is much faster than masking every string of the value
        return json.loads(masked.text(text)), None
    except (ValueError, RecursionError):
        pass
    try:  # a secret that spans JSON syntax: mask the value instead
        return masked.data(json.loads(text)), None
    except (ValueError, RecursionError):
        return None, "not JSON (the body does not parse)"


def _decoded(raw: bytes, encoding: str) -> bytes | None:
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return None
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, auto-detected
        data = inflater.decompress(raw, MAX_RESPONSE_BODY + 1)
    except zlib.error:
        return None
    return data if len(data) <= MAX_RESPONSE_BODY else None
