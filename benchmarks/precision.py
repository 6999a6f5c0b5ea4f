"""Precision and recall of the default run: correct servers it must pass, mutants it must fail.

The default suite (in-process ASGI, the built-in server's fast budget, as the tests run it)
against each server of the correct family (tests/correct/family.py) at N seeds, and against each
mutant (tests/mutants/catalogue.py) once. A false alarm is a run of a correct server whose exit
code is not 0; the rules that failed it are named, and the seed of every run that failed,
errored, warned or verified less than the reference server (skipped more checks) is printed, so
it can be repeated: `--variant NAME --seeds 1 --base-seed ...` or, simpler, the test helper
`tests.correct.test_family.run_against(VARIANTS_BY_NAME[NAME], SEED)`.

Correct servers calbot is known to fail (`PENDING`, each waiting for a fix) run too, reported
apart: their false alarms are expected until the fix lands.

A mutant is caught when the run exits 1 with the mutant's rule among the failed ones (for a
mutant that breaks only an inferred, SHOULD rule: exits 0 naming the rule as a warning). Seeds
come from `--base-seed` (random unless given, always printed), so any run can be repeated.
Nothing here names a check: the figures hold whatever checks the suite has.

    .venv/bin/python benchmarks/precision.py [--seeds 20] [--base-seed S] [--jobs 1]
        [--examples 25] [--variant NAME ...] [--no-mutants] [--no-pending]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.results import Level, RunResult, Status
from calbot.spec.states import STATES_PATH
from tests.correct.family import PENDING_BY_NAME, VARIANTS, VARIANTS_BY_NAME, Variant
from tests.mutants.catalogue import MUTANTS, Mutant

REFERENCE = Variant("reference", "calbot's reference server, as it is")


@dataclass(frozen=True)
class Outcome:
    """What one run showed: its exit code, the rules failed and warned, checks that errored or
    were skipped, the transient answers calbot retried, and how long it took."""

    name: str
    seed: int
    exit_code: int
    failed: tuple[str, ...]
    warned: tuple[str, ...]
    errored: tuple[str, ...]
    skipped: tuple[str, ...]
    retried: int
    seconds: float
    extra_skips: tuple[str, ...] = field(default=())

    def less_than(self, reference: frozenset[str]) -> Outcome:
        """This outcome, knowing which checks the reference server's run skipped."""
        extra = tuple(sorted(set(self.skipped) - reference))
        return Outcome(**{**self.__dict__, "extra_skips": extra})

    @property
    def alarm(self) -> bool:
        return self.exit_code != 0

    def notes(self) -> str:
        """What was wrong with this run, in one line ("" when nothing was)."""
        parts = []
        if self.alarm:
            parts.append(f"exit {self.exit_code}, failed {', '.join(self.failed) or '-'}")
        if self.errored:
            parts.append(f"errored {', '.join(self.errored)}")
        if self.warned:
            parts.append(f"warned {', '.join(self.warned)}")
        if self.extra_skips:
            parts.append(f"skipped beyond the reference: {', '.join(self.extra_skips)}")
        return "; ".join(parts)


def _rules(result: RunResult, status: Status) -> tuple[str, ...]:
    return tuple(sorted({f.rule for c in result.checks if c.status is status for f in c.findings}))


def _outcome(name: str, seed: int, result: RunResult, seconds: float) -> Outcome:
    failed, warned = _rules(result, Status.FAILED), _rules(result, Status.WARNING)
    errored = tuple(sorted(c.id for c in result.checks if c.status is Status.ERROR))
    skipped = tuple(sorted(c.id for c in result.checks if c.status is Status.SKIPPED))
    retried = sum(result.retried().values())
    return Outcome(name, seed, result.exit_code, failed, warned, errored, skipped, retried, seconds)


def _variant(name: str) -> Variant:
    if name == REFERENCE.name:
        return REFERENCE
    if name in PENDING_BY_NAME:
        return PENDING_BY_NAME[name].variant
    return VARIANTS_BY_NAME[name]


