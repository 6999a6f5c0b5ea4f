"""uvicorn's settings for a listening calbot: httptools with calbot's limits, logs to stderr."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import uvicorn

from calbot.serving.limits import Limits
from calbot.serving.logs import log_config
from calbot.serving.protocol import protocol_class


def uvicorn_config(
    app: Any,
    limits: Limits | None = None,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    own_logging: bool = True,
    refusal_log_level: str = "info",
    refusal_logger: str = "calbot.server.http",
    secrets: Sequence[str] = (),
    lifespan: bool = False,
    date_header: bool = True,
) -> uvicorn.Config:
    """uvicorn settings for any ASGI `app`: httptools with `limits`, uvloop when installed.

    No proxy headers, no Server header, quiet by default. `own_logging=False` leaves the
    process's logging configuration alone (library use); otherwise everything logs to stderr
    with `secrets` masked (see `logs`). `refusal_log_level`: the level of the one line logged
    per refused connection, on `refusal_logger`. `lifespan`: tell the app when the server starts
    and stops. `date_header=False`: no Date header of uvicorn's own (the proxy passes the
    upstream's). uvicorn waits for work in progress `limits.shutdown_grace` and 2 s more on a
    stop; the app itself answers what is still in progress after the grace.
    """
    limits = limits or Limits()
    level = logging.getLevelNamesMapping()[refusal_log_level.upper()]
    return uvicorn.Config(
        app,
        http=protocol_class(limits, level, refusal_logger),
        log_config=log_config(log_level, secrets) if own_logging else None,
        lifespan="on" if lifespan else "off",
        log_level=log_level,
        access_log=access_log,
        server_header=False,
        date_header=date_header,
        proxy_headers=False,
        timeout_graceful_shutdown=round(limits.shutdown_grace + 2),
    )
