"""Back-to-back runs against one `calbot serve`: how often does a run of a correct server warn
or fail when it follows another?

Starts one reference server (`calbot serve`, two fresh API keys — two workspaces — unless
--no-api-key) and runs
`calbot run --url ... --state-url /_calbot/states` against it N times in a row, each a separate
process at its own seed (derived from `--base-seed`, printed, so any run can be repeated), for
each mode and each selection of contracts asked for:

- mode `documented`: the server's documented budgets (600/60s for the schedule operation), the
  runner's too (no --rate-limit on either side);
- mode `fast`: `--rate-limit 100/1s` on both sides.

Prints per run its verdict, exit code, the counts of passed, warned, failed, skipped and
errored checks, the transient answers retried and the duration, with the ids (and rules) of the
checks that warned, failed, errored (with the first finding or the reason) or were skipped (with
the reason: a run that skips what another ran verified less); then a summary per mode and
contracts: how many runs had any warning or failure, or skipped checks, and which checks did,
how often. Nothing here names a check: the figures
hold whatever checks the suite has.

    .venv/bin/python benchmarks/back_to_back.py [--runs 20] [--mode documented|fast ...]
        [--contracts rate_limit|all ...] [--base-seed S] [--max-examples N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAST_BUDGET = "100/1s"
MODES: dict[str, tuple[str, ...]] = {"documented": (), "fast": ("--rate-limit", FAST_BUDGET)}
STATES_PATH = "/_calbot/states"
NOT_PASSED = ("warning", "failed", "error")
SHOWN = (*NOT_PASSED, "skipped")
REASON = 160  # characters of a skip's or an error's reason shown


@dataclass(frozen=True)
class Run:
    """One `calbot run`: what its JSON result and its exit code said."""

    index: int
    seed: int
    exit_code: int
    verdict: str
    counts: dict[str, int]
    checks: dict[str, list[str]]  # status -> "contract::name [rule]" of the checks with it
    retried: int
    seconds: float
    incomplete: str | None

    def line(self) -> str:
        counts = " ".join(f"{self.counts.get(status, 0):>3}" for status in STATUSES)
        text = (
            f"{self.index:>3} {self.seed:>10} {self.verdict:<16} {self.exit_code:>4} {counts} "
            f"{self.retried:>7} {self.seconds:>7.1f}"
        )
        for status in SHOWN:
            for check in self.checks.get(status, []):
                text += f"\n{'':>15}{status}: {check}"
        if self.incomplete:
            text += f"\n{'':>15}incomplete: {self.incomplete}"
        return text


STATUSES = ("passed", "warning", "failed", "skipped", "error")
HEADER = (
    f"{'run':>3} {'seed':>10} {'verdict':<16} {'exit':>4} "
    + " ".join(f"{name[:3]:>3}" for name in ("passed", "warned", "failed", "skipped", "errored"))
    + f" {'retried':>7} {'seconds':>7}"
)


def calbot() -> list[str]:
    """How to start calbot: the `calbot` next to this Python, or `python -m calbot`."""
    script = Path(sys.executable).with_name("calbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "calbot"]


@contextmanager
def serving(mode: str, api_keys: tuple[str, ...]) -> Iterator[str]:
    """One `calbot serve` on a free port, in `mode` (a workspace per key); yields its base URL,
    stops it after."""
    keys = [arg for key in api_keys for arg in ("--api-key", key)]
    command = [*calbot(), "serve", "--port", "0", *keys, *MODES[mode]]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"calbot serve did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass(frozen=True)
class Target:
    """The server a series runs against, and how each run is started."""

    url: str
    mode: str
    contracts: str
    api_key: str
    second_api_key: str
    examples: int | None

    def command(self, seed: int, report_dir: Path) -> list[str]:
        command = [
            *calbot(),
            "run",
            "--url",
            self.url,
            "--state-url",
            STATES_PATH,
            "--seed",
            str(seed),
            "--report",
            "json",
            "--report-dir",
            str(report_dir),
            "--quiet",
            *MODES[self.mode],
        ]
        if self.api_key:
            command += ["--api-key", self.api_key]
        if self.second_api_key:
            command += ["--second-api-key", self.second_api_key]
        if self.contracts != "all":
            command += ["--contracts", self.contracts]
        if self.examples is not None:
            command += ["--max-examples", str(self.examples)]
        return command


def one_run(target: Target, index: int, seed: int, report_dir: Path) -> Run:
    command = target.command(seed, report_dir)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    result_file = report_dir / "calbot-result.json"
    if not result_file.exists():
        problem = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return Run(index, seed, done.returncode, "no result", {}, {}, 0, seconds, problem[0])
    result: dict[str, Any] = json.loads(result_file.read_text())
    checks: dict[str, list[str]] = {}
    for check in result.get("checks", []):
        rules = sorted({f.get("rule", "") for f in check.get("findings", [])}) or [check["rule"]]
        shown = f"{check['id']} [{', '.join(rules)}]"
        if check["status"] in ("skipped", "error") and check.get("reason"):
            shown += f": {check['reason'][:REASON]}"
        elif check.get("findings"):
            shown += f": {check['findings'][0].get('message', '')[:REASON]}"
        checks.setdefault(check["status"], []).append(shown)
    retried = sum((result.get("options", {}).get("transient_retries") or {}).values())
    verdict = str(result.get("verdict") or "no verdict")
    counts = dict(result.get("counts") or {})
    return Run(
        index,
        seed,
        done.returncode,
        verdict,
        counts,
        checks,
        retried,
        seconds,
        result.get("incomplete"),
    )


def series(
    mode: str,
    contracts: str,
    seeds: list[int],
    examples: int | None,
    keep: Path | None,
    *,
    keyed: bool = True,
) -> list[Run]:
    """N runs in a row against one server; prints each as it ends."""
    api_key = "calbot-b2b-" + secrets.token_hex(8) if keyed else ""
    second_api_key = "calbot-b2b-" + secrets.token_hex(8) if keyed else ""  # a second workspace
    work = Path(tempfile.mkdtemp(prefix="calbot-b2b-"))
    runs: list[Run] = []
    print(
        f"\n== mode {mode} ({' '.join(MODES[mode]) or 'documented budgets'}), "
        f"contracts {contracts}: {len(seeds)} runs in a row against one server"
    )
    print(HEADER, flush=True)
    try:
        with serving(mode, tuple(key for key in (api_key, second_api_key) if key)) as url:
            for index, seed in enumerate(seeds, start=1):
                report_dir = work / f"run-{index}"
                target = Target(url, mode, contracts, api_key, second_api_key, examples)
                run = one_run(target, index, seed, report_dir)
                runs.append(run)
                print(run.line(), flush=True)
                if keep is not None and report_dir.exists():
                    kept = keep / f"{mode}-{contracts}-{index}"
                    shutil.copytree(report_dir, kept, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return runs


def summary(mode: str, contracts: str, runs: list[Run]) -> str:
    warned = [r for r in runs if r.counts.get("warning")]
    skipped = [r for r in runs if r.counts.get("skipped")]
    failed = [r for r in runs if r.counts.get("failed") or r.exit_code not in (0, 1)]
    errored = [r for r in runs if r.counts.get("error")]
    either = [r for r in runs if r in warned or r in failed or r in errored]
    seconds = sum(r.seconds for r in runs) / max(len(runs), 1)
    lines = [
        f"{mode:<10} {contracts:<10} {len(runs):>4} {len(either):>9} {len(warned):>6} "
        f"{len(failed):>6} {len(errored):>7} {len(skipped):>7} {seconds:>8.1f}"
    ]
    for status in SHOWN:
        counted = Counter(_id(check) for r in runs for check in r.checks.get(status, []))
        for check, count in counted.most_common():
            lines.append(f"{'':>12}{status} {count}/{len(runs)}: {check}")
    return "\n".join(lines)


def _id(shown: str) -> str:
    """ "contract::name [rule]" of a check as shown (without its reason or message)."""
    return shown.split("]", 1)[0] + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs in a row per series")
    parser.add_argument("--mode", action="append", choices=sorted(MODES), help="default: both")
    parser.add_argument(
        "--contracts",
        action="append",
        help="rate_limit, all (the full run), or any --contracts value; default: both",
    )
    parser.add_argument("--base-seed", type=int, default=None, help="derive the seeds from this")
    parser.add_argument("--max-examples", type=int, default=None, help="passed to calbot run")
    parser.add_argument("--keep", type=Path, default=None, help="keep every run's JSON here")
    parser.add_argument(
        "--no-api-key", action="store_true", help="a server without keys (one workspace)"
    )
    args = parser.parse_args()
    base = args.base_seed if args.base_seed is not None else random.SystemRandom().randrange(2**31)
    seeds = random.Random(base).sample(range(2**31), args.runs)
    modes = args.mode or ["documented", "fast"]
    selections = args.contracts or ["rate_limit", "all"]
    print(
        f"base seed {base}: {args.runs} runs per series; modes {', '.join(modes)}; "
        f"contracts {', '.join(selections)}"
    )
    started = time.perf_counter()
    results = {
        (mode, contracts): series(
            mode, contracts, seeds, args.max_examples, args.keep, keyed=not args.no_api_key
        )
        for mode in modes
        for contracts in selections
    }
    print(
        f"\n{'mode':<10} {'contracts':<10} {'runs':>4} {'warn|fail':>9} {'warned':>6} "
        f"{'failed':>6} {'errored':>7} {'s/run':>8}"
    )
    for (mode, contracts), runs in results.items():
        print(summary(mode, contracts, runs))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    bad = any(
        r.exit_code != 0 or r.counts.get("warning") for runs in results.values() for r in runs
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
