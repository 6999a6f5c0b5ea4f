"""`calbot proxy`: forward a client's traffic to one upstream, recording every exchange."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calbot.cli.listening import (
    limit_options,
    listen_options,
    listening_socket,
    max_body_option,
)
from calbot.cli.reporting import (
    fail,
    reports_to,
    write_reports_or_exit,
)
from calbot.contracts.outcomes import ExitCode

if TYPE_CHECKING:
    from calbot.proxy import ProxyRecorder

DEFAULT_TIMEOUT = 30.0  # calbot.proxy.config's; not imported, so `--help` stays fast


@click.command()
@click.option(
    "--upstream",
    required=True,
    metavar="URL",
    help="The one server every request goes to, e.g. https://us-east-1.recall.ai.",
)
@listen_options
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="LEDGER.jsonl",
    help="Write every exchange to this JSON-lines ledger (overwritten; one flushed line each), "
    "for `calbot client-report` and `calbot proxy-report`. Default: in memory only.",
)
@reports_to(None)
@click.option(
    "--strict", is_flag=True, help="Warnings (SHOULD rules) make the verdicts at exit fail too."
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="At exit, one line only (for scripts that run client-report and proxy-report).",
)
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="A deadline for the upstream's status and headers once the request is sent (else "
    "504), and again for the rest of its answer (else it is cut off, recorded as such).",
)
@max_body_option(
    None,
    "Larger request bodies get 413 from the proxy without being forwarded. Default: no "
    "limit of the proxy's own (bodies stream through; the upstream's limit applies).",
)
@limit_options
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Answer chosen requests without forwarding them, as `calbot serve --fault` does "
    "(repeatable; these serve every client), e.g. 429:1:op=schedule:retry-after=2 or "
    'scenario:outage-2. At run time: POST /_calbot/faults {"faults": [SPEC, ...]} with an '
    "API key adds faults for that key's requests only (answered by the proxy, not forwarded).",
)
def proxy(
    *,
    upstream: str,
    host: str,
    port: int,
    record: Path | None,
    report_dir: Path | None,
    formats: list[str],
    strict: bool,
    quiet: bool,
    timeout: float,
    max_body_bytes: int | None,
    request_timeout: float,
    idle_timeout: float,
    max_connections: int,
    max_header_bytes: int,
    shutdown_grace: float,
    log_level: str,
    refusal_log_level: str,
    faults: tuple[str, ...],
) -> None:
    """Forward every request to the upstream and judge the traffic, both ways.

    Point your client's base URL at the proxy; it keeps its own API key, which is never
    written anywhere. The client side has `calbot serve`'s limits (same options). On Ctrl-C
    or SIGTERM the proxy gives what is in flight --shutdown-grace, stops, prints both
    verdicts (the client's, as `calbot client-report` gives it, and the upstream's passive
    one, as `calbot proxy-report` gives it), writes the upstream's reports to --report-dir
    and exits 0.
    """
    from calbot.proxy import ProxyConfig, UpstreamError, create_proxy, serve_proxy
    from calbot.server.faults import Faults, FaultSyntaxError, parse_fault
    from calbot.serving.limits import Limits

    injected = Faults()  # also for faults added at run time: POST /_calbot/faults
    if faults:
        for spec in faults:
            try:
                injected.add(*parse_fault(spec))
            except FaultSyntaxError as exc:
                fail(f"--fault: {exc}")
    scratch = tempfile.TemporaryDirectory(prefix="calbot-proxy-")
    path = record or Path(scratch.name) / "ledger.jsonl"  # on disk either way: bounded memory
    ledger = _ledger(path, announce=record is not None)
    limits = Limits(
        request_timeout=request_timeout,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        max_header_bytes=max_header_bytes,
        shutdown_grace=shutdown_grace,
    )
    try:
        config = ProxyConfig(
            upstream,
            timeout=timeout,
            faults=injected,
            ledger=ledger,
            limits=limits,
            max_body_bytes=max_body_bytes,
        )
    except UpstreamError as exc:
        fail(f"--upstream: {exc}")
    sock = listening_socket(host, port, "calbot proxy")

    def ready(url: str) -> None:
        click.echo(f"calbot proxy listening on {url}, forwarding to {config.upstream}")
        sys.stdout.flush()

    with sock, scratch:
        serve_proxy(  # closes the ledger
            sock,
            create_proxy(config),
            on_ready=ready,
            log_level=log_level,
            refusal_log_level=refusal_log_level,
        )
        _verdicts(path, config.upstream, record, report_dir, formats, strict, quiet)
    sys.exit(ExitCode.OK)


def _ledger(path: Path, *, announce: bool) -> ProxyRecorder:
    from calbot.proxy import ProxyRecorder

    try:
        ledger = ProxyRecorder(path, keep=False)
    except OSError as exc:
        fail(f"--record: cannot write {path}: {exc.strerror or exc}")
    if announce:
        click.echo(f"recording the ledger to {path}", err=True)
    return ledger


def _verdicts(  # noqa: PLR0917
    path: Path,
    upstream: str,
    record: Path | None,
    report_dir: Path | None,
    formats: list[str],
    strict: bool,
    quiet: bool,
) -> None:
    """Both verdicts on what was recorded (the proxy itself exits 0 whatever they are), and
    the upstream's reports when a report folder was given."""
    from calbot.cli.proxy_report_cmd import summary
    from calbot.contracts.clients.ledger import read_ledger
    from calbot.contracts.clients.verify import client_result
    from calbot.contracts.traffic.verdict import traffic_result
    from calbot.violations import describe_violations

    records = read_ledger(path)
    click.echo(f"calbot proxy stopped after {len(records)} requests")
    if not records or (quiet and report_dir is None):
        return
    server = traffic_result(records, target=upstream, upstream=upstream, strict=strict)
    if record is not None:
        server.options["ledger"] = str(record)
    if not quiet:
        client = client_result(records, target="client (through calbot proxy)", strict=strict)
        click.echo(f"client:   {client.verdict.value.upper()} (calbot client-report)")
        if client.findings():
            click.echo(describe_violations(client.checks))
        summary(server, quiet=False, label="upstream: ")
    if report_dir is not None:
        write_reports_or_exit(server, formats, report_dir, quiet=quiet)
