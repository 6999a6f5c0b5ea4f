"""The server's pure core: one `handle(request) -> response`, the choke point of every request.

Order, as Django REST Framework does it: a body cut short is answered at once (408 when it
did not arrive in time, 503 when the server is stopping), an over-size body too (413); the path
is resolved (404); the API key selects the workspace (401); the method is checked (405); the
request is counted against its operation's budget (429, and then nothing changes); only then
is the body parsed and the model called. Every authenticated request to an operation counts,
whatever its answer; a refused one does not.

Before any hook sees a request, the core resolves its workspace (`Request.workspace`), so the
hooks (fault injection, the ledger) scope by workspace without knowing the keys.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable

from calbot.contracts.domain.limiter import SlidingWindow
from calbot.contracts.domain.model import World
from calbot.contracts.domain.operations import Operation, budgets
from calbot.server.config import ServerConfig
from calbot.server.handlers import answer
from calbot.server.messages import (
    STOPPING,
    TIMED_OUT,
    Handler,
    Hook,
    Request,
    Response,
    method_not_allowed,
    not_found,
    request_timeout,
    server_error,
    shutting_down,
    throttled,
    too_large,
    unauthorized,
)
from calbot.server.routes import Kind, resolve

log = logging.getLogger("calbot.server")


class ServerCore:
    """The reference server without HTTP: a `World`, a limiter per operation, the config."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._keys = frozenset(self.config.api_keys)
        self._budgets = budgets(self.config.rate_limit)
        self._lock = threading.Lock()
        self.world = World(
            clock=self.config.clock, new_id=self.config.new_id, max_events=self.config.max_events
        )
        self.limiters: dict[Operation, SlidingWindow] = {
            operation: SlidingWindow(budget) for operation, budget in self._budgets.items()
        }
        self._chain: Handler = _guarded(self._dispatch)
        for hook in reversed(self.config.hooks):
            self._chain = _guarded(_wrap(hook, self._chain))

    def handle(self, request: Request) -> Response:
        """Answer one request. Never raises: an unexpected exception gives a 500 JSON answer."""
        resolved = self.workspace_key(request)
        if resolved != request.workspace:
            request = dataclasses.replace(request, workspace=resolved)
        with self._lock:
            return self._chain(request)

    def reset(self) -> None:
        """Forget every workspace and every rate-limit history."""
        with self._lock:
            self.world.workspaces.clear()
            for limiter in self.limiters.values():
                limiter.reset()

    def health(self) -> Response:
        """`GET /_calbot/health`: up, what it holds, and what the capacity cap evicted."""
        spaces = self.world.workspaces.values()
        return Response(
            200,
            {
                "status": "ok",
                "events": sum(len(space.events) for space in spaces),
                "bots": sum(len(space.bots) for space in spaces),
                "max_events_per_workspace": self.config.max_events,
                "evicted": {
                    "events": self.world.evictions.events,
                    "bots": self.world.evictions.bots,
                },
            },
        )

    def workspace_key(self, request: Request) -> str | None:
        """The workspace the request's credentials select, or None when they are not valid."""
        if not self._keys:
            return World.DEFAULT
        key = credentials(request.headers.get("authorization"))
        return key if key in self._keys else None

    def _dispatch(self, request: Request) -> Response:
        if request.interrupted == TIMED_OUT:
            return request_timeout(self.config.limits.request_timeout)
        if request.interrupted == STOPPING:
            return shutting_down()
        if request.body_too_large:
            return too_large(self.config.max_body_bytes)
        found = resolve(request.path)
        if found is None:
            return not_found()
        route, segment = found
        key = World.DEFAULT if route.public else self.workspace_key(request)
        if key is None:
            return unauthorized()
        method = request.method
        if method == "OPTIONS":
            return Response(200, {"allow": route.allow.split(", ")}, (("Allow", route.allow),))
        if method not in route.methods:
            return method_not_allowed(method, route.allow)
        if route.kind is Kind.HEALTH:
            return self.health()
        if route.kind is Kind.RESET:
            self.world.reset(key)
            for limiter in self.limiters.values():
                limiter.forget(key)
            return Response(200, {"reset": True})
        operation = route.methods[method]
        if operation is not None:
            wait = self.limiters[operation].admit(key, self.config.clock().timestamp())
            if wait is not None:
                return throttled(wait)
        return answer(route, segment, request, self.world.workspace(key))


def credentials(header: str | None) -> str | None:
    """The API key in an `Authorization` value: `Token <key>` (any case) or the bare key."""
    if not header:
        return None
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() == "token":
        return parts[1]
    return parts[0] if len(parts) == 1 else None


def _wrap(hook: Hook, following: Handler) -> Handler:
    def handler(request: Request) -> Response:
        return hook(request, following)

    return handler


def _guarded(handler: Handler) -> Callable[[Request], Response]:
    def guarded(request: Request) -> Response:
        try:
            return handler(request)
        except Exception:
            log.exception("unexpected error answering %s %s", request.method, request.path[:200])
            return server_error()

    return guarded
