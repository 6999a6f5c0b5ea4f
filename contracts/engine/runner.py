"""Run the contracts against a target and collect one `RunResult`."""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from calbot.contracts.engine.coverage import coverage
from calbot.contracts.engine.preflight import preflight
from calbot.contracts.engine.registry import (
    REGISTRY,
    CheckSpec,
    Context,
    NoState,
    RunOptions,
    Skip,
)
from calbot.contracts.engine.settings import Setting
from calbot.contracts.engine.state_setup import StateSetup, StateSetupFailed
from calbot.contracts.engine.target import Target, TargetError
from calbot.contracts.outcomes import (
    CouldNotRun,
    Incomplete,
    Outcome,
    RunInterrupted,
    SkipKind,
)
from calbot.contracts.results import (
    CheckResult,
    Finding,
    RunResult,
    Status,
    level_status,
    new_run,
)
from calbot.contracts.rules import findings_level, source_of

__all__ = [
    "CONTRACT_ORDER",
    "RATE_LIMIT_CONTRACT",
    "Progress",
    "all_checks",
    "hollow",
    "preflight",
    "run",
    "run_check",
    "run_record",
    "select",
]

# Run order: cheap, state-light contracts first; the rate-limit burst last, so that the
# budget it spends does not slow the others down.
CONTRACT_ORDER = (
    "schema",
    "shapes",
    "meeting_url",
    "defaults",
    "dedup",
    "override",
    "ended",
    "schedule",
    "delete",
    "errors",
    "robustness",
    "concurrency",
    "workspaces",
    "stateful",
    "rate_limit",
)
RATE_LIMIT_CONTRACT = "rate_limit"

Progress = Callable[[str, CheckSpec, CheckResult | None], None]


def all_checks() -> list[CheckSpec]:
    """Every registered check, in run order."""
    for contract in CONTRACT_ORDER:
        importlib.import_module(f"calbot.contracts.checks.{contract}")
    order = {name: index for index, name in enumerate(CONTRACT_ORDER)}
    return sorted(REGISTRY, key=lambda spec: order.get(spec.contract, len(order)))


def select(checks: Sequence[CheckSpec], wanted: Iterable[str] | None) -> list[CheckSpec]:
    """Checks named by contract (`dedup`) or id (`dedup::same-key-same-bot`)."""
    names = [name.strip() for name in wanted or () if name.strip()]
    if not names:
        return list(checks)
    known = {spec.contract for spec in checks} | {spec.id for spec in checks}
    unknown = [name for name in names if name.replace("-", "_") not in known and name not in known]
    if unknown:
        raise ValueError(_unknown(checks, unknown))
    normalised = {name.replace("-", "_") for name in names} | set(names)
    return [spec for spec in checks if spec.contract in normalised or spec.id in normalised]


_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def finding_order(finding: Finding) -> tuple[str, str, str]:
    """A check's findings in an order that depends on the seed only, not on the order a
    library handed them over (set iteration varies between processes) or on server ids."""
    rule, operation, signature = finding.group_key()
    return rule, operation, _IDS.sub("<id>", signature)


def _unknown(checks: Sequence[CheckSpec], unknown: list[str]) -> str:
    """Say what is unknown, and what is known: a contract's check ids when it was named."""
    contracts = list(dict.fromkeys(spec.contract for spec in checks))
    named = {name.partition("::")[0].replace("-", "_") for name in unknown if "::" in name}
    if named and named <= set(contracts):
        ids = ", ".join(spec.id for spec in checks if spec.contract in named)
        return f"unknown check {', '.join(unknown)}; known checks: {ids}"
    kind = "check" if all("::" in name for name in unknown) else "contract"
    return (
        f"unknown {kind} {', '.join(unknown)}; known contracts: {', '.join(contracts)} "
        "(or CONTRACT::CHECK)"
    )


