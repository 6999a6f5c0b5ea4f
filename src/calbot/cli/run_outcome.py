"""What `calbot run` does with a run, whatever its outcome: the terminal lines, the reports and
the exit code. Conformant, non-conformant, could not run, verified too little, interrupted:
every outcome replaces the reports in --report-dir and ends with one verdict line.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from calbot.cli.reporting import write_reports_or_exit
from calbot.reports.formats import FORMATS

if TYPE_CHECKING:
    from calbot.conformance import Conformance
    from calbot.contracts.results import RunResult

COULD_NOT_RUN = "could not run: "
MIN_COVERAGE = "--min-coverage"
FINDINGS_LISTED = 20


@dataclass(frozen=True, slots=True)
class Invocation:
    """What the user asked of `calbot run`, parsed."""

    options: Conformance
    report_dir: Path
    formats: list[str]
    quiet: bool
    heartbeat: float
    hypothesis_database: Path | None

    @property
    def secrets(self) -> tuple[str, ...]:
        keys = (self.options.api_key, self.options.second_api_key)
        return tuple(key for key in keys if key)


def execute(invocation: Invocation) -> RunResult:
    """Run the contracts; a run that could not run or was interrupted still gives a result."""
    from calbot.cli.interrupt import stop_on_interrupt
    from calbot.cli.progress import Display
    from calbot.conformance import build, run_conformance
    from calbot.contracts.engine.activity import Activity
    from calbot.contracts.engine.runner import CouldNotRun, RunInterrupted
    from calbot.contracts.engine.target import TargetError
    from calbot.contracts.masking import mask
    from calbot.hypothesis_home import hypothesis_home

    options, secrets = invocation.options, invocation.secrets
    activity = Activity()
    if not invocation.quiet:
        target, states = build(options)
        target.close()
        click.echo(
            f"calbot run: {mask(target.label, secrets)} · seed {options.seed} · "
            f"state: {mask(states.description, secrets)}"
        )
    display = Display(activity, secrets, live=sys.stdout.isatty(), heartbeat=invocation.heartbeat)
    if invocation.hypothesis_database is not None:
        try:
            invocation.hypothesis_database.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = invocation.hypothesis_database
            return could_not_run(options, f"cannot use {where}: {exc.strerror or exc}")
    try:
        with (
            hypothesis_home(invocation.hypothesis_database),
            stop_on_interrupt(activity),
            display if not invocation.quiet else nullcontext(),
        ):
            return run_conformance(
                options, progress=None if invocation.quiet else display, activity=activity
            )
    except RunInterrupted as stopped:
        return stopped.result
    except CouldNotRun as exc:
        return exc.result or could_not_run(options, str(exc))
    except TargetError as exc:
        return could_not_run(options, str(exc))
    except KeyboardInterrupt:  # before the run started (building the target)
        return could_not_run(options, "", interrupted=True)


def finish(invocation: Invocation, result: RunResult) -> NoReturn:
    """Say how the run went, replace the reports, exit with the run's code."""
    summarize(result, invocation.options, invocation.secrets, quiet=invocation.quiet)
    write_reports_or_exit(
        result,
        invocation.formats,
        invocation.report_dir,
        invocation.secrets,
        quiet=invocation.quiet,
    )
    sys.exit(result.exit_code)


def could_not_run(options: Conformance, reason: str, *, interrupted: bool = False) -> RunResult:
    """A result with no checks, marked could not run (or interrupted), for the reports."""
    from calbot.conformance import BUILTIN_LABEL
    from calbot.contracts.results import INTERRUPTED, new_run

    result = new_run(
        options.url or BUILTIN_LABEL,
        datetime.now(UTC),
        seed=options.seed,
        strict=options.strict,
        options={"contracts": options.contracts or "all"},
    )
    result.incomplete = f"{INTERRUPTED} (Ctrl-C)" if interrupted else f"{COULD_NOT_RUN}{reason}"
    return result


