"""`calbot proxy-report`: the upstream's passive verdict on a ledger from `calbot proxy`."""

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

if TYPE_CHECKING:
    from calbot.contracts.clients.ledger import LedgerRecord
    from calbot.contracts.results import RunResult

MAX_FINDINGS_SHOWN = 10


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
    from calbot.contracts.traffic.verdict import traffic_result

    records = read_ledger_or_exit(ledger_file)
    base = (upstream or "").rstrip("/")
    label = base or f"upstream (ledger {ledger_file.name})"
    result = traffic_result(
        records, target=label, upstream=base, strict=strict, details={"ledger": str(ledger_file)}
    )
    if not any(r.response is not None for r in records):
        click.echo(f"note: {ledger_file}: {_no_bodies(records)}", err=True)
    summary(result, quiet)
    write_reports_or_exit(result, formats, report_dir, quiet=quiet)
    sys.exit(result.exit_code)


def _no_bodies(records: list[LedgerRecord]) -> str:
    """Why a ledger holds no answer bodies: the upstream never answered, or it is not the
    proxy's."""
    failed = [r for r in records if r.upstream_error]
    if failed:
        return (
            f"the upstream answered none of the {len(records)} requests recorded "
            f"({len(failed)} got the proxy's own 502/504; first: {failed[0].upstream_error}): "
            "was it up, and is --upstream right?"
        )
    if any(r.answered_by for r in records):
        return "no answer body was recorded (none was JSON, or all were too large)"
    return "holds no recorded answer bodies: was it written by calbot proxy?"


def summary(result: RunResult, quiet: bool, label: str = "") -> None:
    """The verdict line, then one line per check and the findings (for a terminal)."""
    judged = result.options.get("answers judged", 0)
    click.echo(label + verdict_line(result, f"{judged} answers judged"))
    if quiet:
        return
    for line in rule_lines(result, 28):
        click.echo(line)
    findings = result.findings()
    for finding in findings[:MAX_FINDINGS_SHOWN]:
        times = f" (×{finding.count})" if finding.count > 1 else ""
        click.echo(f"  {finding.rule}{times}: {finding.message}"[:300])
        if finding.curl:
            click.echo(f"    {finding.curl}"[:300])
    if len(findings) > MAX_FINDINGS_SHOWN:
        click.echo(f"  … {len(findings) - MAX_FINDINGS_SHOWN} more in the reports")
