"""The ledger format: one record per request a reference server or `calbot proxy` answered.

A ledger is JSON Lines (`calbot.contracts.clients.ledger.jsonl`), one object per request:

    {"v": 1, "seq": 4, "time": "2030-01-01T10:00:01.250000Z", "method": "POST",
     "path": "/api/v2/calendar-events/5f1c…/bot/",
     "operation": "POST /api/v2/calendar-events/{id}/bot/", "resource": "5f1c…",
     "workspace": "key1", "validation": "valid", "errors": null,
     "body": {"deduplication_key": "…", "bot_config": {"bot_name": "Notetaker"}},
     "body_truncated": false, "key": "…", "config_keys": ["bot_name"],
     "status": 429, "retry_after": "2", "message": "Request was throttled. …",
     "fault": "429:1:retry-after=2", "event": null}

`time` is the recorder's clock when the request arrived. `workspace` is a label, never the key
itself: "key1", "key2", ... (the reference server numbers its configured keys in order, the
proxy the keys in the order it first sees them); "default" when the reference server has no
keys; "unknown" when the request carried no key, or one the server was not configured with.
(Ledgers written by `calbot proxy` before this label was shared say "none" for a request
without a key: readers read it as "unknown".) Only schedule requests (POST …/bot/) are
validated and keep their body (an excerpt: long strings and containers are cut) with the
deduplication key in full and the bot_config's key paths. `fault` names the injected fault
that answered instead of the server; `event` is the event's start time and meeting URL from a
successful schedule answer.

A ledger written by `calbot proxy` has up to five more fields per line (absent, never null, in
the reference server's ledger; readers of either ignore what they do not know):

    "answered_by": "upstream" | "proxy", "response": {...the answer's JSON body, masked...},
    "response_note": "not JSON (text/html)", "upstream_error": "connection refused",
    "elapsed_ms": 1.9

`answered_by` says who answered: the upstream, or the proxy itself (an injected `--fault`, or
a 502/504 when the upstream gave no answer: `upstream_error` says why, and such a record has
no `operation`, so the client rules never hold it against the client). `response` is the
answer's body when it is JSON and not too large (`response_note` says why not otherwise);
`elapsed_ms` is how long the upstream took to answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calbot.contracts.domain import operations
from calbot.contracts.domain.operations import operation_name
from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp

LEDGER_VERSION = 1
# Operations as the ledger names them ("POST /api/v2/calendar-events/{id}/bot/").
SCHEDULE = operation_name(operations.SCHEDULE_OPERATION)
UNSCHEDULE = operation_name(operations.UNSCHEDULE_OPERATION)
GET_EVENT = operation_name(operations.GET_EVENT_OPERATION)
GET_BOT = operation_name(operations.GET_BOT_OPERATION)

DEFAULT_WORKSPACE = "default"
"""The workspace of every request to a reference server that has no API keys."""
UNKNOWN_WORKSPACE = "unknown"
"""The workspace of a request without a key, or with one the server was not configured with."""
LEGACY_LABELS = {"none": UNKNOWN_WORKSPACE}
"""Labels older ledgers used, and what they read as now."""

Json = dict[str, Any]


class LedgerError(ValueError):
    """A ledger line that is not a record this calbot can read."""


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One request and the answer it got (see the module docstring for the JSON form)."""

    seq: int
    time: datetime
    method: str
    path: str
    status: int
    workspace: str = DEFAULT_WORKSPACE
    operation: str | None = None
    resource: str | None = None
    validation: str | None = None  # "valid" | "invalid" | None (not a schedule request)
    errors: Json | None = None
    body: Any = None
    body_truncated: bool = False
    key: str | None = None
    config_keys: tuple[str, ...] | None = None
    retry_after: str | None = None
    message: str | None = None
    fault: str | None = None
    event: Json | None = field(default=None)
    # written by `calbot proxy` only (see the module docstring)
    answered_by: str | None = None
    response: Any = None
    response_note: str | None = None
    upstream_error: str | None = None
    elapsed_ms: float | None = None

    @property
    def call(self) -> tuple[str, str, str | None]:
        """What a retry repeats: (workspace, operation, resource)."""
        return (self.workspace, self.operation or "", self.resource)

    def to_json(self) -> Json:
        """The record as a JSON object, keys in the documented order (proxy fields when set)."""
        data: Json = {
            "v": LEDGER_VERSION,
            "seq": self.seq,
            "time": format_time(self.time),
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "resource": self.resource,
            "workspace": self.workspace,
            "validation": self.validation,
            "errors": self.errors,
            "body": self.body,
            "body_truncated": self.body_truncated,
            "key": self.key,
            "config_keys": None if self.config_keys is None else list(self.config_keys),
            "status": self.status,
            "retry_after": self.retry_after,
            "message": self.message,
            "fault": self.fault,
            "event": self.event,
        }
        extra = {
            "answered_by": self.answered_by,
            "response": self.response,
            "response_note": self.response_note,
            "upstream_error": self.upstream_error,
            "elapsed_ms": self.elapsed_ms,
        }
        data.update((name, value) for name, value in extra.items() if value is not None)
        return data

    def to_line(self) -> str:
        """One JSONL line (ASCII, so any text survives; ends with a newline)."""
        return json.dumps(self.to_json(), ensure_ascii=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, data: object) -> LedgerRecord:
        """A record from its JSON object; LedgerError when it is not one."""
        if not isinstance(data, Mapping):
            raise LedgerError("not a JSON object")
        if data.get("v") != LEDGER_VERSION:
            raise LedgerError(f"ledger version {data.get('v')!r} (this calbot reads 1)")
        try:
            time = parse_timestamp(data["time"])
            if time is None:
                raise LedgerError(f"time {data['time']!r} is not an RFC 3339 timestamp")
            config_keys = data.get("config_keys")
            return cls(
                seq=_typed(data["seq"], int, "seq"),
                time=time,
                method=_typed(data["method"], str, "method"),
                path=_typed(data["path"], str, "path"),
                status=_typed(data["status"], int, "status"),
                workspace=_workspace(data.get("workspace", DEFAULT_WORKSPACE)),
                operation=_optional(data.get("operation"), str, "operation"),
                resource=_optional(data.get("resource"), str, "resource"),
                validation=_optional(data.get("validation"), str, "validation"),
                errors=_optional(data.get("errors"), dict, "errors"),
                body=data.get("body"),
                body_truncated=bool(data.get("body_truncated", False)),
                key=_optional(data.get("key"), str, "key"),
                config_keys=None if config_keys is None else tuple(map(str, config_keys)),
                retry_after=_optional(data.get("retry_after"), str, "retry_after"),
                message=_optional(data.get("message"), str, "message"),
                fault=_optional(data.get("fault"), str, "fault"),
                event=_optional(data.get("event"), dict, "event"),
                answered_by=_optional(data.get("answered_by"), str, "answered_by"),
                response=data.get("response"),
                response_note=_optional(data.get("response_note"), str, "response_note"),
                upstream_error=_optional(data.get("upstream_error"), str, "upstream_error"),
                elapsed_ms=_number_or_none(data.get("elapsed_ms"), "elapsed_ms"),
            )
        except KeyError as exc:
            raise LedgerError(f"missing field {exc.args[0]!r}") from None
        except TypeError as exc:
            raise LedgerError(str(exc)) from None


def _workspace(value: object) -> str:
    label: str = _typed(value, str, "workspace")
    return LEGACY_LABELS.get(label, label)


def _typed(value: object, kind: type[Any], name: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LedgerError(f"{name} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _optional(value: object, kind: type[Any], name: str) -> Any:
    return None if value is None else _typed(value, kind, name)


def _number_or_none(value: object, name: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise LedgerError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def format_time(moment: datetime) -> str:
    """Always with microseconds, so records sort and compare as text too."""
    text = format_timestamp(moment)
    return text if "." in text else text[:-1] + ".000000Z"
