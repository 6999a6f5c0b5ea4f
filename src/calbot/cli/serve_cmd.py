"""`calbot serve`: run the reference server on uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

if TYPE_CHECKING:
    from calbot.server import Hook
    from calbot.server.recorder import Ledger

EXIT_OK, EXIT_USAGE = 0, 2
# The same as calbot.server.config's; not imported from there, so `--help` stays fast.
DEFAULT_MAX_BODY_BYTES = 1_000_000


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0: any free port.",
)
@click.option(
    "--rate-limit",
    metavar="N/PERIOD",
    help="One budget for every operation, e.g. 600/60s or 5/1s. "
    "Default: each operation's documented budget (x-throttles).",
)
@click.option(
    "--api-key",
    "api_keys",
    metavar="KEY",
    multiple=True,
    help="Accept this key (repeatable; one workspace per key). None: no auth check.",
)
@click.option(
    "--max-body-bytes",
    default=DEFAULT_MAX_BODY_BYTES,
    show_default=True,
    type=click.IntRange(min=0),
    help="Larger request bodies get 413.",
)
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="LEDGER.jsonl",
    help="Write every request and its answer to this JSON-lines ledger (overwritten; one "
    "flushed line per request), for `calbot client-report`.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject answers, in order (repeatable). SPEC is KIND[:COUNT][:OPTION=VALUE...]: "
    "KIND 429, 409, 500, 502, 503, 504, 507 or ended (the ended-event 400); COUNT requests "
    "get it (default 1, * for all); options retry-after=SECONDS (429 defaults to 1), "
    "op=schedule|unschedule|get-event|get-bot (only that operation), after=N (let N "
    "through first). Or scenario:NAME with NAME throttle-after-N, outage-N, conflict, "
    "pool-empty or ended. Examples: 429:3:retry-after=2, ended, scenario:throttle-after-3. "
    'At run time: POST /_calbot/faults {"faults": [SPEC, ...]}.',
)
def serve(
    *,
    host: str,
    port: int,
    rate_limit: str | None,
    api_keys: tuple[str, ...],
    max_body_bytes: int,
    access_log: bool,
    record: Path | None,
    faults: tuple[str, ...],
) -> None:
    """Run the reference server: the API's behaviour, for client tests and as a target."""
    budget: RateLimit | None = None
    if rate_limit is not None:
        try:
            budget = parse_rate_limit(rate_limit)
        except RateLimitSyntaxError as exc:
            _fail(f"--rate-limit: {exc}")
    from calbot.server import ServerConfig, bind
    from calbot.server import serve as run
    from calbot.server.faults import Faults, FaultSyntaxError, parse_fault

    injected = Faults()
    for spec in faults:
        try:
            injected.add(*parse_fault(spec))
        except FaultSyntaxError as exc:
            _fail(f"--fault: {exc}")
    try:
        config = ServerConfig(api_keys=api_keys, rate_limit=budget, max_body_bytes=max_body_bytes)
    except ValueError as exc:
        _fail(f"--api-key: {exc}")
    try:
        sock = bind(host, port)
    except socket.gaierror as exc:
        _fail(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})")
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        _fail(f"cannot listen on {host}:{port}: {reason}")

    def ready(url: str) -> None:
        click.echo(f"calbot reference server listening on {url}")
        sys.stdout.flush()

    with sock, ExitStack() as stack:
        hooks: tuple[Hook, ...] = (injected,)
        if record is not None:
            hooks = (stack.enter_context(_ledger(record, api_keys)), injected)
        run(
            sock,
            dataclasses.replace(config, hooks=hooks),
            on_ready=ready,
            log_level="info" if access_log else "warning",
            access_log=access_log,
        )
    sys.exit(EXIT_OK)


def _ledger(path: Path, api_keys: tuple[str, ...]) -> Ledger:
    """The recording hook, writing to `path` (exit 2 when it cannot be written)."""
    from calbot.server.recorder import Ledger

    try:
        ledger = Ledger(path, api_keys=api_keys, keep=False)
    except OSError as exc:
        _fail(f"--record: cannot write {path}: {exc.strerror or exc}")
    click.echo(f"recording the request ledger to {path}", err=True)
    return ledger
