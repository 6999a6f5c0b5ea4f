"""Running the proxy on uvicorn: in the foreground (`calbot proxy`) or in a thread (`running`).

The client side listens as `calbot serve` does (`calbot.serving`: httptools with the request
and idle timeouts, the connection and header limits, JSON refusals logged on
`calbot.proxy.http`). On a stop (Ctrl-C, SIGTERM, `running_proxy` exiting) the proxy is told
first: new requests get 503, exchanges in progress get `limits.shutdown_grace` seconds and
then a 503 (or are cut off, recorded as such, when their answer is under way).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from calbot.proxy.app import Proxy
from calbot.serving import ReadyServer, base_url, bind, in_thread, run_foreground
from calbot.serving.config import uvicorn_config as serving_config


def uvicorn_config(
    proxy: Proxy,
    *,
    log_level: str = "warning",
    own_logging: bool = True,
    refusal_log_level: str = "info",
) -> uvicorn.Config:
    """As `calbot serve`'s, but with lifespan (to close the upstream connections) and no Date
    header of uvicorn's own: the upstream's go back unchanged."""
    return serving_config(
        proxy,
        proxy.config.limits,
        log_level=log_level,
        own_logging=own_logging,
        refusal_log_level=refusal_log_level,
        refusal_logger="calbot.proxy.http",
        lifespan=True,
        date_header=False,
    )


def _server(
    proxy: Proxy, settings: uvicorn.Config, ready: Callable[[], None] | None
) -> ReadyServer:
    return ReadyServer(settings, ready, proxy, proxy.config.limits.shutdown_grace)


def serve_proxy(
    sock: socket.socket,
    proxy: Proxy,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
    refusal_log_level: str = "info",
) -> None:
    """Serve on `sock` until Ctrl-C or SIGTERM; every exchange answered is in the ledger."""
    url = base_url(sock)
    ready = (lambda: on_ready(url)) if on_ready else None
    settings = uvicorn_config(proxy, log_level=log_level, refusal_log_level=refusal_log_level)
    try:
        run_foreground(_server(proxy, settings, ready), sock)
    finally:
        if proxy.config.ledger is not None:
            proxy.config.ledger.close()


@contextmanager
def running_proxy(
    proxy: Proxy, *, host: str = "127.0.0.1", port: int = 0, refusal_log_level: str = "info"
) -> Iterator[str]:
    """Run the proxy in a background thread; yields its base URL once it listens. On exit, a
    graceful stop as `serve_proxy`'s. Logs go to the process's logging configuration."""
    settings = uvicorn_config(proxy, own_logging=False, refusal_log_level=refusal_log_level)
    with in_thread(_server(proxy, settings, None), bind(host, port), "the calbot proxy") as url:
        yield url
