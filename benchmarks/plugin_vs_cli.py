"""The pytest plugin against `calbot serve`: does it take longer than `calbot run`?

For each budget and round, starts a fresh `calbot serve` (two API keys: two workspaces, so that
every check runs; a fresh server, so that no run starts in the window of the one before) for
each of:

- `calbot run --url URL --state-url /_calbot/states`
- `pytest --calbot-url URL --calbot-state-url /_calbot/states -n auto` in an empty temporary
  project (the plugin loads from its entry point, as it does for a user)
- the same with `-n 0`

at one seed per round, in an order that turns each round, and times each run's wall clock (the
process, start to exit: imports, xdist's workers, the reports). Budgets: `documented` (the
server's and the runner's defaults, 600/60s for the schedule operation) and `fast`
(`--rate-limit 100/1s` on both sides). Every run writes calbot's four reports; the JSON one
says how many checks ran and how they ended, printed beside the time, so that a faster run
that checked less shows.

Prints each run (with, from its report, when its first check started after launch and how
long its checks took from there to the last one's end: where the time went), then per budget
and arm the median, best and worst, and the ratio to `calbot run` in the same round (median,
best, worst). Figures only: nothing here asserts a timing.

    .venv/bin/python benchmarks/plugin_vs_cli.py [--rounds 3] [--budget documented|fast ...]
        [--arm cli|auto|serial ...] [--base-seed S]

Run it with the interpreter of the environment calbot (and pytest-xdist) is installed in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from back_to_back import FAST_BUDGET, calbot, serving
from back_to_back import MODES as BUDGETS  # the same two budgets, and one way to serve

STATES_PATH = "/_calbot/states"
RESULT = "calbot-result.json"
ARMS = {"cli": "calbot run", "auto": "pytest -n auto", "serial": "pytest -n 0"}


def command(arm: str, url: str, budget: str, seed: int, reports: Path) -> list[str]:
    """The run of `arm` against `url` (keys from the environment, as both read them)."""
    if arm == "cli":
        return [
            *calbot(),
            "run",
            "--url",
            url,
            "--state-url",
            STATES_PATH,
            "--seed",
            str(seed),
            "--report-dir",
            str(reports),
            *BUDGETS[budget],
        ]
    workers = "auto" if arm == "auto" else "0"
    rate = [f"--calbot-rate-limit={FAST_BUDGET}"] if budget == "fast" else []
    return [
        sys.executable,
        "-m",
        "pytest",
        f"--calbot-url={url}",
        f"--calbot-state-url={STATES_PATH}",
        f"--calbot-seed={seed}",
        f"--calbot-report-dir={reports}",
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        "-q",
        *rate,
    ]


@dataclass(frozen=True)
class Timed:
    """One run: its wall time and what its JSON report said."""

    budget: str
    round: int
    arm: str
    seconds: float
    exit_code: int
    verdict: str
    counts: dict[str, int]
    first_check: float | None = None  # seconds from launch to the first check's start
    checks_span: float | None = None  # seconds from the first check's start to the last's end
    problem: str = ""

    def line(self) -> str:
        total = sum(self.counts.values())
        shown = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()) if n)
        text = (
            f"{self.budget:<10} {self.round:>5} {ARMS[self.arm]:<15} {self.seconds:>8.1f} "
            f"{_seconds(self.first_check)} {_seconds(self.checks_span)} "
            f"{self.exit_code:>4} {self.verdict:<15} {total:>3} checks: {shown}"
        )
        return text + (f"\n{'':>17}{self.problem}" if self.problem else "")


def _seconds(value: float | None) -> str:
    return f"{value:>6.1f}" if value is not None else f"{'-':>6}"


def timeline(result: dict[str, Any], launched: float) -> tuple[float | None, float | None]:
    """From launch to the first check's start, and from there to the last check's end (the
    checks' own clock, from the JSON report)."""
    spans = [
        (datetime.fromisoformat(check["started_at"]).timestamp(), float(check["duration"]))
        for check in result.get("checks", [])
        if check.get("started_at")
    ]
    if not spans:
        return None, None
    first = min(start for start, _ in spans)
    last = max(start + duration for start, duration in spans)
    return first - launched, last - first


def one_run(budget: str, index: int, arm: str, seed: int, keys: tuple[str, str]) -> Timed:
    work = Path(tempfile.mkdtemp(prefix="calbot-vs-"))
    project, reports = work / "project", work / "reports"
    project.mkdir()
    env = {**os.environ, "CALBOT_API_KEY": keys[0], "CALBOT_SECOND_API_KEY": keys[1]}
    try:
        with serving(budget, keys) as url:
            launched, started = time.time(), time.perf_counter()
            done = subprocess.run(
                command(arm, url, budget, seed, reports),
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
        result_file = reports / RESULT
        if not result_file.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            return Timed(
                budget,
                index,
                arm,
                seconds,
                done.returncode,
                "no result",
                {},
                None,
                None,
                " | ".join(tail),
            )
        result = json.loads(result_file.read_text())
        counts = {str(k): int(v) for k, v in (result.get("counts") or {}).items()}
        incomplete = result.get("incomplete") or ""
        problem = json.dumps(incomplete) if incomplete else ""
        first, span = timeline(result, launched)
        return Timed(
            budget,
            index,
            arm,
            seconds,
            done.returncode,
            str(result.get("verdict")),
            counts,
            first,
            span,
            problem,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):6.1f}  best {min(values):6.1f}  "
        f"worst {max(values):6.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per budget (default 3)")
    parser.add_argument("--budget", action="append", choices=sorted(BUDGETS), help="default: both")
    parser.add_argument("--arm", action="append", choices=sorted(ARMS), help="default: all three")
    parser.add_argument("--base-seed", type=int, default=None, help="derive the seeds from this")
    args = parser.parse_args()
    base = args.base_seed if args.base_seed is not None else random.SystemRandom().randrange(2**31)
    seeds = random.Random(base).sample(range(2**31), args.rounds)
    budgets = args.budget or ["fast", "documented"]
    arms = args.arm or list(ARMS)
    keys = ("calbot-vs-" + secrets.token_hex(8), "calbot-vs-" + secrets.token_hex(8))
    print(
        f"base seed {base}; {args.rounds} rounds per budget; a fresh calbot serve per run; "
        f"{os.cpu_count()} CPUs (-n auto)"
    )
    print(
        "seconds: the whole process; to 1st: from launch to the first check's start; checks: "
        "from there to the last check's end"
    )
    print(
        f"{'budget':<10} {'round':>5} {'arm':<15} {'seconds':>8} {'to 1st':>6} {'checks':>6} "
        f"{'exit':>4} {'verdict':<15} checks",
        flush=True,
    )
    started = time.perf_counter()
    runs: list[Timed] = []
    for budget in budgets:
        for index, seed in enumerate(seeds, start=1):
            turned = arms[(index - 1) % len(arms) :] + arms[: (index - 1) % len(arms)]
            for arm in turned:
                run = one_run(budget, index, arm, seed, keys)
                runs.append(run)
                print(run.line(), flush=True)

    print("\nwall seconds per run; ratio = the arm's time / calbot run's, in the same round")
    for budget in budgets:
        mine = [run for run in runs if run.budget == budget]
        cli = {run.round: run.seconds for run in mine if run.arm == "cli"}
        for arm in arms:
            timed = [run for run in mine if run.arm == arm]
            line = f"  {budget:<10} {ARMS[arm]:<15} {spread([run.seconds for run in timed])}"
            firsts = [run.first_check for run in timed if run.first_check is not None]
            spans = [run.checks_span for run in timed if run.checks_span is not None]
            if firsts and spans:
                line += (
                    f"   to 1st check {statistics.median(firsts):4.1f}, checks "
                    f"{statistics.median(spans):5.1f} (medians)"
                )
            ratios = [run.seconds / cli[run.round] for run in timed if run.round in cli]
            if arm != "cli" and ratios:
                line += (
                    f"   ratio median {statistics.median(ratios):.2f}"
                    f" ({min(ratios):.2f}–{max(ratios):.2f})"
                )
            print(line)
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
