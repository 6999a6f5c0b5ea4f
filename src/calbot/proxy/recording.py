"""`ProxyRecorder`: the proxy's ledger, each exchange a `LedgerRecord`, in memory and as flushed
JSON lines.

The same format as `calbot serve --record` (so `calbot client-report` reads it unchanged),
from the same record builder (`calbot.contracts.clients.ledger.builder`), plus what the
upstream's passive verdict needs: who answered, the answer's JSON body (masked) and how long
the upstream took. The API key is never written: a workspace is a label (`key1`, `key2`, ... in
the order the proxy first sees each key; `unknown` without one), and every key the proxy
remembers is masked out of paths, bodies and messages (`credentials.Credentials`).

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

from calbot.contracts.clients.ledger.builder import (
    BODY_TOO_LARGE,
    Observed,
    Relayed,
    UnreadableBody,
    build_record,
)
from calbot.contracts.clients.ledger.record import LedgerRecord
from calbot.contracts.clients.ledger.writer import LedgerWriter
from calbot.contracts.masking import Masker
from calbot.proxy.credentials import Credentials
from calbot.server.faults import FAULT_HEADER
from calbot.server.messages import Request
from calbot.server.parsing import is_json_media_type
from calbot.server.recorder import read_body

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
    request_note: str = BODY_TOO_LARGE
    status: int = 0
    response_headers: Mapping[str, str] | None = None
    response_body: bytes = b""
    response_complete: bool = True  # False: over MAX_RESPONSE_BODY, or cut off
    response_note: str | None = None  # why it is not complete, when it was cut off
    answered_by: str = "upstream"
    upstream_error: str | None = None
    elapsed_ms: float | None = None


class ProxyRecorder:
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
        self._writer = LedgerWriter(path, keep=keep)

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        return self._writer.records

    def workspace(self, authorization: str | None) -> str:
        """The label of the key in an Authorization value (never the key itself)."""
        return self.credentials.label(authorization)

    def add(self, captured: Captured) -> LedgerRecord:
        """Record one exchange (numbered in the order answers complete), written and flushed."""
        workspace = self.workspace(captured.headers.get("authorization"))
        masked = self.credentials.masker
        observed = observed_of(captured, workspace, masked)
        return self._writer.append(lambda seq: build_record(seq, observed, masked))

    def close(self) -> None:
        """Close the JSONL file (the records stay readable)."""
        self._writer.close()


ProxyLedger = ProxyRecorder
"""The name `ProxyRecorder` had before (kept importable)."""


def observed_of(captured: Captured, workspace: str, masked: Masker) -> Observed:
    """What the record builder needs of a captured exchange (the answer's body decoded)."""
    headers = captured.response_headers or {}
    response, note = _response_json(captured, headers, masked)
    return Observed(
        arrived=captured.arrived,
        method=captured.method,
        path=captured.path,
        status=captured.status,
        workspace=workspace,
        read_body=lambda: _request_json(captured),
        answer=response if isinstance(response, dict) else {},
        retry_after=headers.get("retry-after"),
        fault=headers.get(FAULT_HEADER.lower()),
        relayed=Relayed(
            answered_by=captured.answered_by,
            response=response,
            response_note=note,
            upstream_error=captured.upstream_error,
            elapsed_ms=captured.elapsed_ms,
        ),
    )


def _request_json(captured: Captured) -> object:
    if captured.request_body is None:
        return UnreadableBody.saying(captured.request_note)
    return read_body(
        Request(captured.method, captured.path, captured.headers, captured.request_body)
    )


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
