"""The request ledger: one record per request the reference server answered, as JSON lines.

The reference server writes it (`calbot serve --record`, the `calbot_server` fixture); the
client rules (`calbot.contracts.clients.verify`) read it. One line per request, each a JSON object:

    {"v": 1, "seq": 4, "time": "2030-01-01T10:00:01.250000Z", "method": "POST",
     "path": "/api/v2/calendar-events/5f1c…/bot/",
     "operation": "POST /api/v2/calendar-events/{id}/bot/", "resource": "5f1c…",
     "workspace": "key1", "validation": "valid", "errors": null,
     "body": {"deduplication_key": "…", "bot_config": {"bot_name": "Notetaker"}},
     "body_truncated": false, "key": "…", "config_keys": ["bot_name"],
     "status": 429, "retry_after": "2", "message": "Request was throttled. …",
     "fault": "429:1:retry-after=2", "event": null}

`time` is the server's clock when the request arrived. `workspace` is a label ("default",
"key1" for the first configured API key, ..., "unknown"), never the key itself. Only
schedule requests (POST …/bot/) are validated and keep their body (an excerpt: long strings
and containers are cut) with the deduplication key in full and the bot_config's key paths.
`fault` names the injected fault that answered instead of the server; `event` is the event's
start time and meeting URL from a successful schedule answer.

A ledger written by `calbot proxy` has up to four more fields per line (absent, never null, in
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
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from calbot.contracts.domain import operations
from calbot.contracts.domain.operations import operation_name
from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp
from calbot.contracts.domain.validation import schedule_request_errors
from calbot.contracts.masking import Masker, masker
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.text import ELLIPSIS, shorten, shorten_counting

LEDGER_VERSION = 1
# Operations as the ledger names them ("POST /api/v2/calendar-events/{id}/bot/").
SCHEDULE = operation_name(operations.SCHEDULE_OPERATION)
UNSCHEDULE = operation_name(operations.UNSCHEDULE_OPERATION)
GET_EVENT = operation_name(operations.GET_EVENT_OPERATION)
GET_BOT = operation_name(operations.GET_BOT_OPERATION)

MAX_STRING = 300
MAX_ITEMS = 50
MAX_DEPTH = 8
MAX_PATH = 300
MAX_CONFIG_PATHS = 200
CONFIG_PATH_DEPTH = 4

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
    workspace: str = "default"
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
                workspace=_typed(data.get("workspace", "default"), str, "workspace"),
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


def parse_ledger(lines: Iterable[str], *, source: str = "ledger") -> list[LedgerRecord]:
    """Records from JSONL text; blank lines are skipped. LedgerError names the bad line.

    A cut-off last line (the writer stopped mid-line) is dropped, since every earlier line
    was complete when written.
    """
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    records = []
    for index, (number, line) in enumerate(numbered):
        try:
            data = json.loads(line)
        except ValueError as exc:
            if index == len(numbered) - 1 and not line.endswith("\n"):
                break  # the writer was stopped mid-line
            raise LedgerError(f"{source}:{number}: not JSON ({exc})") from None
        try:
            records.append(LedgerRecord.from_json(data))
        except LedgerError as exc:
            raise LedgerError(f"{source}:{number}: {exc}") from None
    return records


def read_ledger(path: str | Path) -> list[LedgerRecord]:
    """Read a JSONL ledger file (OSError when unreadable, LedgerError when malformed)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return parse_ledger(handle, source=str(path))


def write_ledger(records: Sequence[LedgerRecord], path: str | Path) -> None:
    """Write records as a JSONL ledger (tests and tools; the server appends line by line)."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(record.to_line() for record in records)


# --- what a schedule request's body says ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodyFacts:
    """What the ledger keeps of a schedule request's body."""

    validation: str
    errors: Json | None
    body: Any
    body_truncated: bool
    key: str | None
    config_keys: tuple[str, ...] | None


