"""`calbot client-report`: the client rules' verdict on a ledger from `calbot serve --record`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calbot.cli.reporting import (
    read_ledger_or_exit,
    report_options,
    rule_lines,
    verdict_line,
    write_reports_or_exit,
)
from calbot.contracts.rules import DEFAULT_TIGHT_LOOP

if TYPE_CHECKING:
    from calbot.contracts.results import RunResult


@click.command("client-report")
@click.argument("ledger_file", metavar="LEDGER.jsonl", type=click.Path(path_type=Path))
@report_options
@click.option("--strict", is_flag=True, help="Warnings (SHOULD rules) fail the run too.")
@click.option(
    "--tight-loop",
    default=str(DEFAULT_TIGHT_LOOP),
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
    from calbot.contracts.clients.options import ClientRuleOptions
    from calbot.contracts.clients.verify import client_result
    from calbot.spec.throttles import RateLimitSyntaxError, parse_rate_limit

    try:
        options = ClientRuleOptions(parse_rate_limit(tight_loop), frozenset(ignored))
    except RateLimitSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--tight-loop") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ignore") from None
    records = read_ledger_or_exit(ledger_file)
    label = target or f"client (ledger {ledger_file.name})"
    result = client_result(
        records, options, target=label, strict=strict, details={"ledger": str(ledger_file)}
    )
    if not any(record.operation for record in records):
        from calbot.contracts.outcomes import Incomplete, Outcome

        why = f"{ledger_file} holds no API request (did the client run?)"
        result.incomplete = Incomplete(Outcome.VERIFIED_TOO_LITTLE, why)
    _summary(result, quiet)
    write_reports_or_exit(result, formats, report_dir, quiet=quiet)
    sys.exit(result.exit_code)


def _summary(result: RunResult, quiet: bool) -> None:
    from calbot.violations import describe_violations

    why = f" · {result.incomplete}" if result.incomplete else ""
    click.echo(verdict_line(result, f"{result.options.get('requests', 0)} requests", why=why))
    if quiet:
        return
    for line in rule_lines(result, 30):
        click.echo(line)
    if result.findings():
        click.echo("")
        click.echo(describe_violations(result.checks))
