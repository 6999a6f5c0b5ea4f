"""The report options and report writing that `calbot run` and `calbot client-report` share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from calbot.contracts.results import RunResult

EXIT_COULD_NOT_RUN = 2
FORMATS = ("html", "md", "junit", "json")
F = TypeVar("F", bound=Callable[..., Any])


def _formats(_ctx: click.Context, _param: click.Parameter, text: str) -> list[str]:
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        shown = ", ".join(unknown) or "(none)"
        raise click.BadParameter(
            f"unknown format {shown}; use {', '.join(FORMATS)}", param_hint="--report"
        )
    return wanted


def report_options(command: F) -> F:
    """`--report-dir DIR` and `--report html,md,junit,json` (passed on as a list)."""
    command = click.option(
        "--report",
        "formats",
        default=",".join(FORMATS),
        show_default=True,
        callback=_formats,
        help="Report formats: any of html, md, junit, json.",
    )(command)
    return click.option(
        "--report-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("calbot-report"),
        show_default=True,
        help="Where to write the reports.",
    )(command)


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
    from calbot.reports.render import write_reports

    try:
        written = write_reports(result, formats, report_dir, secrets=secrets)
    except OSError as exc:
        reason = exc.strerror or exc
        click.echo(f"error: cannot write the report to {report_dir}: {reason}", err=True)
        sys.exit(EXIT_COULD_NOT_RUN)
    if quiet:
        return
    for path in written.values():
        click.echo(f"  wrote {path}")
