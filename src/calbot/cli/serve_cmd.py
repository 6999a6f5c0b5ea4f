"""`calbot serve`: run the reference server on uvicorn until Ctrl-C or SIGTERM.

Where it writes: stdout gets the one "listening on" line; every log goes to stderr (uvicorn's
and calbot's warnings, `--access-log`, refused connections), API keys masked.
"""

from __future__ import annotations

import dataclasses
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calbot.cli.listening import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE,
    limit_options,
    listen_options,
    listening_socket,
    max_body_option,
)
from calbot.cli.reporting import fail
from calbot.contracts.outcomes import ExitCode
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

if TYPE_CHECKING:
    from calbot.server import Hook
    from calbot.server.recorder import LedgerRecorder

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_REQUEST_TIMEOUT",
    "DEFAULT_SHUTDOWN_GRACE",
    "serve",
]

# The same as calbot.server.config's (a test checks); not imported, so `--help` stays fast.
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_MAX_EVENTS = 10_000


@click.command()
@listen_options
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
@max_body_option(DEFAULT_MAX_BODY_BYTES, "Larger request bodies get 413.")
@click.option(
    "--max-events",
    default=DEFAULT_MAX_EVENTS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Calendar events kept per workspace; past it, the event that ended longest ago (or "
    "else the oldest) is evicted with its bot. Evictions are counted in /_calbot/health; "
    "POST /_calbot/reset empties the caller's workspace.",
)
@limit_options
@click.option(
    "--access-log",
    is_flag=True,
    help="Log every answered request, one line each, to stderr (keys masked).",
)
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
    "These serve every workspace. At run time, "
    'POST /_calbot/faults {"faults": [SPEC, ...]} with an API key adds faults for that '
    "key's workspace only.",
)
def serve(
    *,
    host: str,
    port: int,
    rate_limit: str | None,
    api_keys: tuple[str, ...],
    max_body_bytes: int,
    max_events: int,
    request_timeout: float,
    idle_timeout: float,
    max_connections: int,
    max_header_bytes: int,
    shutdown_grace: float,
    log_level: str,
    refusal_log_level: str,
    access_log: bool,
    record: Path | None,
    faults: tuple[str, ...],
) -> None:
    """Run the reference server: the API's behaviour, for client tests and as a target.

    \b
    Output: stdout gets one line, "calbot reference server listening on URL".
    Logs go to stderr: warnings and errors, --access-log, refused connections.
    API keys are masked in every log and in the ledger.
    """
    budget: RateLimit | None = None
    if rate_limit is not None:
        try:
            budget = parse_rate_limit(rate_limit)
        except RateLimitSyntaxError as exc:
            fail(f"--rate-limit: {exc}")
    from calbot.server import ServerConfig
    from calbot.server import serve as run
    from calbot.server.faults import Faults, FaultSyntaxError, parse_fault
    from calbot.serving.limits import Limits

    injected = Faults()
    for spec in faults:
        try:
            injected.add(*parse_fault(spec))
        except FaultSyntaxError as exc:
            fail(f"--fault: {exc}")
    try:
        config = ServerConfig(
            api_keys=api_keys,
            rate_limit=budget,
            max_body_bytes=max_body_bytes,
            max_events=max_events,
            limits=Limits(
                request_timeout=request_timeout,
                idle_timeout=idle_timeout,
                max_connections=max_connections,
                max_header_bytes=max_header_bytes,
                shutdown_grace=shutdown_grace,
            ),
        )
    except ValueError as exc:
        fail(f"--api-key: {exc}")
    sock = listening_socket(host, port, "the reference server")

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
            log_level="info" if access_log and log_level == "warning" else log_level,
            access_log=access_log,
            refusal_log_level=refusal_log_level,
        )
    sys.exit(ExitCode.OK)


def _ledger(path: Path, api_keys: tuple[str, ...]) -> LedgerRecorder:
    """The recording hook, writing to `path` (exit 2 when it cannot be written)."""
    from calbot.server.recorder import LedgerRecorder

    try:
        ledger = LedgerRecorder(path, api_keys=api_keys, keep=False)
    except OSError as exc:
        fail(f"--record: cannot write {path}: {exc.strerror or exc}")
    click.echo(f"recording the request ledger to {path}", err=True)
    return ledger
