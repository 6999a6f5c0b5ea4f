"""Running the app on uvicorn: in the foreground (`calbot serve`) or in a thread (`running`).

uvicorn parses HTTP (httptools); `calbot.serving.protocol` adds the request-read timeout, the
header and connection limits and JSON refusals; the app (`asgi.App`) times out bodies. On a
stop (Ctrl-C, SIGTERM, `running` exiting), the app is told first: new requests get 503,
uploads in progress get `limits.shutdown_grace` seconds and then a 503 (both through
the core, so the ledger has them), idle connections are closed, and uvicorn waits for the rest.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from calbot.server.asgi import App, create_app
from calbot.server.config import ServerConfig
from calbot.serving import ReadyServer, base_url, bind, in_thread, run_foreground
from calbot.serving.config import uvicorn_config


def serve(
    sock: socket.socket,
    config: ServerConfig | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
    access_log: bool = False,
    refusal_log_level: str = "info",
) -> None:
    """Serve on `sock` in the foreground until Ctrl-C or SIGTERM; returns after a clean stop."""
    url = base_url(sock)
    app = create_app(config)
    limits = app.core.config.limits
    settings = uvicorn_config(
        app,
        limits,
        log_level=log_level,
        access_log=access_log,
        refusal_log_level=refusal_log_level,
        secrets=app.core.config.api_keys,
    )
    ready = (lambda: on_ready(url)) if on_ready else None
    run_foreground(ReadyServer(settings, ready, app, limits.shutdown_grace), sock)


@contextmanager
def running(
    config: ServerConfig | None = None,
    *,
    app: App | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    refusal_log_level: str = "info",
) -> Iterator[str]:
    """Run the server in a background thread; yields its base URL once it answers.

    Pass `app` (from `create_app`) to keep a handle on its state. Shuts the server down (a
    graceful stop, as `serve`) and waits for the thread on exit. One app is served by one
    server at a time. Logs go to the process's logging configuration.
    """
    if app is not None and config is not None:
        raise ValueError("pass either config or app, not both")
    app = app or create_app(config)
    limits = app.core.config.limits
    settings = uvicorn_config(app, limits, own_logging=False, refusal_log_level=refusal_log_level)
    server = ReadyServer(settings, None, app, limits.shutdown_grace)
    with in_thread(server, bind(host, port), "the calbot reference server") as url:
        yield url
