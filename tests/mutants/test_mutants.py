"""The measure of calbot: it fails every mutant, naming the broken rule, and passes the real
server — in-process and over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.engine.runner import all_checks
from calbot.contracts.results import Level, RunResult, Status
from calbot.server import Handler, Request, Response, ServerConfig, create_app, running

from .catalogue import API_KEY, LENIENT, MUTANTS, Mutant
from .races import SECOND_KEY

SEED = 20261125


def failing_rules(result: RunResult) -> set[str]:
    return {
        finding.rule
        for check in result.checks
        if check.status is Status.FAILED
        for finding in check.findings
    }


def warning_rules(result: RunResult) -> set[str]:
    return {
        finding.rule
        for check in result.checks
        if check.status is Status.WARNING
        for finding in check.findings
    }


def assert_caught(mutant: Mutant, result: RunResult) -> None:
    """A MUST mutant fails the run naming its rule; a SHOULD mutant is named as a warning."""
    if mutant.level is Level.MUST:
        assert result.exit_code == 1, describe(result)
        assert mutant.rule in failing_rules(result), describe(result)
    else:
        assert result.exit_code == 0, describe(result)
        assert mutant.rule in warning_rules(result), describe(result)
        assert not failing_rules(result), describe(result)


def describe(result: RunResult) -> str:
    lines = [f"verdict {result.verdict.value}"]
    for check in result.checks:
        if check.status is not Status.PASSED:
            first = check.findings[0].message if check.findings else check.reason
            lines.append(f"  {check.status.value:8} {check.id}: {first}")
    return "\n".join(lines)


def run_against(mutant: Mutant, **where: Any) -> RunResult:
    """The default run, told the budget the server is configured with (as --rate-limit does)."""
    options = Conformance(seed=SEED, rate_limit=BUILTIN_BUDGET, **where, **mutant.run_options)
    return run_conformance(options)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_in_process_run_fails_the_mutant_naming_its_rule(mutant: Mutant) -> None:
    result = run_against(mutant, app=mutant.app(), state_url="/_calbot/states")
    assert_caught(mutant, result)
    assert not [c for c in result.checks if c.status is Status.ERROR], describe(result)


# A 5xx for a valid body is met where valid bodies are sent (the key shapes: non-ASCII too).
ALSO_JUDGING = {"robustness.no-5xx": {"shapes"}}


def judging(rule: str) -> list[str]:
    """The contracts with a check that cites `rule`: the run over HTTP needs no other (the
    in-process test above holds that the default run, every contract, catches the mutant)."""
    citing = {spec.contract for spec in all_checks() if spec.rule == rule}
    return sorted(citing | ALSO_JUDGING.get(rule, set()))


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_http_run_fails_the_mutant_naming_its_rule(mutant: Mutant) -> None:
    """The same contracts catch it through a real socket (uvicorn, httpx, the limits)."""
    with running(app=mutant.app()) as url:
        result = run_against(
            mutant, url=url, state_url="/_calbot/states", contracts=judging(mutant.rule)
        )
    assert_caught(mutant, result)


def test_the_real_server_passes_in_process() -> None:
    result = run_conformance(Conformance(seed=SEED))
    assert result.exit_code == 0, describe(result)
    # The built-in server runs with two generated keys: the key checks run too, none skips.
    assert all(c.status is Status.PASSED for c in result.checks), describe(result)


@pytest.mark.slow
def test_the_real_server_with_keys_passes_over_http() -> None:
    """Two workspaces' keys, so that the checks across workspaces run over HTTP too."""
    config = ServerConfig(api_keys=(API_KEY, SECOND_KEY), rate_limit=BUILTIN_BUDGET)
    with running(app=create_app(config)) as url:
        result = run_conformance(
            Conformance(
                url=url,
                state_url="/_calbot/states",
                api_key=API_KEY,
                second_api_key=SECOND_KEY,
                rate_limit=BUILTIN_BUDGET,
                seed=SEED,
            )
        )
    assert result.exit_code == 0, describe(result)
    assert all(c.status is Status.PASSED for c in result.checks), describe(result)


def _plain_404(request: Request, following: Handler) -> Response:
    response = following(request)
    if response.status == 404:
        return Response(404, {"error": "missing"})
    return response


def test_a_should_level_break_is_a_warning_and_fails_only_under_strict() -> None:
    app = create_app(ServerConfig(rate_limit=BUILTIN_BUDGET, hooks=(_plain_404,)))
    options = dict(
        app=app,
        state_url="/_calbot/states",
        seed=SEED,
        rate_limit=BUILTIN_BUDGET,
        contracts=["errors"],
    )
    result = run_conformance(Conformance(**options))  # type: ignore[arg-type]
    warned = {c.id for c in result.checks if c.status is Status.WARNING}
    assert warned == {"errors::detail-bodies"}, describe(result)
    assert result.exit_code == 0
    strict = run_conformance(Conformance(**options, strict=True))  # type: ignore[arg-type]
    assert strict.exit_code == 1


def _outcome(result: RunResult) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(
        (check.id, check.status.value, tuple(sorted(f.signature for f in check.findings)))
        for check in result.checks
    )


@pytest.mark.parametrize(
    ("name", "contract"),
    [("non-string-metadata-accepted", "schema"), ("ended-event-accepted", "stateful")],
)
def test_the_same_seed_gives_the_same_verdict_and_findings_twice(name: str, contract: str) -> None:
    mutant = next(m for m in MUTANTS if m.name == name)
    where = dict(app=mutant.app(), state_url="/_calbot/states", contracts=[contract])
    runs = [run_against(mutant, **where, max_examples=10) for _ in range(2)]
    assert runs[0].exit_code == runs[1].exit_code == 1, describe(runs[0])
    assert _outcome(runs[0]) == _outcome(runs[1])


@pytest.mark.parametrize("seed", [SEED, 7])
@pytest.mark.parametrize("server", LENIENT, ids=[m.name for m in LENIENT])
def test_leniency_recall_allows_is_not_a_failure(server: Mutant, seed: int) -> None:
    options = Conformance(
        app=server.app(),
        state_url="/_calbot/states",
        seed=seed,
        rate_limit=BUILTIN_BUDGET,
        contracts=["schema", "stateful"],
    )
    result = run_conformance(options)
    assert result.exit_code == 0, describe(result)
    assert not [c for c in result.checks if c.status is Status.WARNING], describe(result)
