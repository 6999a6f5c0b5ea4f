"""Running the proxy on uvicorn: in the foreground (`calbot proxy`) or in a thread (`running`)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from calbot.proxy.app import Proxy
from calbot.server.process import READY_TIMEOUT, base_url


def uvicorn_config(
    proxy: Proxy, *, log_level: str = "warning", own_logging: bool = True
) -> uvicorn.Config:
    """As `calbot serve`'s, but with lifespan (to close the upstream connections) and no Date
    or Server header of uvicorn's own: the upstream's go back unchanged."""
    return uvicorn.Config(
        proxy,
        log_config=uvicorn.config.LOGGING_CONFIG if own_logging else None,
        lifespan="on",
        log_level=log_level,
        access_log=False,
        server_header=False,
        date_header=False,
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


def serve_proxy(
    sock: socket.socket,
    proxy: Proxy,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve on `sock` until Ctrl-C or SIGTERM; in-flight exchanges finish and are recorded."""
    url = base_url(sock)
    server = _Server(
        uvicorn_config(proxy, log_level=log_level), (lambda: on_ready(url)) if on_ready else None
    )
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proxy.config.ledger is not None:
            proxy.config.ledger.close()


@contextmanager
def running_proxy(proxy: Proxy, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the proxy in a background thread; yields its base URL once it listens."""
    from calbot.server.process import bind

    sock = bind(host, port)
    ready = threading.Event()
    server = _Server(uvicorn_config(proxy, own_logging=False), ready.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="calbot-proxy", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.01):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the calbot proxy did not start")
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=READY_TIMEOUT)
        sock.close()
