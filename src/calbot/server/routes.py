"""Paths to routes: which methods each accepts, and which rate-limited operation each one is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from calbot.contracts.domain import operations
from calbot.contracts.domain.operations import (
    GET_BOT_OPERATION,
    GET_EVENT_OPERATION,
    SCHEDULE_OPERATION,
    UNSCHEDULE_OPERATION,
    Operation,
)
from calbot.spec.states import HEALTH_PATH, RESET_PATH, STATES_PATH


class Kind(Enum):
    """What a path addresses."""

    EVENT_BOT = "calendar event bot"
    EVENT = "calendar event"
    BOT = "bot"
    STATES = "provider states"
    HEALTH = "health"
    RESET = "reset"


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


EVENT_BOT_ROUTE = Route(
    Kind.EVENT_BOT, {"POST": SCHEDULE_OPERATION, "DELETE": UNSCHEDULE_OPERATION}
)
EVENT_ROUTE = Route(Kind.EVENT, {"GET": GET_EVENT_OPERATION, "HEAD": GET_EVENT_OPERATION})
BOT_ROUTE = Route(Kind.BOT, {"GET": GET_BOT_OPERATION, "HEAD": GET_BOT_OPERATION})
STATES_ROUTE = Route(Kind.STATES, {"POST": None})
HEALTH_ROUTE = Route(Kind.HEALTH, {"GET": None, "HEAD": None}, public=True)
RESET_ROUTE = Route(Kind.RESET, {"POST": None})

_API_ROUTES = {
    operations.EVENT_BOT: EVENT_BOT_ROUTE,
    operations.EVENT: EVENT_ROUTE,
    operations.BOT: BOT_ROUTE,
}
_CALBOT_ROUTES: tuple[tuple[re.Pattern[str], Route], ...] = (
    (re.compile(re.escape(STATES_PATH) + "/?"), STATES_ROUTE),
    (re.compile(re.escape(HEALTH_PATH) + "/?"), HEALTH_ROUTE),
    (re.compile(re.escape(RESET_PATH) + "/?"), RESET_ROUTE),
)


def resolve(path: str) -> tuple[Route, str] | None:
    """The route for `path` and the raw id segment ("" for routes without one), or None."""
    found = operations.match_template(path)
    if found is not None:
        template, segment = found
        return _API_ROUTES[template], segment
    for pattern, route in _CALBOT_ROUTES:
        if pattern.fullmatch(path):
            return route, ""
    return None
