"""The reference server's settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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
class Limits:
    """What one connection may cost the server (`calbot serve --help` shows the defaults).

    `request_timeout`: seconds a request has to deliver its headers (from its first byte) and
    then its body; past it, 408 (JSON) and the connection is closed. `idle_timeout`: seconds a
    connection may stay open without a request in progress (a new one, or keep-alive between
    requests); then it is closed. `max_connections`: open connections at once; one more gets a
    503 (JSON) and is closed. `max_header_bytes`: request line and headers together; past it,
    414 (the request line alone) or 431 (JSON). `shutdown_grace`: on a stop, seconds an upload
    in progress has to finish before it is answered 503.
    """

    request_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_connections: int = 1000
    max_header_bytes: int = 32_768
    shutdown_grace: float = 1.0

    def __post_init__(self) -> None:
        for name in ("request_timeout", "idle_timeout", "shutdown_grace"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.max_header_bytes < 1024:
            raise ValueError("max_header_bytes must be at least 1024")


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
