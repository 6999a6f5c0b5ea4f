"""`calbot run`: the conformance run, against a URL or the built-in reference server."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import click

from calbot.cli.reporting import EXIT_COULD_NOT_RUN, report_options, write_reports_or_exit
from calbot.contracts.engine.registry import NEEDS_EVENTS, CheckSpec
from calbot.contracts.engine.target import TargetError
from calbot.contracts.masking import mask
from calbot.contracts.results import CheckResult, RunResult, Status
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

SYMBOLS = {
    Status.PASSED: ("✓", "green"),
    Status.FAILED: ("✗", "red"),
    Status.WARNING: ("!", "yellow"),
    Status.SKIPPED: ("-", "bright_black"),
    Status.ERROR: ("E", "magenta"),
}


def _rate_limit(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> RateLimit | None:
    if value is None:
        return None
    try:
        return parse_rate_limit(value)
    except RateLimitSyntaxError as exc:
        raise click.BadParameter(str(exc)) from None


def _events(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, list[str]]:
    from calbot.contracts.engine.events import parse_event_ids

    try:
        return parse_event_ids(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--url", help="Base URL of the implementation to test. Default: the built-in server.")
@click.option(
    "--api-key",
    envvar="CALBOT_API_KEY",
    help="API key, sent as `Token <key>` (env CALBOT_API_KEY).",
)
@click.option("--state-url", help="Provider-state URL (absolute, or a path on the target).")
@click.option(
    "--event",
    "events",
    multiple=True,
    callback=_events,
    metavar="KIND=ID",
    help="An existing event to use (upcoming, ended, ...). Repeatable.",
)
@click.option(
    "--rate-limit",
    callback=_rate_limit,
    metavar="N/PERIOD",
    help="The budget the target is configured with (default: the fragment's, 600/60s).",
)
@click.option(
    "--no-rate-limit",
    "no_rate_limit",
    is_flag=True,
    help="Skip the rate-limit contract (no burst).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(0),
    default=60.0,
    show_default=True,
    help="Longest wait for a Retry-After, in seconds.",
)
@click.option("--contracts", help="Comma-separated contracts or check ids to run (default: all).")
@click.option(
    "--max-examples",
    type=click.IntRange(1),
    default=25,
    show_default=True,
    help="Generated examples per operation and mode (schema) and state-machine runs.",
)
@click.option("--seed", type=int, help="Seed for generated data (default: random, printed).")
@report_options
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@click.option(
    "--require-state",
    is_flag=True,
    help="A contract that cannot get the events it needs is an error (exit 2), not a skip.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="Per-request timeout, in seconds.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only the summary.")
def run(  # noqa: PLR0917 - click passes options positionally
    url: str | None,
    api_key: str | None,
    state_url: str | None,
    events: dict[str, list[str]],
    rate_limit: RateLimit | None,
    no_rate_limit: bool,
    max_wait: float,
    contracts: str | None,
    max_examples: int,
    seed: int | None,
    report_dir: Path,
    formats: list[str],
    strict: bool,
    require_state: bool,
    timeout: float,
    quiet: bool,
) -> None:
    """Run the conformance contracts and write a report.

    Exit 0 conformant, 1 non-conformant, 2 could not run.
    """
    from calbot.conformance import Conformance, build, run_conformance
    from calbot.contracts.engine.runner import all_checks, select

    names = contracts.split(",") if contracts else None
    try:
        select(all_checks(), names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--contracts") from None
    options = Conformance(
        url=url,
        api_key=api_key,
        state_url=state_url,
        events=events,
        rate_limit=rate_limit,
        rate_limit_contract=not no_rate_limit,
        max_wait=max_wait,
        timeout=timeout,
        contracts=names,
        max_examples=max_examples,
        seed=seed if seed is not None else random.randrange(2**31),
        strict=strict,
        require_state=require_state,
    )
    target, states = build(options)
    secrets = target.secrets
    click.echo(f"calbot run: {target.label} · seed {options.seed} · state: {states.description}")
    target.close()
    try:
        result = run_conformance(options, progress=None if quiet else _progress(secrets))
    except TargetError as exc:
        click.echo(f"error: {mask(str(exc), secrets)}", err=True)
        sys.exit(EXIT_COULD_NOT_RUN)
    _summary(result, secrets)
    write_reports_or_exit(result, formats, report_dir, secrets)
    sys.exit(result.exit_code)


def _progress(secrets: tuple[str, ...]) -> Any:
    def report(stage: str, spec: CheckSpec, result: CheckResult | None) -> None:
        if stage == "start" or result is None:
            return
        symbol, colour = SYMBOLS[result.status]
        line = f"  {click.style(symbol, fg=colour)} {spec.id:<48} {result.duration:6.2f}s"
        if result.reason:
            line += f"  {mask(result.reason, secrets)}"
        elif result.findings:
            count = sum(f.count for f in result.findings)
            first = mask(result.findings[0].message, secrets)
            line += f"  {count} finding{'s' if count != 1 else ''}: {first}"
        click.echo(line[:240])

    return report


def _summary(result: RunResult, secrets: tuple[str, ...]) -> None:
    counts = result.counts()
    parts = [f"{n} {status.value}" for status, n in counts.items() if n]
    colour = {0: "green", 1: "red"}.get(result.exit_code, "magenta")
    click.echo("")
    click.echo(
        click.style(f"{result.verdict.value.upper()}", fg=colour, bold=True)
        + f" · {', '.join(parts)} · {result.duration:.1f}s"
    )
    stateless = [c for c in result.checks if (c.reason or "").startswith(NEEDS_EVENTS)]
    if stateless:
        click.echo(
            click.style(f"  {len(stateless)} checks got no events to work on", fg="yellow")
            + " (give --state-url or --event KIND=ID; --require-state makes this an error)"
        )
    failing = [check for check in result.checks if check.status in (Status.FAILED, Status.WARNING)]
    for check_result in failing[:20]:
        for finding in check_result.findings[:3]:
            click.echo(
                f"  {check_result.id} [{finding.rule}] {mask(finding.message, secrets)}"[:240]
            )