def schedule_body_facts(
    value: object, *, secrets: Sequence[str] = (), masked: Masker | None = None
) -> BodyFacts:
    """Validate a parsed schedule body (as the fragment does) and keep an excerpt of it.

    Secrets are masked with `masked` when given, else with the configured `secrets`; the
    deduplication key is `****` when it is exactly a secret.
    """
    masked = masked or masker(tuple(secrets))
    checked = schedule_request_errors(value)
    errors = excerpt(checked, masked=masked)[0] if isinstance(checked, dict) else None
    body, truncated = excerpt(value, masked=masked)
    key = value.get("deduplication_key") if isinstance(value, Mapping) else None
    keep_key = isinstance(key, str) and len(key) <= MAX_KEY_LENGTH
    config = value.get("bot_config") if isinstance(value, Mapping) else None
    return BodyFacts(
        validation="invalid" if errors is not None else "valid",
        errors=errors,
        body=body,
        body_truncated=truncated,
        key=masked.value(key) if keep_key and isinstance(key, str) else None,
        config_keys=config_paths(config) if isinstance(config, Mapping) else None,
    )


def unreadable_body_facts(errors: Mapping[str, Any]) -> BodyFacts:
    """A schedule body the server could not read as JSON (415, parse error, too large)."""
    return BodyFacts("invalid", excerpt(dict(errors))[0], None, False, None, None)


def config_paths(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Dotted key paths of a bot_config, e.g. ("metadata", "metadata.team", "bot_name")."""
    paths: list[str] = []
    stack: list[tuple[str, Mapping[str, Any], int]] = [("", config, 1)]
    while stack and len(paths) < MAX_CONFIG_PATHS:
        prefix, node, depth = stack.pop()
        for name, value in node.items():
            path = f"{prefix}{name}"
            paths.append(path)
            if isinstance(value, Mapping) and depth < CONFIG_PATH_DEPTH:
                stack.append((f"{path}.", value, depth + 1))
    return tuple(sorted(paths[:MAX_CONFIG_PATHS]))


def excerpt(
    value: object, secrets: Sequence[str] = (), *, masked: Masker | None = None
) -> tuple[Any, bool]:
    """A JSON value cut to a readable size (long strings, big containers, deep nesting).

    Returns the excerpt and whether anything was cut. Secrets in strings become `****`
    (`masked`, or the configured `secrets`).
    """
    cut = False
    using = masked or masker(tuple(secrets))

    def visit(node: object, depth: int) -> Any:
        nonlocal cut
        if isinstance(node, str):
            text = using.text(node)
            if len(text) > MAX_STRING:
                cut = True
                return shorten_counting(text, MAX_STRING)
            return text
        if isinstance(node, Mapping | list):
            if depth >= MAX_DEPTH:
                cut = True
                return ELLIPSIS
            items = list(node.items()) if isinstance(node, Mapping) else list(enumerate(node))
            if len(items) > MAX_ITEMS:
                cut = True
            kept = items[:MAX_ITEMS]
            if isinstance(node, Mapping):
                return {visit(str(k), MAX_DEPTH): visit(v, depth + 1) for k, v in kept}
            return [visit(v, depth + 1) for _, v in kept]
        if node is None or isinstance(node, bool | int | float):
            return node
        return repr(node)

    return visit(value, 0), cut


def answer_message(body: Mapping[str, Any]) -> str | None:
    """The one line an answer says: its `detail`, or the first of its field errors."""
    detail = body.get("detail")
    if isinstance(detail, str):
        return _short(detail)
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        for name, messages in errors.items():
            if isinstance(messages, list) and messages and isinstance(messages[0], str):
                prefix = "" if name == "non_field_errors" else f"{name}: "
                return _short(prefix + messages[0])
    message = body.get("message")
    return _short(message) if isinstance(message, str) else None


def _short(text: str, limit: int = MAX_STRING) -> str:
    return shorten(text, limit)


def short_path(path: str) -> str:
    """The request path, cut to MAX_PATH characters."""
    return _short(path, MAX_PATH)


class LedgerSink:
    """Where a running server or proxy puts its ledger: numbered records, kept in memory
    (unless `keep=False`) and written as JSON Lines the moment each is complete. Thread-safe."""

    def __init__(self, path: str | Path | None = None, *, keep: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self._keep = keep
        self._lock = threading.Lock()
        self._seq = 0
        self._records: list[LedgerRecord] = []
        self._file: IO[str] | None = None
        if self.path is not None:
            self._file = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        with self._lock:
            return list(self._records)

    def append(self, build: Callable[[int], LedgerRecord]) -> LedgerRecord:
        """Number the next record, build it (`build(seq)`), keep it and write it."""
        with self._lock:
            self._seq += 1
            record = build(self._seq)
            if self._keep:
                self._records.append(record)
            if self._file is not None:
                self._file.write(record.to_line())
                self._file.flush()
        return record

    def close(self) -> None:
        """Close the JSONL file (the records stay readable)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