def run_check(
    spec: CheckSpec,
    target: Target,
    states: StateSetup,
    options: RunOptions,
    *,
    abort: bool = False,
) -> CheckResult:
    """Run one check and turn what happened into a CheckResult.

    Broken state setup (`StateSetupFailed`) is an error of this check, or, with `abort`,
    propagates: the run cannot give a verdict."""
    clock = time.perf_counter()
    result = spec.result(Status.PASSED)
    if spec.contract == RATE_LIMIT_CONTRACT and not options.rate_limit_contract:
        result.status = Status.SKIPPED
        turn_on = target.spell(Setting.RATE_LIMIT_CONTRACT)
        result.reason = f"the rate-limit contract is turned off ({turn_on})"
        return result
    ctx = Context(target, states, options, spec)
    retries_before = target.retries.snapshot()
    try:
        with target.recording():
            spec.function(ctx)
            ctx.exercised_whole()
    except StateSetupFailed as exc:
        if abort:
            raise
        result.status, result.reason = Status.ERROR, f"state setup failed: {exc}"
    except NoState as skip:
        result.status = Status.ERROR if options.require_state else Status.SKIPPED
        result.skip_kind = SkipKind.NEEDS_EVENTS
        result.reason = SkipKind.NEEDS_EVENTS.reason(str(skip))
    except Skip as skip:
        result.status, result.reason = Status.SKIPPED, str(skip)
    except TargetError as exc:
        result.status, result.reason = Status.ERROR, str(exc)
    except Exception as exc:  # a bug in a check, or an answer it could not handle
        result.status, result.reason = Status.ERROR, f"{type(exc).__name__}: {exc}"
    finally:
        ctx.cleanup()
    if ctx.notes and result.reason is None:
        result.reason = "; ".join(ctx.notes)
    result.retried = {str(k): n for k, n in target.retries.since(retries_before).items()}
    result.exercised = dict(ctx.exercised)
    result.findings = sorted(ctx.findings, key=finding_order)
    for finding in result.findings:
        finding.source = finding.source or source_of(finding.rule)
    if ctx.findings and result.status in (Status.PASSED, Status.SKIPPED):
        rules = (finding.rule for finding in ctx.findings)
        result.status = level_status(findings_level(rules, spec.level))
    result.duration = round(time.perf_counter() - clock, 3)
    return result


def run(
    target: Target,
    states: StateSetup,
    options: RunOptions,
    *,
    contracts: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the selected contracts.

    Raises `CouldNotRun` (with `.result`, marked incomplete) when the target cannot be reached,
    refuses the key, is not this API, or state setup fails; `RunInterrupted` (with `.result`)
    on Ctrl-C. A run that verified too little comes back marked incomplete (see `hollow`)."""
    known = all_checks()
    checks = select(known, contracts)
    started, clock = datetime.now(UTC), time.perf_counter()
    result = new_run(
        target.label,
        started,
        seed=options.seed,
        strict=options.strict,
        options=run_record(target, states, options, (spec.contract for spec in checks)),
        min_coverage=options.min_coverage,
    )
    try:
        preflight(target)
        for spec in checks:
            target.activity.start_check(spec.id)
            if progress:
                progress("start", spec, None)
            outcome = run_check(spec, target, states, options, abort=True)
            result.checks.append(outcome)
            target.activity.end_check()
            if progress:
                progress("done", spec, outcome)
    except CouldNotRun as exc:
        raise _stop(result, clock, target, Incomplete(Outcome.COULD_NOT_RUN, str(exc))) from None
    except StateSetupFailed as exc:
        stopped = Incomplete(Outcome.COULD_NOT_RUN, f"state setup failed: {exc}")
        raise _stop(result, clock, target, stopped) from None
    except KeyboardInterrupt:
        during = f" during {target.activity.check}" if target.activity.check else ""
        reason = f"(Ctrl-C){during}, after {len(result.checks)} of {len(checks)} checks"
        raise _stop(result, clock, target, Incomplete(Outcome.INTERRUPTED, reason)) from None
    _finish(result, clock, target)
    result.coverage = coverage(known, checks, result.checks)
    result.incomplete = hollow(result, options)
    return result


def run_record(
    target: Target, states: StateSetup, options: RunOptions, contracts: Iterable[str]
) -> dict[str, Any]:
    """How the run was set up, as its result records it (`RunResult.options`)."""
    return {
        "max_examples": options.max_examples,
        "rate_limit": {f"{m} {p}": str(b) for (m, p), b in sorted(target.budgets.items())},
        "max_wait": target.config.max_wait,
        "state_setup": states.description,
        "contracts": sorted(set(contracts)),
    }


def hollow(result: RunResult, options: RunOptions) -> Incomplete | None:
    """Why a finished run verified too little to be a verdict, or None.

    Most checks skipped for want of events (no state setup, too few given ids) is not a green
    run, unless the user accepted it (`allow_skips`)."""
    if options.allow_skips:
        return None
    starved = [
        c
        for c in result.checks
        if c.skip_kind is SkipKind.NEEDS_EVENTS and c.status is Status.SKIPPED
    ]
    if not starved or 2 * len(starved) <= len(result.checks):
        return None
    detail = SkipKind.NEEDS_EVENTS.detail(starved[0].reason or "")
    return Incomplete(
        Outcome.VERIFIED_TOO_LITTLE,
        f"{len(starved)} of {len(result.checks)} checks got no events to work on ({detail})",
    )


def _finish(result: RunResult, clock: float, target: Target) -> None:
    result.duration = round(time.perf_counter() - clock, 3)
    result.options["throttled_waits"] = target.throttled_waits
    result.options["transient_retries"] = result.retried()


def _stop(
    result: RunResult, clock: float, target: Target, incomplete: Incomplete
) -> CouldNotRun | RunInterrupted:
    """The exception that ends the run, carrying its result marked `incomplete`."""
    _finish(result, clock, target)
    target.activity.end_check()
    result.incomplete = incomplete
    if incomplete.outcome is Outcome.INTERRUPTED:
        return RunInterrupted(result)
    return CouldNotRun(incomplete.reason, result)
