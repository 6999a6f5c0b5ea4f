"""What one connection may cost a listening calbot (`calbot serve`, `calbot proxy`): one home
for the limits, their defaults, and the wording of the answers that enforce them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_HEADER_BYTES = 32_768
DEFAULT_SHUTDOWN_GRACE = 1.0


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may cost (`calbot serve --help` and `calbot proxy --help` show them).

    `request_timeout`: seconds a request has to deliver its headers (from its first byte) and
    then its body; past it, 408 (JSON) and the connection is closed. `idle_timeout`: seconds a
    connection may stay open without a request in progress (a new one, or keep-alive between
    requests); then it is closed. `max_connections`: open connections at once; one more gets a
    503 (JSON) and is closed. `max_header_bytes`: request line and headers together; past it,
    414 (the request line alone) or 431 (JSON). `shutdown_grace`: on a stop, seconds an
    exchange in progress has to finish before it is answered 503.
    """

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE

    def __post_init__(self) -> None:
        for name in ("request_timeout", "idle_timeout", "shutdown_grace"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.max_header_bytes < 1024:
            raise ValueError("max_header_bytes must be at least 1024")


def request_timeout_message(seconds: float) -> str:
    """408: the request (its head, or its body) did not arrive in time."""
    return f"Request timeout: the request did not arrive within {seconds:g} seconds."


def body_too_large_message(limit: int) -> str:
    """413: the body is over the configured cap."""
    return f"Request body too large: the limit is {limit} bytes."


def shutting_down_message(who: str = "server") -> str:
    """503: a stop is under way; the work is refused or cut short."""
    return f"The {who} is shutting down. Retry against another instance."
