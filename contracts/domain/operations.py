"""The four operations calbot knows: their routes, the ids in their paths, their budgets.

The one source for these facts: the reference server, the engine, the ledger and the proxy
all read them from here.
"""

from __future__ import annotations

import re
import uuid

from calbot.spec import load_spec
from calbot.spec.throttles import RateLimit, documented_throttles

Operation = tuple[str, str]
"""`(METHOD, path template)`, as the fragment names an operation."""

EVENT_BOT = "/api/v2/calendar-events/{id}/bot/"
EVENT = "/api/v2/calendar-events/{id}/"
BOT = "/api/v1/bot/{id}/"
TEMPLATES: tuple[str, ...] = (EVENT_BOT, EVENT, BOT)

SCHEDULE_OPERATION: Operation = ("POST", EVENT_BOT)
UNSCHEDULE_OPERATION: Operation = ("DELETE", EVENT_BOT)
GET_EVENT_OPERATION: Operation = ("GET", EVENT)
GET_BOT_OPERATION: Operation = ("GET", BOT)
OPERATIONS: tuple[Operation, ...] = (
    SCHEDULE_OPERATION,
    UNSCHEDULE_OPERATION,
    GET_EVENT_OPERATION,
    GET_BOT_OPERATION,
)
"""The four operations as `(METHOD, path template)` tuples; their names as ledgers and reports
spell them (`operation_name`) are `calbot.contracts.clients.ledger.SCHEDULE` and so on."""

# A trailing slash is optional; an id is one non-empty path segment.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(re.escape(template.rstrip("/")).replace(r"\{id\}", "([^/]+)") + "/?"), template)
    for template in TEMPLATES
)


def operation_name(operation: Operation) -> str:
    """`"POST /api/v2/calendar-events/{id}/bot/"`: how ledgers and reports name an operation."""
    return f"{operation[0]} {operation[1]}"


def match_template(path: str) -> tuple[str, str] | None:
    """The path template `path` belongs to and its raw id segment; None for other paths."""
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(path)
        if match is not None:
            return template, match.group(1)
    return None


def operation_of(method: str, path: str) -> tuple[Operation, str | None] | None:
    """The operation a request addresses, with its canonical id (None if not a UUID)."""
    found = match_template(path)
    if found is None:
        return None
    template, segment = found
    method = "GET" if method.upper() == "HEAD" else method.upper()
    operation = (method, template)
    if operation not in OPERATIONS:
        return None
    return operation, canonical_id(segment)


def canonical_id(segment: str) -> str | None:
    """The id in canonical UUID form (any spelling `uuid.UUID` reads), or None if not a UUID."""
    if len(segment) > 45:  # longest spelling: "urn:uuid:" + 36 characters
        return None
    try:
        return str(uuid.UUID(segment))
    except ValueError:
        return None


def budgets(override: RateLimit | None = None) -> dict[Operation, RateLimit]:
    """Each operation's budget: `override` for all, else the fragment's `x-throttles`."""
    if override is not None:
        return dict.fromkeys(OPERATIONS, override)
    documented = documented_throttles(load_spec())
    missing = [op for op in OPERATIONS if op not in documented]
    if missing:  # pragma: no cover - guards the shipped fragment
        raise ValueError(f"the fragment declares no x-throttles for {missing}")
    return {op: documented[op] for op in OPERATIONS}
