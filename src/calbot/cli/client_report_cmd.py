"""`calbot client-report`: the client rules' verdict on a ledger from `calbot serve --record`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from calbot.cli.reporting import EXIT_COULD_NOT_RUN, report_options, write_reports_or_exit

if TYPE_CHECKING:
    from calbot.contracts.results import RunResult

SYMBOLS = {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "-", "error": "E"}
COLOURS = {"passed": "green", "failed": "red", "warning": "yellow", "skipped": "bright_black"}


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_COULD_NOT_RUN)


@click.command("client-report")
@click.argument("ledger_file", metavar="LEDGER.jsonl", type=click.Path(path_type=Path))
@report_options
@click.option("--strict", is_flag=True, help="Warnings (SHOULD rules) fail the run too.")
@click.option(
    "--tight-loop",
    default="5/1s",
    show_default=True,
    metavar="N/PERIOD",
    help="After a 429 or 5xx, more than N requests per PERIOD to the same call is a tight loop.",
)
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="RULE",
    help="Leave a client rule out (reported as skipped), e.g. client.dedup-same-meeting. "
    "Repeatable.",
)
@click.option("--target", help="How to name the client in the reports (default: the ledger).")
@click.option("-q", "--quiet", is_flag=True, help="Only the verdict line.")
def client_report(  # noqa: PLR0917 - click passes options positionally
    ledger_file: Path,
    report_dir: Path,
    formats: list[str],
    strict: bool,
    tight_loop: str,
    ignored: tuple[str, ...],
    target: str | None,
    quiet: bool,
) -> None:
    """Check a client's requests, recorded in LEDGER.jsonl, against the client rules.

    Record the ledger with `calbot serve --record LEDGER.jsonl` while your client's tests
    run, stop the server, then run this. It writes HTML, Markdown, JUnit and JSON reports.
    Exit 0 when no MUST rule was broken (warnings allowed unless --strict), 1 when one was,
    2 when the ledger cannot be read or holds no API request at all.
    """
    from calbot.contracts.clients.ledger import LedgerError, read_ledger
    from calbot.contracts.clients.verify import ClientRuleOptions, client_result
    from calbot.spec.throttles import RateLimitSyntaxError, parse_rate_limit

    try:
        options = ClientRuleOptions(parse_rate_limit(tight_loop), frozenset(ignored))
    except RateLimitSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--tight-loop") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ignore") from None
    try:
        records = read_ledger(ledger_file)
    except OSError as exc:
        _fail(f"cannot read {ledger_file}: {exc.strerror or exc}")
    except (LedgerError, UnicodeDecodeError) as exc:
        _fail(f"{ledger_file} is not a calbot ledger: {exc}")
    label = target or f"client (ledger {ledger_file.name})"
    result = client_result(
        records, options, target=label, strict=strict, details={"ledger": str(ledger_file)}
    )
    if not any(record.operation for record in records):
        click.echo(f"note: {ledger_file} holds no API request: did the client run?", err=True)
    _summary(result, quiet)
    write_reports_or_exit(result, formats, report_dir)
    sys.exit(result.exit_code)


def _summary(result: RunResult, quiet: bool) -> None:
    from calbot.contracts.clients.verify import describe_violations

    counts = ", ".join(f"{n} {status.value}" for status, n in result.counts().items() if n)
    colour = {0: "green", 1: "red"}.get(result.exit_code, "magenta")
    verdict = click.style(result.verdict.value.upper(), fg=colour, bold=True)
    click.echo(f"{verdict} · {counts} · {result.options.get('requests', 0)} requests")
    if quiet:
        return
    for check in result.checks:
        status = check.status.value
        symbol = click.style(SYMBOLS[status], fg=COLOURS.get(status, "magenta"))
        line = f"  {symbol} {check.rule:<30} {status}"
        if check.reason:
            line += f"  {check.reason}"
        click.echo(line[:200])
    if result.findings():
        click.echo("")
        click.echo(describe_violations(result.checks))
