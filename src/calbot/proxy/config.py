"""The proxy's settings: the one upstream, deadlines and limits, faults, the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from calbot.serving.limits import Limits

if TYPE_CHECKING:
    from calbot.proxy.recording import ProxyRecorder
    from calbot.server.faults import Faults

DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0


class UpstreamError(ValueError):
    """An upstream URL the proxy cannot forward to (one line, for the user)."""


def upstream_base(url: str) -> str:
    """`url` as a base to append request paths to: http(s), a host, no query or fragment."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise UpstreamError(f"{url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UpstreamError(f"{url!r} is not an http:// or https:// URL with a host")
    if parsed.userinfo:
        raise UpstreamError(
            "the upstream URL carries credentials: leave them out (the client sends its own)"
        )
    if parsed.query or parsed.fragment:
        raise UpstreamError(f"{url!r}: give the base URL, without a query or a fragment")
    return str(parsed.copy_with(path=parsed.path.rstrip("/") or "", query=None)).rstrip("/")


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """How the proxy forwards.

    `upstream`: the one base URL every request goes to (its path, if any, is a prefix).
    `timeout`: a deadline, in seconds, for the upstream's status and headers once the request
    is sent (else 504), and again for the rest of its answer. `faults`: answers injected
    before forwarding (`calbot.server.faults`). `ledger`: where exchanges are recorded.
    `transport`: how to reach the upstream (default: real HTTP with keep-alive; tests may pass
    `httpx.ASGITransport`). `max_connections`: connections kept to the upstream. `limits`:
    what a client connection may cost, as `calbot serve`'s (`calbot.serving.limits`; the
    client's body has `limits.request_timeout`, else 408). `max_body_bytes`: larger request
    bodies get 413 from the proxy (None: no limit of its own, the upstream's applies).
    """

    upstream: str
    timeout: float = DEFAULT_TIMEOUT
    faults: Faults | None = None
    ledger: ProxyRecorder | None = None
    transport: httpx.AsyncBaseTransport | None = None
    max_connections: int = 200
    limits: Limits = field(default_factory=Limits)
    max_body_bytes: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "upstream", upstream_base(self.upstream))
        if not self.timeout > 0:
            raise UpstreamError("the timeout must be a positive number of seconds")
        if self.max_body_bytes is not None and self.max_body_bytes < 0:
            raise UpstreamError("max_body_bytes must not be negative")
