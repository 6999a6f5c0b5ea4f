"""Running the app on uvicorn: in the foreground (`calbot serve`) or in a thread (`running`)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from calbot.server.asgi import App, create_app
from calbot.server.config import ServerConfig

READY_TIMEOUT = 10.0


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


def uvicorn_config(
    app: App, *, log_level: str = "warning", access_log: bool = False, own_logging: bool = True
) -> uvicorn.Config:
    """uvicorn settings: httptools and uvloop when installed, no lifespan, quiet by default.

    `own_logging=False` leaves the process's logging configuration alone (library use).
    """
    return uvicorn.Config(
        app,
        log_config=uvicorn.config.LOGGING_CONFIG if own_logging else None,
        lifespan="off",
        log_level=log_level,
        access_log=access_log,
        server_header=False,
        timeout_graceful_shutdown=2,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()


def _ignore(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it; after a clean shutdown that is no error."""


def serve(
    sock: socket.socket,
    config: ServerConfig | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    """Serve on `sock` in the foreground until Ctrl-C or SIGTERM; returns after a clean stop."""
    url = base_url(sock)
    server = _Server(
        uvicorn_config(create_app(config), log_level=log_level, access_log=access_log),
        (lambda: on_ready(url)) if on_ready else None,
    )
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def running(
    config: ServerConfig | None = None,
    *,
    app: App | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[str]:
    """Run the server in a background thread; yields its base URL once it answers.

    Pass `app` (from `create_app`) to keep a handle on its state. Shuts the server down and
    waits for the thread on exit.
    """
    if app is not None and config is not None:
        raise ValueError("pass either config or app, not both")
    app = app or create_app(config)
    sock = bind(host, port)
    ready = threading.Event()
    server = _Server(uvicorn_config(app, own_logging=False), ready.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="calbot-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.01):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the calbot reference server did not start")
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=READY_TIMEOUT)
        sock.close()
