"""Precision: calbot's default run passes every correct server in the family, at every seed,
and gives the same verdict for the same seed. (Recall, the other half, is tests/mutants: every
mutant fails, naming its rule.)

In-process (ASGI), default options except the built-in server's fast budget, as the mutant
tests run. The unmarked tests run each variant once, each at another seed, with fewer examples
than the default; the slow ones run every variant at several seeds with the default examples.
"""

from __future__ import annotations

import pytest

from calbot.conformance import Conformance, run_conformance
from calbot.contracts.results import RunResult, Status, Verdict
from calbot.spec.states import STATES_PATH

from .family import VARIANTS, Variant

SEEDS = (20261125, 7, 314159)
FAST_EXAMPLES = 10
# As for the reference server: no API key given, and no second workspace's key.
REFERENCE_SKIPS = {
    "errors::credentials-401",
    "workspaces::one-key-in-two-workspaces",
    "workspaces::bots-not-readable-across",
    "rate_limit::other-workspace-not-throttled",
}


def run_against(variant: Variant, seed: int, max_examples: int = 25) -> RunResult:
    options = Conformance(
        app=variant.app(),
        state_url=STATES_PATH,
        rate_limit=variant.budget,
        seed=seed,
        max_examples=max_examples,
    )
    return run_conformance(options)


def describe(variant: Variant, seed: int, result: RunResult) -> str:
    lines = [f"{variant.name} at seed {seed}: verdict {result.verdict.value}"]
    for check in result.checks:
        if check.status is not Status.PASSED:
            first = check.findings[0].message if check.findings else check.reason
            lines.append(f"  {check.status.value:8} {check.id} [{check.rule}]: {first}")
    return "\n".join(lines)


def assert_passes(variant: Variant, seed: int, result: RunResult) -> None:
    text = describe(variant, seed, result)
    assert result.verdict is Verdict.CONFORMANT, text
    assert result.exit_code == 0, text
    assert not [c for c in result.checks if c.status is Status.ERROR], text
    skipped = {c.id for c in result.checks if c.status is Status.SKIPPED}
    assert skipped == REFERENCE_SKIPS, text  # nothing verified less than on the reference


def statuses(result: RunResult) -> dict[str, str]:
    return {check.id: check.status.value for check in result.checks}


RunKey = tuple[str, int]


@pytest.fixture(scope="module")
def first_runs() -> dict[RunKey, RunResult]:
    """The fast runs of this module, so that the determinism test repeats one, not two."""
    return {}


FAST = [(variant, SEEDS[index % len(SEEDS)]) for index, variant in enumerate(VARIANTS)]


@pytest.mark.parametrize(("variant", "seed"), FAST, ids=[variant.name for variant, _ in FAST])
def test_the_default_run_passes_the_variant(
    variant: Variant, seed: int, first_runs: dict[RunKey, RunResult]
) -> None:
    result = first_runs[variant.name, seed] = run_against(variant, seed, FAST_EXAMPLES)
    assert_passes(variant, seed, result)


def test_the_same_seed_gives_the_same_verdict_twice(first_runs: dict[RunKey, RunResult]) -> None:
    variant, seed = next((v, s) for v, s in FAST if v.name == "all-at-once")
    first = first_runs.get((variant.name, seed)) or run_against(variant, seed, FAST_EXAMPLES)
    second = run_against(variant, seed, FAST_EXAMPLES)
    assert first.verdict is second.verdict, describe(variant, seed, second)
    assert statuses(first) == statuses(second)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_the_default_run_passes_the_variant_at_every_seed(variant: Variant, seed: int) -> None:
    assert_passes(variant, seed, run_against(variant, seed))
