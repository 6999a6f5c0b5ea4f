"""Running the proxy on uvicorn: in the foreground (`calbot proxy`) or in a thread (`running`)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from calbot.proxy.app import Proxy
from calbot.serving import ReadyServer, base_url, bind, in_thread, run_foreground


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


def serve_proxy(
    sock: socket.socket,
    proxy: Proxy,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve on `sock` until Ctrl-C or SIGTERM; in-flight exchanges finish and are recorded."""
    url = base_url(sock)
    ready = (lambda: on_ready(url)) if on_ready else None
    try:
        run_foreground(ReadyServer(uvicorn_config(proxy, log_level=log_level), ready), sock)
    finally:
        if proxy.config.ledger is not None:
            proxy.config.ledger.close()


@contextmanager
def running_proxy(proxy: Proxy, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the proxy in a background thread; yields its base URL once it listens."""
    server = ReadyServer(uvicorn_config(proxy, own_logging=False))
    with in_thread(server, bind(host, port), "the calbot proxy") as url:
        yield url
