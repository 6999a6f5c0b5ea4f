"""Precision and recall of the default run: correct servers it must pass, mutants it must fail.

The default suite (in-process ASGI, the built-in server's fast budget, as the tests run it)
against each server of the correct family (tests/correct/family.py) at N seeds, and against each
mutant (tests/mutants/catalogue.py) once. A false alarm is a run of a correct server whose exit
code is not 0; the rules that failed it are named (and runs with warnings are counted apart). A
mutant is caught when the run exits 1 with the mutant's rule among the failed ones (for a mutant
that breaks only an inferred, SHOULD rule: exits 0 naming the rule as a warning). Seeds come
from `--base-seed` (random unless given, always printed), so any run can be repeated exactly.

    .venv/bin/python benchmarks/precision.py [--seeds 50] [--base-seed S] [--jobs 1]
        [--examples 25] [--variant NAME ...] [--no-mutants]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.results import Level, RunResult, Status
from calbot.spec.states import STATES_PATH
from tests.correct.family import VARIANTS, VARIANTS_BY_NAME
from tests.mutants.catalogue import MUTANTS, Mutant


@dataclass(frozen=True)
class Outcome:
    """What one run showed: its exit code, the rules failed and warned, checks that errored."""

    name: str
    seed: int
    exit_code: int
    failed: tuple[str, ...]
    warned: tuple[str, ...]
    errored: tuple[str, ...]
    seconds: float


def _rules(result: RunResult, status: Status) -> tuple[str, ...]:
    return tuple(sorted({f.rule for c in result.checks if c.status is status for f in c.findings}))


def _outcome(name: str, seed: int, result: RunResult, seconds: float) -> Outcome:
    failed, warned = _rules(result, Status.FAILED), _rules(result, Status.WARNING)
    errored = tuple(sorted(c.id for c in result.checks if c.status is Status.ERROR))
    return Outcome(name, seed, result.exit_code, failed, warned, errored, seconds)


def run_variant(name: str, seed: int, examples: int) -> Outcome:
    variant = VARIANTS_BY_NAME[name]
    options = Conformance(
        app=variant.app(),
        state_url=STATES_PATH,
        rate_limit=variant.budget,
        seed=seed,
        max_examples=examples,
    )
    started = time.perf_counter()
    result = run_conformance(options)
    return _outcome(name, seed, result, time.perf_counter() - started)


def run_mutant(index: int, seed: int, examples: int) -> Outcome:
    mutant = MUTANTS[index]
    options = Conformance(
        app=mutant.app(),
        state_url=STATES_PATH,
        rate_limit=BUILTIN_BUDGET,
        seed=seed,
        max_examples=examples,
        **mutant.run_options,
    )
    started = time.perf_counter()
    result = run_conformance(options)
    return _outcome(mutant.name, seed, result, time.perf_counter() - started)


def _map(
    jobs: int, function: Callable[..., Outcome], calls: list[tuple[object, ...]]
) -> Iterator[Outcome]:
    """`function` over `calls`, in order, in `jobs` processes (a dot on stderr per run)."""
    if jobs <= 1:
        outcomes: Iterable[Outcome] = (function(*call) for call in calls)
        for outcome in outcomes:
            print(".", end="", file=sys.stderr, flush=True)
            yield outcome
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for outcome in pool.map(function, *zip(*calls, strict=True)):
                print(".", end="", file=sys.stderr, flush=True)
                yield outcome
    print(file=sys.stderr)


def _named(rules: Iterable[str]) -> str:
    counts = Counter(rules)
    return ", ".join(f"{rule} ×{count}" for rule, count in counts.most_common()) or "-"


def variants_table(names: list[str], seeds: list[int], examples: int, jobs: int) -> int:
    calls: list[tuple[object, ...]] = [(name, seed, examples) for name in names for seed in seeds]
    by_name: dict[str, list[Outcome]] = {name: [] for name in names}
    for outcome in _map(jobs, run_variant, calls):
        by_name[outcome.name].append(outcome)
    header = f"{'correct server':<38} {'false alarms':>12} {'runs':>5} {'warned':>6} {'s/run':>6}"
    print(f"{header}  rules failed (or warned)")
    alarms = warned = 0
    for name, outcomes in by_name.items():
        bad = [o for o in outcomes if o.exit_code != 0]
        noisy = [o for o in outcomes if o.warned]
        alarms, warned = alarms + len(bad), warned + len(noisy)
        named = _named(rule for o in bad for rule in (*o.failed, *o.errored))
        if noisy:
            named += f" (warned: {_named(rule for o in noisy for rule in o.warned)})"
        seconds = sum(o.seconds for o in outcomes) / max(len(outcomes), 1)
        counts = f"{len(bad):>12} {len(outcomes):>5} {len(noisy):>6} {seconds:>6.1f}"
        print(f"{name:<38} {counts}  {named}")
        for o in bad[:3]:
            print(f"{'':<38}   seed {o.seed}: exit {o.exit_code}, failed {', '.join(o.failed)}")
        for o in [o for o in noisy if o.exit_code == 0][:3]:
            print(f"{'':<38}   seed {o.seed}: warned {', '.join(o.warned)}")
    print(f"{'all correct servers':<38} {alarms:>12} {len(calls):>5} {warned:>6}")
    return alarms


def caught(mutant: Mutant, outcome: Outcome) -> bool:
    """A MUST mutant fails the run naming its rule; a SHOULD one is named as a warning only."""
    if mutant.level is Level.MUST:
        return outcome.exit_code == 1 and mutant.rule in outcome.failed
    return outcome.exit_code == 0 and mutant.rule in outcome.warned and not outcome.failed


def mutants_table(seed: int, examples: int, jobs: int) -> int:
    calls: list[tuple[object, ...]] = [(index, seed, examples) for index in range(len(MUTANTS))]
    outcomes = list(_map(jobs, run_mutant, calls))
    print(f"\n{'mutant (seed ' + str(seed) + ')':<32} {'caught':>6}  {'rule expected':<34} found")
    hits = 0
    for mutant, outcome in zip(MUTANTS, outcomes, strict=True):
        hit = caught(mutant, outcome)
        hits += hit
        found = ", ".join(outcome.failed) or f"no failure (exit {outcome.exit_code})"
        if outcome.warned:
            found += f"; warned: {', '.join(outcome.warned)}"
        expected = mutant.rule + (" (SHOULD)" if mutant.level is Level.SHOULD else "")
        print(f"{mutant.name:<32} {'yes' if hit else 'NO':>6}  {expected:<34} {found}")
    print(f"{'mutants caught':<32} {hits:>3} / {len(MUTANTS)}")
    return len(MUTANTS) - hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds per correct server")
    parser.add_argument("--base-seed", type=int, default=None, help="derive the seeds from this")
    parser.add_argument("--examples", type=int, default=25, help="max examples (the default run)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (processes)")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS_BY_NAME))
    parser.add_argument("--no-mutants", action="store_true")
    args = parser.parse_args()
    base = args.base_seed if args.base_seed is not None else random.SystemRandom().randrange(2**31)
    seeds = random.Random(base).sample(range(2**31), args.seeds)
    names = args.variant or [variant.name for variant in VARIANTS]
    print(f"base seed {base}: {args.seeds} seeds × {len(names)} correct servers, ", end="")
    print(f"max examples {args.examples}, {args.jobs} job(s)\n")
    started = time.perf_counter()
    alarms = variants_table(names, seeds, args.examples, args.jobs)
    missed = 0 if args.no_mutants else mutants_table(seeds[0], args.examples, args.jobs)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    sys.exit(1 if alarms or missed else 0)


if __name__ == "__main__":
    main()
