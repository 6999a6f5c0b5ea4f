"""`calbot proxy-report`: the upstream's passive verdict on a ledger from `calbot proxy`."""

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
MAX_FINDINGS_SHOWN = 10


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_COULD_NOT_RUN)


@click.command("proxy-report")
@click.argument("ledger_file", metavar="LEDGER.jsonl", type=click.Path(path_type=Path))
@report_options
@click.option("--strict", is_flag=True, help="Warnings (SHOULD rules) fail the run too.")
@click.option(
    "--upstream",
    metavar="URL",
    help="The upstream's base URL, for the curl commands and the reports' title "
    '(default: "$RECALL_BASE_URL" in the curls).',
)
@click.option("-q", "--quiet", is_flag=True, help="Only the verdict line.")
def proxy_report(  # noqa: PLR0917 - click passes options positionally
    ledger_file: Path,
    report_dir: Path,
    formats: list[str],
    strict: bool,
    upstream: str | None,
    quiet: bool,
) -> None:
    """Judge the upstream's answers recorded in LEDGER.jsonl (by `calbot proxy --record`).

    Each answer of the four operations is checked against the fragment and the documented
    literals: schemas, meeting_url on events and Bots, 401/404 bodies, the ended-event body,
    429 with a usable Retry-After. Writes HTML, Markdown, JUnit and JSON reports. Exit 0
    conformant (warnings allowed unless --strict), 1 non-conformant, 2 when the ledger cannot
    be read or holds no answer of the upstream's to judge.
    """
    from calbot.contracts.clients.ledger import LedgerError, read_ledger
    from calbot.contracts.traffic.verdict import traffic_result

    try:
        records = read_ledger(ledger_file)
    except OSError as exc:
        _fail(f"cannot read {ledger_file}: {exc.strerror or exc}")
    except (LedgerError, UnicodeDecodeError) as exc:
        _fail(f"{ledger_file} is not a calbot ledger: {exc}")
    base = (upstream or "").rstrip("/")
    label = base or f"upstream (ledger {ledger_file.name})"
    result = traffic_result(
        records, target=label, upstream=base, strict=strict, details={"ledger": str(ledger_file)}
    )
    if not any(r.response is not None for r in records):
        click.echo(
            f"note: {ledger_file} holds no recorded answer bodies: was it written by calbot proxy?",
            err=True,
        )
    summary(result, quiet)
    write_reports_or_exit(result, formats, report_dir)
    sys.exit(result.exit_code)


def summary(result: RunResult, quiet: bool, label: str = "") -> None:
    """The verdict line, then one line per check and the findings (for a terminal)."""
    counts = ", ".join(f"{n} {status.value}" for status, n in result.counts().items() if n)
    colour = {0: "green", 1: "red"}.get(result.exit_code, "magenta")
    verdict = click.style(result.verdict.value.upper(), fg=colour, bold=True)
    judged = result.options.get("answers judged", 0)
    click.echo(f"{label}{verdict} · {counts} · {judged} answers judged")
    if quiet:
        return
    for check in result.checks:
        status = check.status.value
        symbol = click.style(SYMBOLS[status], fg=COLOURS.get(status, "magenta"))
        line = f"  {symbol} {check.rule:<28} {status}"
        if check.reason:
            line += f"  {check.reason}"
        click.echo(line[:200])
    findings = result.findings()
    for finding in findings[:MAX_FINDINGS_SHOWN]:
        times = f" (×{finding.count})" if finding.count > 1 else ""
        click.echo(f"  {finding.rule}{times}: {finding.message}"[:300])
        if finding.curl:
            click.echo(f"    {finding.curl}"[:300])
    if len(findings) > MAX_FINDINGS_SHOWN:
        click.echo(f"  … {len(findings) - MAX_FINDINGS_SHOWN} more in the reports")
