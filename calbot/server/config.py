"""The reference server's settings, and the rate-limit budget of each operation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from calbot.spec import load_spec
from calbot.spec.throttles import RateLimit, documented_throttles

if TYPE_CHECKING:
    from calbot.server.messages import Hook

Operation = tuple[str, str]
"""`(METHOD, path template)`, as the fragment names an operation."""

SCHEDULE: Operation = ("POST", "/api/v2/calendar-events/{id}/bot/")
UNSCHEDULE: Operation = ("DELETE", "/api/v2/calendar-events/{id}/bot/")
GET_EVENT: Operation = ("GET", "/api/v2/calendar-events/{id}/")
GET_BOT: Operation = ("GET", "/api/v1/bot/{id}/")
OPERATIONS: tuple[Operation, ...] = (SCHEDULE, UNSCHEDULE, GET_EVENT, GET_BOT)

DEFAULT_MAX_BODY_BYTES = 1_000_000


def utc_now() -> datetime:
    """The wall clock, as an aware UTC datetime."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """A fresh random UUID string."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the reference server behaves.

    `api_keys`: one workspace per key (`Authorization: Token <key>` or the bare key); none
    configured means one default workspace and no auth check. `rate_limit`: None uses each
    operation's documented budget (the fragment's `x-throttles`); a value overrides every
    operation's budget. `clock` and `new_id` are injectable so tests never sleep or guess ids.
    `hooks` wrap every request at the server's one choke point (see `messages.Hook`).
    """

    api_keys: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_uuid
    hooks: tuple[Hook, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        if any(not key or any(ch.isspace() for ch in key) for key in self.api_keys):
            raise ValueError("API keys must be non-empty and contain no whitespace")


def budgets(config: ServerConfig) -> dict[Operation, RateLimit]:
    """Each operation's budget: the configured override, else the fragment's `x-throttles`."""
    if config.rate_limit is not None:
        return dict.fromkeys(OPERATIONS, config.rate_limit)
    documented = documented_throttles(load_spec())
    missing = [op for op in OPERATIONS if op not in documented]
    if missing:  # pragma: no cover - guards the shipped fragment
        raise ValueError(f"the fragment declares no x-throttles for {missing}")
    return {op: documented[op] for op in OPERATIONS}
