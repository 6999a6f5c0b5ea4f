"""Keep-alive connections to the upstream: httpx transports, each client connection on one shard.

The proxy sends through httpx's transport layer directly: what `httpx.AsyncClient` adds on top
(redirects, auth, cookies, default headers) is what a proxy must not do, and it costs a fifth
of a millisecond per request. httpcore's pool scans all of its connections for every request,
so one pool in front of many busy client connections spends its time scanning: the proxy keeps
`SHARDS` small pools and sends each client connection's requests through the same one (by the
client's address), so a client's keep-alive connection maps onto an upstream one. The pools
reach the network through asyncio's streams (`network.py`), not anyio's.
"""

from __future__ import annotations

import ssl
from collections.abc import MutableMapping
from typing import Any

import httpcore
import httpx

from calbot.proxy.config import CONNECT_TIMEOUT, ProxyConfig
from calbot.proxy.network import AsyncioBackend

SHARDS = 16


class UpstreamPool:
    """The transports to the upstream, made in the serving event loop on first use."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.timeout = httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT).as_dict()
        self._transports: list[httpx.AsyncBaseTransport] = []

    def _make(self) -> list[httpx.AsyncBaseTransport]:
        if self.config.transport is not None:
            return [self.config.transport]
        limits = httpx.Limits(
            max_connections=self.config.max_connections,
            max_keepalive_connections=self.config.max_connections,
        )
        verify = httpx.create_ssl_context()  # one context for every shard (loading is slow)
        return [_transport(verify, limits) for _ in range(SHARDS)]

    async def send(self, scope: MutableMapping[str, Any], request: httpx.Request) -> httpx.Response:
        """Send `request` on the shard of the connection it came on; the answer streams."""
        if not self._transports:
            self._transports = self._make()
        shard = hash(scope.get("client")) % len(self._transports)
        request.extensions["timeout"] = self.timeout
        return await self._transports[shard].handle_async_request(request)

    async def aclose(self) -> None:
        transports, self._transports = self._transports, []
        for transport in transports:
            await transport.aclose()


def _transport(verify: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport over httpcore's pool on the asyncio backend (`network.py`).

    httpx builds its pool with httpcore's default backend and has no option for another, so
    the pool it made is swapped for an equal one on asyncio's streams (httpx is pinned < 1).
    """
    # trust_env=False: never an environment proxy, only the one upstream
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=verify,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend(),
    )
    return transport
