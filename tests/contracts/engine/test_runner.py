"""The runner: selection, statuses from what a check did, verdicts and exit codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from calbot.contracts.engine.registry import CheckSpec, Context, RunOptions, Skip
from calbot.contracts.engine.runner import CONTRACT_ORDER, all_checks, run_check, select
from calbot.contracts.engine.state_setup import NoStates
from calbot.contracts.engine.target import Target, TargetConfig, TargetError
from calbot.contracts.results import CheckResult, Level, RunResult, Status, Verdict
from calbot.server import ServerConfig, create_app


def test_every_contract_module_registers_checks_in_order() -> None:
    checks = all_checks()
    contracts = list(dict.fromkeys(spec.contract for spec in checks))
    assert contracts == list(CONTRACT_ORDER)
    assert len({spec.id for spec in checks}) == len(checks)
    assert checks[-1].contract == "rate_limit"


def test_select_by_contract_or_id() -> None:
    checks = all_checks()
    assert {s.contract for s in select(checks, ["dedup"])} == {"dedup"}
    assert [s.id for s in select(checks, ["ended::nothing-changes"])] == ["ended::nothing-changes"]
    assert {s.contract for s in select(checks, ["rate-limit"])} == {"rate_limit"}
    assert select(checks, None) == checks
    with pytest.raises(ValueError, match="unknown contract nope"):
        select(checks, ["nope"])


def spec(function: Callable[[Context], None], rule: str = "dedup.shared-bot") -> CheckSpec:
    return CheckSpec("test", "check", rule, function)


@pytest.fixture
def target() -> Target:
    return Target(TargetConfig(app=create_app(ServerConfig())))


def run(function: Callable[[Context], None], target: Target, **options: object) -> CheckResult:
    return run_check(spec(function), target, NoStates(), RunOptions(**options))  # type: ignore[arg-type]


def test_statuses(target: Target) -> None:
    def passes(ctx: Context) -> None:
        return None

    def fails(ctx: Context) -> None:
        ctx.fail("broken", expected=1, actual=2)

    def skips(ctx: Context) -> None:
        raise Skip("not here")

    def crashes(ctx: Context) -> None:
        raise KeyError("x")

    def unreachable(ctx: Context) -> None:
        raise TargetError("cannot reach it")

    def needs_state(ctx: Context) -> None:
        ctx.event()

    assert run(passes, target).status is Status.PASSED
    failed = run(fails, target)
    assert failed.status is Status.FAILED
    assert (failed.findings[0].expected, failed.findings[0].actual) == ("1", "2")
    assert run(skips, target).reason == "not here"
    assert run(crashes, target).status is Status.ERROR
    assert run(unreachable, target).reason == "cannot reach it"
    assert run(needs_state, target).status is Status.SKIPPED
    assert run(needs_state, target, require_state=True).status is Status.ERROR


def test_should_level_findings_are_warnings(target: Target) -> None:
    def fails(ctx: Context) -> None:
        ctx.fail("meh")

    must = run_check(spec(fails), target, NoStates(), RunOptions())
    should = run_check(spec(fails, rule="errors.bodies"), target, NoStates(), RunOptions())
    assert (must.level, must.status) == (Level.MUST, Status.FAILED)
    assert (should.level, should.status) == (Level.SHOULD, Status.WARNING)


def result_with(*statuses: Status, strict: bool = False) -> RunResult:
    checks = [
        CheckResult("c", f"n{i}", "dedup.shared-bot", Level.MUST, status)
        for i, status in enumerate(statuses)
    ]
    return RunResult("t", "0", "0", datetime.now(UTC), checks=checks, strict=strict)


@pytest.mark.parametrize(
    ("statuses", "strict", "verdict", "code"),
    [
        ((Status.PASSED, Status.SKIPPED), False, Verdict.CONFORMANT, 0),
        ((Status.PASSED, Status.WARNING), False, Verdict.CONFORMANT, 0),
        ((Status.PASSED, Status.WARNING), True, Verdict.NON_CONFORMANT, 1),
        ((Status.PASSED, Status.FAILED, Status.ERROR), False, Verdict.NON_CONFORMANT, 1),
        ((Status.PASSED, Status.ERROR), False, Verdict.ERROR, 2),
        ((Status.SKIPPED, Status.SKIPPED), False, Verdict.ERROR, 2),
        ((), False, Verdict.ERROR, 2),
    ],
)
def test_verdicts(statuses: tuple[Status, ...], strict: bool, verdict: Verdict, code: int) -> None:
    result = result_with(*statuses, strict=strict)
    assert result.verdict is verdict
    assert result.exit_code == code


def test_results_round_trip_through_json() -> None:
    result = result_with(Status.PASSED, Status.FAILED)
    assert RunResult.from_dict(result.to_dict()).to_dict() == result.to_dict()
