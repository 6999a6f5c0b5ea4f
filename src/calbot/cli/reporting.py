"""What the reporting commands share: report options and writing, the exit for "could not run",
reading a ledger, and the verdict and check lines on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from calbot.contracts.outcomes import ExitCode
from calbot.contracts.results import RunResult, Status
from calbot.reports.formats import FORMATS

if TYPE_CHECKING:
    from calbot.contracts.clients.ledger import LedgerRecord

F = TypeVar("F", bound=Callable[..., Any])
STATUS_MARKS = {
    Status.PASSED: ("✓", "green"),
    Status.FAILED: ("✗", "red"),
    Status.WARNING: ("!", "yellow"),
    Status.SKIPPED: ("-", "bright_black"),
    Status.ERROR: ("E", "magenta"),
}
"""How a check's status shows on a terminal: its mark and colour."""
EXIT_COLOURS = {ExitCode.OK: "green", ExitCode.FAILED: "red"}
"""How a verdict shows on a terminal, by its exit code (magenta for the others)."""
LINE = 200


def fail(message: str) -> NoReturn:
    """Stop with one line on stderr and the "could not run" exit code."""
    click.echo(f"error: {message}", err=True)
    sys.exit(ExitCode.COULD_NOT_RUN)


def read_ledger_or_exit(path: Path) -> list[LedgerRecord]:
    """The records of a ledger file; a file that cannot be read or is no ledger stops the run."""
    from calbot.contracts.clients.ledger import LedgerError, read_ledger

    try:
        return read_ledger(path)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except (LedgerError, UnicodeDecodeError) as exc:
        fail(f"{path} is not a calbot ledger: {exc}")


def verdict_line(
    result: RunResult, tail: str, *, head: str | None = None, why: str = "", none: str = ""
) -> str:
    """`CONFORMANT · 7 passed, 4 skipped · <tail>`, coloured by the exit code: `head` instead
    of the verdict (`INTERRUPTED`), `why` after it (" · <reason>"), `none` for no counts."""
    counts = ", ".join(f"{n} {status.value}" for status, n in result.counts().items() if n)
    colour = EXIT_COLOURS.get(result.exit_code, "magenta")
    verdict = click.style(head or result.verdict.value.upper(), fg=colour, bold=True)
    return f"{verdict}{why} · {counts or none} · {tail}"


def rule_lines(result: RunResult, width: int) -> list[str]:
    """One line per check: its mark, its rule, its status and the reason it gives."""
    lines = []
    for check in result.checks:
        symbol, colour = STATUS_MARKS[check.status]
        line = f"  {click.style(symbol, fg=colour)} {check.rule:<{width}} {check.status.value}"
        if check.reason:
            line += f"  {check.reason}"
        lines.append(line[:LINE])
    return lines


def _formats(_ctx: click.Context, _param: click.Parameter, text: str) -> list[str]:
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        shown = ", ".join(unknown) or "(none)"
        raise click.BadParameter(
            f"unknown format {shown}; use {', '.join(FORMATS)}", param_hint="--report"
        )
    return wanted


DEFAULT_REPORT_DIR = Path("calbot-report")


def report_options(command: F) -> F:
    """`--report-dir DIR` (default calbot-report) and `--report html,md,junit,json`."""
    return reports_to(DEFAULT_REPORT_DIR)(command)


def reports_to(report_dir: Path | None) -> Callable[[F], F]:
    """`--report-dir DIR` (default `report_dir`; None: no reports unless asked) and `--report
    html,md,junit,json` (passed on as a list)."""

    def add(command: F) -> F:
        command = click.option(
            "--report",
            "formats",
            default=",".join(FORMATS),
            show_default=True,
            callback=_formats,
            help=f"Report formats: any of {', '.join(FORMATS)}.",
        )(command)
        return click.option(
            "--report-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=report_dir,
            show_default=report_dir is not None,
            help="Where to write the reports."
            if report_dir is not None
            else "Where to write the reports (default: none are written).",
        )(command)

    return add


def write_reports_or_exit(
    result: RunResult,
    formats: Sequence[str],
    report_dir: Path,
    secrets: Sequence[str] = (),
    *,
    quiet: bool = False,
) -> None:
    """Write the reports and list them (unless `quiet`); a folder that cannot be written exits
    2, in one line."""
    from calbot.reports import write_reports

    try:
        written = write_reports(result, formats, report_dir, secrets=secrets)
    except OSError as exc:
        reason = exc.strerror or exc
        click.echo(f"error: cannot write the report to {report_dir}: {reason}", err=True)
        sys.exit(ExitCode.COULD_NOT_RUN)
    if quiet:
        return
    for path in written.values():
        click.echo(f"  wrote {path}")
