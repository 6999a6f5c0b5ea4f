"""uvicorn's httptools protocol with the limits it lacks, answering them in JSON.

uvicorn closes idle keep-alive connections and caps body reads only through the app; it has
no request-read timeout, no header size limit with httptools, and answers what its parser
refuses in plain text. This subclass keeps uvicorn's parsing (httptools) and adds, per
connection (`Limits`):

- a new connection with no request in progress is closed after `idle_timeout` (uvicorn's
  keep-alive timer, armed at once instead of after a first answer);
- a request whose line and headers have not all arrived `request_timeout` seconds after its
  first byte gets 408; its body's timeout is the app's (`asgi.App`);
- more than `max_header_bytes` of request line and headers gets 414 (the line alone) or 431;
- a connection beyond `max_connections` gets 503;
- a request the parser refuses gets 400.

Each of these is a JSON `{"detail": ...}` answer with `Connection: close`, then the connection
is closed, and is logged as one line (at most one per connection) at `refusal_log_level` on the
`refusal_logger` (`calbot.server.http` for the server, `calbot.proxy.http` for the proxy). The
answers are canned bytes, as uvicorn's own refusals are.

Both `calbot serve` and `calbot proxy` listen through it. It also gives the app a way to drop
a connection whose answer cannot be completed (the proxy's upstream broke off mid-body):
`abort(scope)`, without uvicorn logging an error for the unfinished answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, MutableMapping
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from calbot.serving.answers import detail_body
from calbot.serving.limits import Limits, request_timeout_message

ABORT = "calbot.abort"
"""The scope extension (`scope["extensions"][ABORT]["abort"]`) that drops the connection."""


class _Refused(Exception):
    """Raised inside a parser callback, once refused, to stop the parser."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with timeouts, size and connection limits (see the module docstring).

    Use `protocol_class(limits, level, logger)`, which binds the settings as class attributes
    (uvicorn builds the protocol itself, from its class).
    """

    limits = Limits()
    refusal_log_level = logging.INFO
    refusal_log = logging.getLogger("calbot.server.http")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn types it as whole seconds but only hands it to loop.call_later.
        self.timeout_keep_alive = self.limits.idle_timeout  # type: ignore[assignment]
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._head_bytes = 0
        self._refused = False

    # --- connection ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            limit = self.limits.max_connections
            self.refuse(503, f"Too many connections: the server takes {limit} at once.")
            return
        # Idle from the start, not only between requests: uvicorn's keep-alive timer.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.limits.idle_timeout, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if not self._refused:
                reason = str(exc.__context__ or exc) or type(exc).__name__
                self.refuse(400, f"Invalid HTTP request: {reason}")
            return
        if self._in_head:
            # Counted per chunk after parsing: the parser buffers a header until it is whole.
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse_size()

    # --- parser callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.request_timeout, self._head_timeout)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        # A head that came in one chunk was not counted by data_received: count it here.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:
            self._refuse_size()
            raise _Refused
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:
            self.scope["extensions"] = {ABORT: {"abort": lambda: self._abort(cycle)}}

    # --- refusals ------------------------------------------------------------------------------

    def _head_timeout(self) -> None:
        self._head_timer = None
        self.refuse(408, request_timeout_message(self.limits.request_timeout))

    def _refuse_size(self) -> None:
        limit = self.limits.max_header_bytes
        if len(self.url) > limit:
            self.refuse(414, f"Request line too long: the limit is {limit} bytes.")
        else:
            self.refuse(431, f"Request header fields too large: the limit is {limit} bytes.")

    def refuse(self, status: int, message: str) -> None:
        """Answer `status` with a JSON detail (when nothing was answered yet), then close."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._cancel_head_timer()
        self._unset_keepalive_if_required()
        client = "%s:%d" % self.client if self.client else "?"  # noqa: UP031
        self.refusal_log.log(self.refusal_log_level, "%s - %d %s", client, status, message)
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            payload = detail_body(message)
            head = [
                STATUS_LINE[status],
                *(
                    name + b": " + value + b"\r\n"
                    for name, value in self.server_state.default_headers
                ),
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(payload)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
            ]
            self.transport.write(b"".join(head) + payload)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's send() goes nowhere from now on
            cycle.message_event.set()
        self.transport.close()

    def _abort(self, cycle: RequestResponseCycle) -> None:
        """Drop the connection under an answer that cannot be completed (what was sent stays
        sent; the client sees the answer cut short, never a complete one)."""
        if cycle.response_complete:
            return
        cycle.disconnected = True  # uvicorn logs nothing for an answer the client lost
        cycle.message_event.set()
        self._unset_keepalive_if_required()
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's plain-text 400, answered in JSON like the others."""
        self.refuse(400, msg)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None


def protocol_class(
    limits: Limits,
    refusal_log_level: int = logging.INFO,
    refusal_logger: str = "calbot.server.http",
) -> type[LimitedHttpToolsProtocol]:
    """A LimitedHttpToolsProtocol bound to these settings (what uvicorn's `http=` takes)."""
    return type(
        "BoundLimitedHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "limits": limits,
            "refusal_log_level": refusal_log_level,
            "refusal_log": logging.getLogger(refusal_logger),
        },
    )


def abort(scope: MutableMapping[str, Any]) -> bool:
    """Drop the connection of this request (see the module docstring); False when the server
    offers no way to (in-process transports): the caller just returns."""
    extension = scope.get("extensions", {}).get(ABORT)
    if extension is None:
        return False
    drop: Callable[[], None] = extension["abort"]
    drop()
    return True