def run_variant(name: str, seed: int, examples: int) -> Outcome:
    variant = _variant(name)
    options = Conformance(
        app=variant.app(),
        state_url=STATES_PATH,
        rate_limit=variant.budget,
        seed=seed,
        max_examples=examples,
        **variant.run_options,
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
    """`function` over `calls`, in order, in `jobs` processes (progress on stderr)."""
    done = 0

    def tick(outcome: Outcome) -> Outcome:
        nonlocal done
        done += 1
        mark = "F" if outcome.alarm else "." if not outcome.notes() else "w"
        end = "\n" if done % 50 == 0 or done == len(calls) else ""
        print(mark, end=end, file=sys.stderr, flush=True)
        return outcome

    if jobs <= 1:
        for call in calls:
            yield tick(function(*call))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for outcome in pool.map(function, *zip(*calls, strict=True)):
                yield tick(outcome)


def _named(rules: Iterable[str]) -> str:
    counts = Counter(rules)
    return ", ".join(f"{rule} ×{count}" for rule, count in counts.most_common()) or "-"


COLUMNS = (
    f"{'correct server':<37} {'runs':>4} {'false alarms':>12} {'warned':>6} {'skipped+':>8} "
    f"{'errored':>7} {'retries/run':>11} {'s/run':>6}"
)


def _row(name: str, outcomes: list[Outcome]) -> str:
    alarms = sum(o.alarm for o in outcomes)
    warned = sum(bool(o.warned) for o in outcomes)
    less = sum(bool(o.extra_skips) for o in outcomes)
    errored = sum(bool(o.errored) for o in outcomes)
    retries = sum(o.retried for o in outcomes) / max(len(outcomes), 1)
    seconds = sum(o.seconds for o in outcomes) / max(len(outcomes), 1)
    return (
        f"{name:<37} {len(outcomes):>4} {alarms:>12} {warned:>6} {less:>8} {errored:>7} "
        f"{retries:>11.1f} {seconds:>6.1f}"
    )


def reference_skips(seed: int, examples: int) -> frozenset[str]:
    """The checks the reference server's run skips (what the family is compared with)."""
    return frozenset(run_variant(REFERENCE.name, seed, examples).skipped)


def variants_table(
    names: list[str], seeds: list[int], examples: int, jobs: int, reference: frozenset[str]
) -> tuple[int, int]:
    """Run every server at every seed; print the table and every run worth a look.

    Returns the false alarms on the family and on the pending servers."""
    calls: list[tuple[object, ...]] = [(name, seed, examples) for name in names for seed in seeds]
    by_name: dict[str, list[Outcome]] = {name: [] for name in names}
    for outcome in _map(jobs, run_variant, calls):
        by_name[outcome.name].append(outcome.less_than(reference))
    print(COLUMNS)
    family = [name for name in names if name not in PENDING_BY_NAME]
    pending = [name for name in names if name in PENDING_BY_NAME]
    for name in family:
        print(_row(name, by_name[name]))
    everything = [o for name in family for o in by_name[name]]
    print(_row("all correct servers", everything))
    if pending:
        print("known false alarms (PENDING: each waits for a fix)")
        for name in pending:
            print(_row(name, by_name[name]))
    print("\nruns worth a look (repeat one with its server and seed):")
    shown = 0
    for name in names:
        for o in by_name[name]:
            if o.notes():
                shown += 1
                print(f"  {name} seed {o.seed}: {o.notes()}")
    if not shown:
        print("  none: every run passed with no warning, no error and no extra skip")
    alarms = [o for o in everything if o.alarm]
    if alarms:
        print(f"\nrules behind the false alarms: {_named(r for o in alarms for r in o.failed)}")
    for name in pending:
        print(f"{name} waits for {PENDING_BY_NAME[name].waits_for}")
    pending_alarms = sum(o.alarm for name in pending for o in by_name[name])
    return len(alarms), pending_alarms


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
    parser.add_argument("--seeds", type=int, default=20, help="seeds per correct server")
    parser.add_argument("--base-seed", type=int, default=None, help="derive the seeds from this")
    parser.add_argument("--examples", type=int, default=25, help="max examples (the default run)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (processes)")
    known = sorted([*VARIANTS_BY_NAME, *PENDING_BY_NAME])
    parser.add_argument("--variant", action="append", choices=known, help="only these servers")
    parser.add_argument("--no-mutants", action="store_true")
    parser.add_argument("--no-pending", action="store_true", help="skip the known false alarms")
    args = parser.parse_args()
    base = args.base_seed if args.base_seed is not None else random.SystemRandom().randrange(2**31)
    seeds = random.Random(base).sample(range(2**31), args.seeds)
    names = args.variant or [
        *(variant.name for variant in VARIANTS),
        *(() if args.no_pending else PENDING_BY_NAME),
    ]
    runs = args.seeds * len(names)
    print(
        f"base seed {base}: {args.seeds} seeds × {len(names)} correct servers = {runs} runs, ",
        end="",
    )
    print(f"max examples {args.examples}, {args.jobs} job(s)\n")
    started = time.perf_counter()
    reference = reference_skips(seeds[0], args.examples)
    print(f"the reference server's run skips: {', '.join(sorted(reference)) or 'nothing'}\n")
    alarms, pending = variants_table(names, seeds, args.examples, args.jobs, reference)
    missed = 0 if args.no_mutants else mutants_table(seeds[0], args.examples, args.jobs)
    family_runs = args.seeds * len([name for name in names if name not in PENDING_BY_NAME])
    print(f"\nfalse alarms: {alarms} of {family_runs} runs of correct servers", end="")
    print(f" (and {pending} on the known false alarms)" if pending else "")
    if not args.no_mutants:
        print(f"mutants missed: {missed} of {len(MUTANTS)}")
    print(f"{time.perf_counter() - started:.0f} s in all")
    sys.exit(1 if alarms or missed else 0)


if __name__ == "__main__":
    main()
