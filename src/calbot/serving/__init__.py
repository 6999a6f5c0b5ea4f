"""What `calbot serve` and `calbot proxy` share to listen, one home for both.

Here: running an ASGI app on uvicorn, in the foreground or in a thread (and their `running`
context managers). Beside it: `limits` (what a connection may cost, and how refusals are
worded), `protocol` (uvicorn's httptools protocol enforcing them), `config` (uvicorn's
settings), `logs` (stderr, keys masked) and `answers` (JSON as calbot answers it).
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

import uvicorn

READY_TIMEOUT = 10.0


class Stoppable(Protocol):
    """An app told when its server stops (it refuses new work) and starts again."""

    def stop(self, grace: float) -> None: ...

    def resume(self) -> None: ...


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: any free port).

    Raises `socket.gaierror` for an unknown host, `OSError` for a busy port and the like.
    """
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return socket.create_server(address[:2], family=family, backlog=2048)


def base_url(sock: socket.socket) -> str:
    """`http://host:port` for a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ReadyServer(uvicorn.Server):
    """uvicorn's server, saying once it listens, and telling a `Stoppable` app when it stops."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_ready: Callable[[], None] | None = None,
        app: Stoppable | None = None,
        grace: float = 1.0,
    ) -> None:
        super().__init__(config)
        self.on_ready = on_ready
        self._app = app
        self._grace = grace

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if self._app is not None:
            self._app.resume()
        await super().startup(sockets=sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._app is not None:
            self._app.stop(self._grace)
        try:
            await super().shutdown(sockets=sockets)
        finally:
            if self._app is not None:
                self._app.resume()  # in-process use of the same app goes on


def _ignore(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it; after a clean shutdown that is no error."""


def run_foreground(server: ReadyServer, sock: socket.socket) -> None:
    """Serve on `sock` until Ctrl-C or SIGTERM; returns after a clean stop."""
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def in_thread(server: ReadyServer, sock: socket.socket, name: str) -> Iterator[str]:
    """Serve on `sock` in a daemon thread; yields the base URL once it listens, stops on exit."""
    ready = threading.Event()
    server.on_ready = ready.set
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.01):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=READY_TIMEOUT)
        sock.close()
