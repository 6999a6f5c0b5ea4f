"""How a run ends when it cannot give a verdict, and the evidence every finding carries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calbot.contracts.engine.registry import CheckSpec, Context, RunOptions
from calbot.contracts.engine.runner import (
    all_checks,
    hollow,
    run,
    run_check,
    select,
)
from calbot.contracts.engine.state_setup import (
    CallableStates,
    NoStates,
    ProviderStates,
    StateSetupFailed,
    StateUnavailable,
)
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.outcomes import CouldNotRun, Outcome, RunInterrupted, SkipKind
from calbot.contracts.results import Status
from calbot.server import ServerConfig, create_app


@pytest.fixture
def target() -> Target:
    return Target(TargetConfig(app=create_app(ServerConfig())))


def test_unknown_state_is_unsupported_anything_else_is_broken(target: Target) -> None:
    with pytest.raises(StateUnavailable) as refused:  # the protocol's 400: not supported
        ProviderStates(target, "/_calbot/states").create_event("upcoming", {"start_time": "x"})
    assert not isinstance(refused.value, StateSetupFailed)
    with pytest.raises(StateSetupFailed, match=r"the state URL http://calbot\.invalid/nope"):
        ProviderStates(target, "/nope").create_event("upcoming", {})
    with pytest.raises(StateSetupFailed, match="the state callable failed: RuntimeError"):
        CallableStates(lambda *a: (_ for _ in ()).throw(RuntimeError("down"))).create_event(
            "upcoming", {}
        )


def test_broken_state_setup_stops_the_run_with_could_not_run(target: Target) -> None:
    with pytest.raises(CouldNotRun) as caught:
        run(target, ProviderStates(target, "/_calbot/wrong"), RunOptions(), contracts=["dedup"])
    result = caught.value.result
    assert result is not None and result.exit_code == 2
    assert result.incomplete is not None
    assert result.incomplete.outcome is Outcome.COULD_NOT_RUN
    assert str(result.incomplete).startswith("could not run: state setup failed: the state URL ")
    assert "answered 404" in result.incomplete.reason
    assert str(caught.value) == result.incomplete.reason


def test_without_abort_broken_state_setup_is_the_checks_error(target: Target) -> None:
    spec = select(all_checks(), ["dedup::same-key-same-bot"])[0]
    outcome = run_check(spec, target, ProviderStates(target, "/_calbot/wrong"), RunOptions())
    assert outcome.status is Status.ERROR
    assert (outcome.reason or "").startswith("state setup failed: the state URL")


def test_a_run_starved_of_events_is_incomplete_unless_skips_are_allowed(target: Target) -> None:
    hollow_run = run(target, NoStates(), RunOptions(), contracts=["dedup", "override", "errors"])
    assert hollow_run.incomplete is not None
    assert hollow_run.incomplete.outcome is Outcome.VERIFIED_TOO_LITTLE
    assert str(hollow_run.incomplete).startswith("verified too little: ")
    starved = [c for c in hollow_run.checks if c.skip_kind is SkipKind.NEEDS_EVENTS]
    assert 2 * len(starved) > len(hollow_run.checks)
    assert all((c.reason or "").startswith("needs events: no state setup") for c in starved)
    assert hollow_run.exit_code == 2
    allowed = RunOptions(allow_skips=True)
    assert (
        run(target, NoStates(), allowed, contracts=["dedup", "override", "errors"]).exit_code == 0
    )
    assert hollow(hollow_run, allowed) is None


def test_ctrl_c_gives_the_partial_result(target: Target) -> None:
    states = ProviderStates(target, "/_calbot/states")
    target.activity.stop()  # as the CLI's Ctrl-C handler does
    with pytest.raises(RunInterrupted) as caught:
        run(target, states, RunOptions(), contracts=["ended"])
    result = caught.value.result
    assert result.exit_code == 130
    assert result.incomplete is not None and result.incomplete.outcome is Outcome.INTERRUPTED
    assert str(result.incomplete).startswith("interrupted (Ctrl-C)")


def test_select_names_the_check_ids_of_a_known_contract() -> None:
    with pytest.raises(ValueError, match="unknown check dedup::nope; known checks: dedup::") as e:
        select(all_checks(), ["dedup::nope"])
    assert "dedup::same-key-same-bot" in str(e.value)


def behavioural(ctx: Context) -> None:
    """Like dedup: several requests, then a finding with no single response to point at."""
    first, second = ctx.event(), ctx.event()
    for event in (first, second):
        ctx.schedule(event["id"], {"deduplication_key": "k", "bot_config": {}})
    ctx.fail("two events got different bots", expected="one bot", actual="two bots")


def test_a_finding_without_a_response_carries_the_checks_exchanges(target: Target) -> None:
    """Problem 6: behavioural findings had no exchanges, no curl and no ids."""
    spec = CheckSpec("dedup", "probe", "dedup.shared-bot", behavioural)
    outcome = run_check(spec, target, ProviderStates(target, "/_calbot/states"), RunOptions())
    (finding,) = outcome.findings
    assert [e.method for e in finding.exchanges] == ["POST", "POST"]  # API requests only
    assert finding.curl is not None and finding.curl.count("curl -sS -X POST") == 2
    ids = [e.url.split("/")[-3] for e in finding.exchanges]
    assert all(event_id in finding.message for event_id in ids)
    assert finding.signature == "two events got different bots"  # ids do not split groups
    assert json.loads(finding.exchanges[0].request_body or "")["deduplication_key"] == "k"


def test_a_finding_with_a_response_rests_on_it_alone(target: Target) -> None:
    def check(ctx: Context) -> Any:
        ctx.get_event("a")
        ctx.fail("wrong", response=ctx.get_event("b"))

    outcome = run_check(
        CheckSpec("t", "c", "dedup.shared-bot", check), target, NoStates(), RunOptions()
    )
    (finding,) = outcome.findings
    assert [e.url.split("/")[-2] for e in finding.exchanges] == ["b"]
    assert finding.curl is not None and finding.curl.count("curl") == 1


@pytest.mark.parametrize("reverse", [False, True])
def test_findings_come_in_the_same_order_however_they_were_found(
    target: Target, reverse: bool
) -> None:
    """Problem 9: with one seed, findings came in another order from one process to the next
    (a library hands failures over from a set)."""
    found = [("schema.responses", "ST103 undocumented"), ("robustness.no-5xx", "ST101 5xx")]

    def check(ctx: Context) -> None:
        for rule, message in found[::-1] if reverse else found:
            ctx.fail(message, rule=rule)

    outcome = run_check(
        CheckSpec("t", "c", "schema.responses", check), target, NoStates(), RunOptions()
    )
    assert [f.message for f in outcome.findings] == ["ST101 5xx", "ST103 undocumented"]