def summarize(
    result: RunResult, options: Conformance, secrets: tuple[str, ...], *, quiet: bool
) -> None:
    """The verdict line (all that `-q` prints), then what a user acts on."""
    from calbot.contracts.masking import mask
    from calbot.contracts.results import INTERRUPTED
    from calbot.spec.text import one_line

    reason = mask(result.incomplete or "", secrets)
    if reason.startswith(COULD_NOT_RUN):
        click.echo(f"error: {one_line(reason.removeprefix(COULD_NOT_RUN), 400)}", err=True)
        return
    counts = ", ".join(f"{n} {status.value}" for status, n in result.counts().items() if n)
    counts = counts or "no checks finished"
    if reason.startswith(INTERRUPTED):
        head, colour = "INTERRUPTED", "magenta"
        reason = reason.removeprefix(INTERRUPTED).strip()
    else:
        head = "COULD NOT RUN" if reason else result.verdict.value.upper()
        colour = {0: "green", 1: "red"}.get(result.exit_code, "magenta")
    shortfall = result.coverage_shortfall(MIN_COVERAGE)
    shown = f" · {one_line(reason, 300)}" if reason else f" · {shortfall}" if shortfall else ""
    if not quiet:
        click.echo("")
    click.echo(
        click.style(head, fg=colour, bold=True) + f"{shown} · {counts} · {result.duration:.1f}s"
    )
    if quiet:
        return
    for fact in run_facts(result):
        click.echo(f"  {fact}")
    _skips_hint(result, options)
    _findings(result, secrets)


def run_facts(result: RunResult) -> list[str]:
    """What the run did besides its verdict: the coverage summary, the transient answers."""
    from calbot.reports.coverage import coverage_summary
    from calbot.reports.retries import run_retries

    facts = [coverage_summary(result), run_retries(result)]
    return [fact for fact in facts if fact]


def _skips_hint(result: RunResult, options: Conformance) -> None:
    from calbot.contracts.engine.registry import NEEDS_EVENTS

    starved = [c for c in result.checks if (c.reason or "").startswith(NEEDS_EVENTS)]
    if not starved:
        return
    if options.state_url or options.events or options.state_callable:
        advice = "the state setup given cannot make them: see each check's reason"
    else:
        advice = "give --state-url or --event KIND=ID"
    if not options.require_state:
        advice += "; --require-state makes this an error"
    if result.incomplete and not options.allow_skips:
        advice += "; --allow-skips accepts such a run"
    noun = "check" if len(starved) == 1 else "checks"
    click.echo(click.style(f"  {len(starved)} {noun} got no events to work on", fg="yellow"))
    click.echo(f"  ({advice})")


def _findings(result: RunResult, secrets: tuple[str, ...]) -> None:
    """The findings, a few per check, in a stable order (rule, operation, signature)."""
    from calbot.contracts.masking import mask
    from calbot.contracts.results import Status, group_findings
    from calbot.spec.text import one_line

    listed = 0
    for check in result.checks:
        if check.status not in (Status.FAILED, Status.WARNING) or listed >= FINDINGS_LISTED:
            continue
        listed += 1
        for finding in sorted(group_findings(check.findings), key=lambda f: f.group_key())[:3]:
            times = f" (×{finding.count})" if finding.count > 1 else ""
            line = f"{check.id} [{finding.rule}] {mask(finding.message, secrets)}{times}"
            click.echo(f"  {one_line(line, 240)}")


class RunCommand(click.Command):
    """`calbot run`: a usage error still replaces the reports (could not run: bad arguments)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage_report(ctx, args, exc)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _usage_report(ctx, [], exc)
            raise


def _usage_report(ctx: click.Context, args: list[str], error: click.UsageError) -> None:
    """Best effort: the reports say the run could not run, and why (never raises)."""
    from calbot.conformance import Conformance
    from calbot.reports import write_reports

    directory = ctx.params.get("report_dir") or _given(args, "--report-dir") or "calbot-report"
    formats = ctx.params.get("formats") or list(FORMATS)
    options = Conformance(url=ctx.params.get("url"), seed=ctx.params.get("seed"))
    result = could_not_run(options, f"bad arguments: {error.format_message()}")
    try:
        write_reports(result, formats, directory)
    except (OSError, ValueError):
        return


def _given(args: list[str], name: str) -> str | None:
    """The value of option `name` in raw `args` (`--name VALUE` or `--name=VALUE`)."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(f"{name}="):
            return arg.partition("=")[2]
    return None
