"""What `calbot run` does with a run, whatever its outcome: the terminal lines, the reports and
the exit code. Conformant, non-conformant, could not run, verified too little, interrupted:
every outcome replaces the reports in --report-dir and ends with one verdict line.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from calbot.cli.reporting import verdict_line, write_reports_or_exit
from calbot.reports.formats import FORMATS

if TYPE_CHECKING:
    from calbot.conformance import Conformance, Run
    from calbot.contracts.results import RunResult

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


def execute(invocation: Invocation) -> RunResult:
    """Open the run (its target built once), say what it tests, run it; a run that could not
    run or was interrupted still gives a result."""
    from calbot.cli.run_flags import flag
    from calbot.conformance import open_run

    try:
        opened = open_run(invocation.options, spelling=flag)
    except KeyboardInterrupt:  # while building the target
        return interrupted(invocation.options)
    with opened:
        if not invocation.quiet:
            described = opened.describe()
            click.echo(
                f"calbot run: {described.target} · seed {described.seed} · "
                f"state: {described.state_setup}"
            )
        return _execute(invocation, opened)


def _execute(invocation: Invocation, opened: Run) -> RunResult:
    from calbot.cli.interrupt import stop_on_interrupt
    from calbot.cli.progress import Display
    from calbot.conformance import CouldNotRun, RunInterrupted
    from calbot.hypothesis_home import hypothesis_home

    options, quiet = opened.options, invocation.quiet
    display = Display(
        opened.activity, options.secrets, live=sys.stdout.isatty(), heartbeat=invocation.heartbeat
    )
    if invocation.hypothesis_database is not None:
        try:
            invocation.hypothesis_database.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = invocation.hypothesis_database
            return could_not_run(options, f"cannot use {where}: {exc.strerror or exc}")
    try:
        with (
            hypothesis_home(invocation.hypothesis_database),
            stop_on_interrupt(opened.activity),
            display if not quiet else nullcontext(),
        ):
            return opened.execute(progress=None if quiet else display)
    except RunInterrupted as stopped:
        return stopped.result
    except CouldNotRun as exc:
        return exc.result or could_not_run(options, str(exc))
    except KeyboardInterrupt:  # before the run started
        return interrupted(options)


def finish(invocation: Invocation, result: RunResult) -> NoReturn:
    """Say how the run went, replace the reports, exit with the run's code."""
    secrets = invocation.options.secrets
    summarize(result, invocation.options, secrets, quiet=invocation.quiet)
    write_reports_or_exit(
        result,
        invocation.formats,
        invocation.report_dir,
        secrets,
        quiet=invocation.quiet,
    )
    sys.exit(result.exit_code)


def could_not_run(options: Conformance, reason: str) -> RunResult:
    """A result with no checks, marked could not run, for the reports."""
    from calbot.conformance import Incomplete, Outcome, no_verdict

    return no_verdict(options, Incomplete(Outcome.COULD_NOT_RUN, reason))


def interrupted(options: Conformance) -> RunResult:
    """A result with no checks, marked interrupted (Ctrl-C before the run started)."""
    from calbot.conformance import Incomplete, Outcome, no_verdict

    return no_verdict(options, Incomplete(Outcome.INTERRUPTED, "(Ctrl-C)"))


def summarize(
    result: RunResult, options: Conformance, secrets: tuple[str, ...], *, quiet: bool
) -> None:
    """The verdict line (all that `-q` prints), then what a user acts on."""
    from calbot.contracts.masking import mask
    from calbot.contracts.outcomes import Outcome
    from calbot.spec.text import one_line

    incomplete = result.incomplete
    if incomplete and incomplete.outcome is Outcome.COULD_NOT_RUN:
        click.echo(f"error: {one_line(mask(incomplete.reason, secrets), 400)}", err=True)
        return
    head, reason = None, ""
    if incomplete and incomplete.outcome is Outcome.INTERRUPTED:
        head, reason = "INTERRUPTED", incomplete.reason
    elif incomplete:
        head, reason = "COULD NOT RUN", str(incomplete)
    shortfall = result.coverage_shortfall(MIN_COVERAGE)
    reason = mask(reason, secrets)
    why = f" · {one_line(reason, 300)}" if reason else f" · {shortfall}" if shortfall else ""
    if not quiet:
        click.echo("")
    tail = f"{result.duration:.1f}s"
    click.echo(verdict_line(result, tail, head=head, why=why, none="no checks finished"))
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
    from calbot.contracts.outcomes import SkipKind

    starved = [c for c in result.checks if c.skip_kind is SkipKind.NEEDS_EVENTS]
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
