"""The options of the commands that listen (`calbot serve`, `calbot proxy`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def listen_options(command: F) -> F:
    """--host (127.0.0.1: only this machine, unless told otherwise) and --port."""
    command = click.option(
        "--port",
        default=8080,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="0: any free port.",
    )(command)
    return click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")(
        command
    )
