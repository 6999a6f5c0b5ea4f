"""Paths to routes: which methods each accepts, and which rate-limited operation each one is."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from calbot.server.config import GET_BOT, GET_EVENT, SCHEDULE, UNSCHEDULE, Operation


class Kind(Enum):
    """What a path addresses."""

    EVENT_BOT = "calendar event bot"
    EVENT = "calendar event"
    BOT = "bot"
    STATES = "provider states"
    HEALTH = "health"


@dataclass(frozen=True, slots=True)
class Route:
    """A path template: its methods (each with its rate-limited operation, if any)."""

    kind: Kind
    methods: Mapping[str, Operation | None]
    public: bool = False  # answered without an API key

    @property
    def allow(self) -> str:
        """The `Allow` header value."""
        return ", ".join([*self.methods, "OPTIONS"])


EVENT_BOT = Route(Kind.EVENT_BOT, {"POST": SCHEDULE, "DELETE": UNSCHEDULE})
EVENT = Route(Kind.EVENT, {"GET": GET_EVENT, "HEAD": GET_EVENT})
BOT = Route(Kind.BOT, {"GET": GET_BOT, "HEAD": GET_BOT})
STATES = Route(Kind.STATES, {"POST": None})
HEALTH = Route(Kind.HEALTH, {"GET": None, "HEAD": None}, public=True)

STATES_PATH = "/_calbot/states"
HEALTH_PATH = "/_calbot/health"

# A trailing slash is optional everywhere; an id is one non-empty path segment.
_PATTERNS: tuple[tuple[re.Pattern[str], Route], ...] = (
    (re.compile(r"/api/v2/calendar-events/([^/]+)/bot/?"), EVENT_BOT),
    (re.compile(r"/api/v2/calendar-events/([^/]+)/?"), EVENT),
    (re.compile(r"/api/v1/bot/([^/]+)/?"), BOT),
    (re.compile(r"/_calbot/states/?()"), STATES),
    (re.compile(r"/_calbot/health/?()"), HEALTH),
)


def resolve(path: str) -> tuple[Route, str] | None:
    """The route for `path` and the raw id segment ("" for routes without one), or None."""
    for pattern, route in _PATTERNS:
        match = pattern.fullmatch(path)
        if match is not None:
            return route, match.group(1)
    return None


def canonical_id(segment: str) -> str | None:
    """The id in canonical UUID form (any spelling `uuid.UUID` reads), or None if not a UUID."""
    if len(segment) > 45:  # longest spelling: "urn:uuid:" + 36 characters
        return None
    try:
        return str(uuid.UUID(segment))
    except ValueError:
        return None


def operation_of(method: str, path: str) -> tuple[Operation, str | None] | None:
    """The rate-limited operation a request addresses, with its canonical id; None if none."""
    found = resolve(path)
    if found is None:
        return None
    route, segment = found
    operation = route.methods.get(method)
    if operation is None:
        return None
    return operation, canonical_id(segment)
