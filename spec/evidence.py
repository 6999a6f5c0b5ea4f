"""Which request constraints Recall documents, and whether a body breaks one of them.

The fragment marks every constraint of the request body with `x-calbot-evidence`:
`documented` lists the keywords Recall documents (a server must enforce them), `read-as: drf`
says Recall reads the value as a Django REST Framework field does, and `own` lists calbot's
guesses (which only steer generation). `documented_violations` is the one judge of "must a
server refuse this body?": a body must be refused only when it breaks a documented constraint
both as sent and as DRF reads it (numbers become strings, surrounding whitespace is trimmed,
`null` for an optional field means "not given"). Anything else may be accepted or refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from calbot.spec.loader import load_spec

EXTENSION = "x-calbot-evidence"
REQUEST_SCHEMA = "#/components/schemas/CalendarEventAddBot"

# Django's `parse_datetime` (which DRF's DateTimeField uses) also takes one-digit months, days
# and hours, a space for the "T", and a comma before the fraction.
_DJANGO_DATETIME = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{1,2}"
    r"(?::\d{1,2}(?:[.,]\d{1,6}\d{0,6})?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)


@functools.cache
def _document() -> dict[str, Any]:
    return load_spec()


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = _document()
    for part in ref[2:].split("/"):
        node = node[part]
    return _resolve(node)


def request_schema() -> Mapping[str, Any]:
    """The fragment's schema of the Schedule Bot request body."""
    return _resolve({"$ref": REQUEST_SCHEMA})


def documented_violations(body: object) -> list[str]:
    """What in a schedule request body breaks a documented constraint under every reading.

    Empty when a server may accept the body: it is valid as sent, or valid as Django REST
    Framework reads it. Each item says where and what, e.g. ``"deduplication_key: longer than
    2000 characters"``.
    """
    schema = request_schema()
    as_sent = _violations(body, schema, "body", drf=False)
    as_drf = _violations(body, schema, "body", drf=True)
    return as_drf if as_sent and as_drf else []


def drf_refusals(body: object) -> list[str]:
    """What in a body the fragment allows a Django REST Framework server refuses anyway.

    DRF's DateTimeField turns an aware date-time into UTC and refuses one UTC cannot hold
    ("Datetime value out of range.", e.g. 0001-01-01T00:00:00+01:00): a correct server may
    refuse such a body, so it is no finding against it. Only fields the fragment types as
    date-times are read so."""
    found: list[str] = []
    _out_of_range(body, request_schema(), "body", found)
    return found


def _out_of_range(value: object, schema: Mapping[str, Any], where: str, found: list[str]) -> None:
    schema = _resolve(schema)
    if isinstance(value, Mapping):
        properties = schema.get("properties") or {}
        for name, item in value.items():
            if isinstance(properties.get(name), Mapping):
                _out_of_range(item, properties[name], f"{where}.{name}", found)
    elif isinstance(value, str) and schema.get("format") == "date-time" and _beyond_utc(value):
        found.append(f"{where}: a date-time UTC cannot hold")


def _beyond_utc(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    return {str(name) for name in declared} if isinstance(declared, list) else set()


def _read(value: object, schema: Mapping[str, Any], drf: bool) -> tuple[object, str | None]:
    """The value as the field reads it (DRF: numbers to strings, trimmed), or why it is refused."""
    evidence = schema.get(EXTENSION) or {}
    documented = set(evidence.get("documented") or ())
    types = _types(schema)
    lenient = drf and evidence.get("read-as") == "drf"
    if value is None:
        return None, None if "null" in types or "type" not in documented else "null"
    if "string" in types:
        if lenient and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return value, "not a string" if "type" in documented else None
        return (value.strip() if lenient else value), None
    if "object" in types and not isinstance(value, Mapping) and "type" in documented:
        return value, "not an object"
    return value, None


def _violations(value: object, schema: Mapping[str, Any], where: str, *, drf: bool) -> list[str]:
    schema = _resolve(schema)
    documented = set((schema.get(EXTENSION) or {}).get("documented") or ())
    value, refused = _read(value, schema, drf)
    if refused:
        return [f"{where}: {refused}"]
    problems: list[str] = []
    if isinstance(value, str):
        problems += _string_violations(value, schema, documented, where)
    if isinstance(value, Mapping):
        problems += _object_violations(value, schema, documented, where, drf=drf)
    return problems


def _string_violations(
    value: str, schema: Mapping[str, Any], documented: set[str], where: str
) -> list[str]:
    problems = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    if "minLength" in documented and isinstance(low, int) and len(value) < low:
        problems.append(f"{where}: shorter than {low} character{'s' * (low != 1)}")
    if "maxLength" in documented and isinstance(high, int) and len(value) > high:
        problems.append(f"{where}: longer than {high} characters")
    if "format" in documented and schema.get("format") == "date-time" and not _is_datetime(value):
        problems.append(f"{where}: not a date-time")
    return problems


def _object_violations(
    value: Mapping[str, Any],
    schema: Mapping[str, Any],
    documented: set[str],
    where: str,
    *,
    drf: bool,
) -> list[str]:
    problems = []
    required = set(schema.get("required") or ()) if "required" in documented else set()
    properties = schema.get("properties") or {}
    for name in sorted(required - set(value)):
        problems.append(f"{where}.{name}: required")
    for name, item in value.items():
        sub = properties.get(name, schema.get("additionalProperties"))
        if not isinstance(sub, Mapping):
            continue
        if item is None and name in properties and name not in required:
            continue  # null for an optional field: "not given" is a reading Recall allows
        problems += _violations(item, sub, f"{where}.{name}", drf=drf)
    return problems


def _is_datetime(text: str) -> bool:
    text = text.strip()
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return _DJANGO_DATETIME.fullmatch(text) is not None
    return True
