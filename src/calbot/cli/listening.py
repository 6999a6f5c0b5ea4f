"""The options of the commands that listen (`calbot serve`, `calbot proxy`), declared once:
where to listen, and what one connection may cost (`calbot.serving.limits`)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import click

from calbot.cli.reporting import fail

F = TypeVar("F", bound=Callable[..., Any])

# calbot.serving.limits' defaults (a test checks); not imported, so `--help` stays fast
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_HEADER_BYTES = 32_768
DEFAULT_SHUTDOWN_GRACE = 1.0
LOG_LEVELS = ("debug", "info", "warning", "error")
SECONDS = click.FloatRange(min=0.001)


def listen_options(command: F) -> F:
    """--host (127.0.0.1: only this machine, unless told otherwise) and --port."""
    command = click.option(
        "--port",
        default=8080,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="0: any free port.",
    )(command)
    return click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to bind. Any other than a loopback address is reachable from other "
        "machines (a warning says so).",
    )(command)


def limit_options(command: F) -> F:
    """What one connection may cost, and how refusals are logged (`calbot.serving.limits`)."""
    options = [
        click.option(
            "--request-timeout",
            default=DEFAULT_REQUEST_TIMEOUT,
            show_default=True,
            type=SECONDS,
            metavar="SECONDS",
            help="A request's headers (from its first byte), then its body, must arrive within "
            "this; else 408 and the connection is closed.",
        ),
        click.option(
            "--idle-timeout",
            default=DEFAULT_IDLE_TIMEOUT,
            show_default=True,
            type=SECONDS,
            metavar="SECONDS",
            help="Close a connection with no request in progress (new or keep-alive) after this.",
        ),
        click.option(
            "--max-connections",
            default=DEFAULT_MAX_CONNECTIONS,
            show_default=True,
            type=click.IntRange(min=1),
            help="Open connections at once; one more gets 503 and is closed.",
        ),
        click.option(
            "--max-header-bytes",
            default=DEFAULT_MAX_HEADER_BYTES,
            show_default=True,
            type=click.IntRange(min=1024),
            help="Request line and headers together; past it, 414 (line) or 431 (headers).",
        ),
        click.option(
            "--shutdown-grace",
            default=DEFAULT_SHUTDOWN_GRACE,
            show_default=True,
            type=SECONDS,
            metavar="SECONDS",
            help="On Ctrl-C or SIGTERM, work in progress gets this long, then 503; new requests "
            "get 503 at once. Every answer is in the ledger.",
        ),
        click.option(
            "--log-level",
            default="warning",
            show_default=True,
            type=click.Choice(LOG_LEVELS),
            help="Lowest level logged (to stderr).",
        ),
        click.option(
            "--refusal-log-level",
            default="info",
            show_default=True,
            type=click.Choice(LOG_LEVELS),
            help="Level of the one line (to stderr) per connection refused before the app: "
            "malformed HTTP (400), timeouts (408), oversize headers (414/431), too many "
            "connections (503). Shown when at or above --log-level.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def max_body_option(default: int | None, help_text: str) -> Callable[[F], F]:
    """--max-body-bytes, with the command's own default (None: no limit)."""
    return click.option(
        "--max-body-bytes",
        default=default,
        show_default=default is not None,
        type=click.IntRange(min=0),
        help=help_text,
    )


def listening_socket(host: str, port: int, what: str) -> socket.socket:
    """A socket bound to `host`:`port` (exit 2 with one line when it cannot be); a warning on
    stderr when `host` is reachable from other machines."""
    from calbot.serving import bind

    try:
        sock = bind(host, port)
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})")
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        fail(f"cannot listen on {host}:{port}: {reason}")
    address = str(sock.getsockname()[0])
    if not _loopback(address):
        click.echo(
            f"warning: {what} listens on {address}, reachable from other machines; "
            "--host 127.0.0.1 keeps it to this one",
            err=True,
        )
    return sock


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
