"""The reference server's settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from calbot.serving.limits import Limits
from calbot.spec.throttles import RateLimit

if TYPE_CHECKING:
    from calbot.server.messages import Hook

DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_MAX_EVENTS = 10_000
"""Calendar events kept per workspace; past it, the one that ended longest ago goes first."""


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
    operation's budget. `max_events`: calendar events kept per workspace (None: no cap); at the
    cap, a new event evicts the one that ended longest ago, or else the oldest (a bot lives only
    while an event holds it, so bots are capped too). `limits`: timeouts and connection limits
    (uvicorn only; in-process transports have no connections). `clock` and `new_id` are
    injectable so tests never sleep or guess ids. `hooks` wrap every request at the server's
    one choke point (see `messages.Hook`).
    """

    api_keys: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_events: int | None = DEFAULT_MAX_EVENTS
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_uuid
    hooks: tuple[Hook, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        if self.max_events is not None and self.max_events < 1:
            raise ValueError("max_events must be at least 1")
        if any(not key or any(ch.isspace() for ch in key) for key in self.api_keys):
            raise ValueError("API keys must be non-empty and contain no whitespace")
