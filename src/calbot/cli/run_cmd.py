"""`calbot run`: the conformance run, against a URL or the built-in reference server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from calbot.cli.reporting import report_options
from calbot.cli.run_outcome import RunCommand, finish
from calbot.conformance import MAX_EXAMPLES, MAX_WAIT, TIMEOUT, ExitCode
from calbot.conformance.status import HEARTBEAT
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit


def _rate_limit(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> RateLimit | None:
    if value is None:
        return None
    try:
        return parse_rate_limit(value)
    except RateLimitSyntaxError as exc:
        raise click.BadParameter(str(exc)) from None


def _url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    problem = url_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def _state_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None or value.startswith("/"):
        return value
    problem = url_problem(value)
    if problem:
        raise click.BadParameter(f"{problem}; or give a path on the target, like /_calbot/states")
    return value


def url_problem(value: str) -> str | None:
    """Why `value` is not an http(s) URL with a host, or None when it is one."""
    import httpx

    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        return f"{value!r} is not a URL"
    if url.scheme not in ("http", "https"):
        hint = f"; did you mean http://{value}?" if "://" not in value else ""
        return f"{value!r} is not an http(s) URL{hint}"
    if not url.host:
        return f"{value!r} has no host"
    return None


def _writable(report_dir: Path) -> None:
    """Stop before the run when the reports could not be written at its end."""
    import os

    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise click.BadParameter(
            f"cannot write the report to {report_dir}: {reason}", param_hint="--report-dir"
        ) from None
    if not os.access(report_dir, os.W_OK | os.X_OK):
        raise click.BadParameter(
            f"cannot write the report to {report_dir}: permission denied",
            param_hint="--report-dir",
        )


def _events(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, list[str]]:
    from calbot.conformance import parse_events

    try:
        return parse_events(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _min_coverage(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from calbot.reports.coverage import parse_min_coverage

    try:
        return parse_min_coverage(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(cls=RunCommand)
@click.option(
    "--url",
    callback=_url,
    help="Base URL of the implementation to test (http:// or https://). Default: the built-in "
    "server.",
)
@click.option(
    "--api-key",
    envvar="CALBOT_API_KEY",
    help="API key, sent as `Token <key>` (env CALBOT_API_KEY).",
)
@click.option(
    "--second-api-key",
    envvar="CALBOT_SECOND_API_KEY",
    help="Another workspace's API key, for the workspace checks (env CALBOT_SECOND_API_KEY); "
    "without it they are skipped.",
)
@click.option(
    "--state-url",
    callback=_state_url,
    help="Provider-state URL (absolute, or a path on the target).",
)
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
    default=MAX_WAIT,
    show_default=True,
    help="Longest wait for a Retry-After, in seconds.",
)
@click.option("--contracts", help="Comma-separated contracts or check ids to run (default: all).")
@click.option(
    "--max-examples",
    type=click.IntRange(1),
    default=MAX_EXAMPLES,
    show_default=True,
    help="Generated examples per operation and mode (schema) and state-machine runs.",
)
@click.option("--seed", type=int, help="Seed for generated data (default: random, printed).")
@report_options
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@click.option(
    "--min-coverage",
    callback=_min_coverage,
    metavar="PERCENT",
    help="Fail the run (exit 1) when it exercises less than PERCENT of the documented "
    "behaviours (0-100, e.g. 90 or 90%).",
)
@click.option(
    "--require-state",
    is_flag=True,
    help="A contract that cannot get the events it needs is an error (exit 2), not a skip.",
)
@click.option(
    "--allow-skips",
    is_flag=True,
    help="Accept a run where most checks were skipped for want of events (exit 0, not 2).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=TIMEOUT,
    show_default=True,
    help="Per-request timeout, in seconds.",
)
@click.option(
    "--hypothesis-database",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Keep Hypothesis' files here (default: a temporary folder; no .hypothesis/ in "
    "the working directory).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only the verdict line.")
@click.option(
    "--show-config",
    is_flag=True,
    help="Print the resolved settings (and where each comes from), keys masked; run nothing.",
)
@click.option(
    "--list",
    "list_checks",
    is_flag=True,
    help="List the checks (with --contracts, those), their rules and evidence; run nothing.",
)
@click.option("--heartbeat", type=click.FloatRange(0.1), default=HEARTBEAT, hidden=True)
def run(  # noqa: PLR0917 - click passes options positionally
    url: str | None,
    api_key: str | None,
    second_api_key: str | None,
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
    min_coverage: float | None,
    require_state: bool,
    allow_skips: bool,
    timeout: float,
    hypothesis_database: Path | None,
    quiet: bool,
    show_config: bool,
    list_checks: bool,
    heartbeat: float,
) -> None:
    """Run the conformance contracts and write a report.

    Exit 0 conformant, 1 non-conformant (or below --min-coverage), 2 could not run (bad
    arguments, target unreachable, API key refused, not this API, state setup failing, most
    checks skipped), 130 on Ctrl-C.
    Every run replaces the reports in --report-dir, whatever its outcome.
    """
    from calbot.cli.run_outcome import Invocation, execute
    from calbot.conformance import Conformance, select_checks

    names = contracts.split(",") if contracts else None
    try:
        select_checks(names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--contracts") from None
    if show_config or list_checks:
        _say_only(show_config, names, api_key)
    _writable(report_dir)
    options = Conformance(
        url=url,
        api_key=api_key,
        second_api_key=second_api_key,
        state_url=state_url,
        events=events,
        rate_limit=rate_limit,
        rate_limit_contract=not no_rate_limit,
        max_wait=max_wait,
        timeout=timeout,
        contracts=names,
        max_examples=max_examples,
        seed=seed,
        strict=strict,
        min_coverage=min_coverage,
        require_state=require_state,
        allow_skips=allow_skips,
    )
    invocation = Invocation(options, report_dir, formats, quiet, heartbeat, hypothesis_database)
    finish(invocation, execute(invocation))


def _say_only(show_config: bool, contracts: list[str] | None, api_key: str | None) -> NoReturn:
    """`--show-config` / `--list`: print, run nothing, exit 0."""
    from calbot.cli import CONFIG_KEY
    from calbot.cli.run_info import list_checks
    from calbot.cli.run_info import show_config as show

    ctx = click.get_current_context()
    if show_config:
        show(ctx, ctx.find_root().meta.get(CONFIG_KEY), [api_key] if api_key else [])
    else:
        list_checks(contracts)
    sys.exit(ExitCode.OK)
