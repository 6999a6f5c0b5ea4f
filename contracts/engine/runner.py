"""Run the contracts against a target and collect one `RunResult`."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from calbot.contracts.domain.operations import EVENT
from calbot.contracts.engine.registry import REGISTRY, CheckSpec, Context, NoState, RunOptions, Skip
from calbot.contracts.engine.state_setup import StateSetup
from calbot.contracts.engine.target import Target, TargetError
from calbot.contracts.results import CheckResult, RunResult, Status, level_status, new_run
from calbot.contracts.rules import findings_level, source_of

# Run order: cheap, state-light contracts first; the rate-limit burst last, so that the
# budget it spends does not slow the others down.
CONTRACT_ORDER = (
    "schema",
    "meeting_url",
    "defaults",
    "dedup",
    "override",
    "ended",
    "delete",
    "errors",
    "robustness",
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
        contracts = ", ".join(dict.fromkeys(spec.contract for spec in checks))
        raise ValueError(f"unknown contract {', '.join(unknown)}; known: {contracts}")
    normalised = {name.replace("-", "_") for name in names} | set(names)
    return [spec for spec in checks if spec.contract in normalised or spec.id in normalised]


def preflight(target: Target) -> None:
    """Fail fast (TargetError) when the target does not answer HTTP at all."""
    target.send("GET", EVENT.format(id=uuid.uuid4()), paced=True)


def run_check(
    spec: CheckSpec, target: Target, states: StateSetup, options: RunOptions
) -> CheckResult:
    """Run one check and turn what happened into a CheckResult."""
    clock = time.perf_counter()
    result = spec.result(Status.PASSED)
    if spec.contract == RATE_LIMIT_CONTRACT and not options.rate_limit_contract:
        result.status = Status.SKIPPED
        result.reason = "the rate-limit contract is turned off (--no-rate-limit)"
        return result
    ctx = Context(target, states, options, spec)
    try:
        with target.recording():
            spec.function(ctx)
    except NoState as skip:
        status = Status.ERROR if options.require_state else Status.SKIPPED
        result.status, result.reason = status, str(skip)
    except Skip as skip:
        result.status, result.reason = Status.SKIPPED, str(skip)
    except TargetError as exc:
        result.status, result.reason = Status.ERROR, str(exc)
    except Exception as exc:  # a bug in a check, or an answer it could not handle
        result.status, result.reason = Status.ERROR, f"{type(exc).__name__}: {exc}"
    finally:
        ctx.cleanup()
    result.findings = ctx.findings
    for finding in ctx.findings:
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
    """Run the selected contracts; raises TargetError when the target cannot be reached."""
    checks = select(all_checks(), contracts)
    started, clock = datetime.now(UTC), time.perf_counter()
    result = new_run(
        target.label,
        started,
        seed=options.seed,
        strict=options.strict,
        options={
            "max_examples": options.max_examples,
            "rate_limit": {f"{m} {p}": str(b) for (m, p), b in sorted(target.budgets.items())},
            "max_wait": target.config.max_wait,
            "state_setup": states.description,
            "contracts": sorted({spec.contract for spec in checks}),
        },
    )
    preflight(target)
    for spec in checks:
        if progress:
            progress("start", spec, None)
        outcome = run_check(spec, target, states, options)
        result.checks.append(outcome)
        if progress:
            progress("done", spec, outcome)
    result.duration = round(time.perf_counter() - clock, 3)
    result.options["throttled_waits"] = target.throttled_waits
    return result
