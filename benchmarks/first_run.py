"""What a newcomer waits for: `calbot run` with no target (the built-in reference server, in
process), as the README's set-up command runs it.

Runs `calbot run --report-dir TMP -q` N times in a row, each its own process and seed, and
prints per run the wall time (process start to exit), the checks' own time (the sum of the
checks' durations in the JSON result), the verdict and the counts; then the best, median and
worst of each, against a ceiling (the README's 11 s plus 20 %) as a ratio. Then how soon
`calbot serve` is ready (process start to its `listening on` line), N times.

    python benchmarks/first_run.py [--runs 5] [--base-seed S]

Run it with the interpreter of the environment calbot is installed in.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CEILING = 13.2  # seconds: the README says "about 11 s"; its figures hold within 20 %


def calbot() -> list[str]:
    """How to start calbot: the `calbot` next to this Python, or `python -m calbot`."""
    script = Path(sys.executable).with_name("calbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "calbot"]


def one_run(seed: int, report_dir: Path) -> tuple[float, dict[str, Any], int]:
    """Wall seconds, the JSON result and the exit code of one built-in run."""
    command = [*calbot(), "run", "--seed", str(seed), "--report-dir", str(report_dir), "-q"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    result_file = report_dir / "calbot-result.json"
    if not result_file.exists():
        raise SystemExit(f"calbot run wrote no result (exit {done.returncode}): {done.stderr}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    return seconds, result, done.returncode


def serve_ready_seconds() -> float:
    """Process start to the `listening on` line of one `calbot serve --port 0`."""
    started = time.perf_counter()
    command = [*calbot(), "serve", "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        ready = time.perf_counter() - started
        if "listening on" not in line:
            raise SystemExit(f"calbot serve did not start: {line!r}")
        return ready
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-seed", type=int, default=None)
    args = parser.parse_args()
    base = args.base_seed if args.base_seed is not None else random.SystemRandom().randrange(2**31)
    seeds = random.Random(base).sample(range(2**31), args.runs)
    print(f"base seed {base}: {args.runs} runs of `calbot run` (built-in server, default options)")
    print(f"{'run':>3} {'seed':>10} {'wall s':>7} {'checks s':>8} {'exit':>4}  verdict · counts")
    walls: list[float] = []
    checks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="calbot-first-run-") as work:
        for index, seed in enumerate(seeds, start=1):
            wall, result, code = one_run(seed, Path(work) / f"run-{index}")
            spent = sum(float(c["duration"]) for c in result["checks"])
            counts = result.get("counts") or {}
            shown = " ".join(f"{k} {v}" for k, v in counts.items() if v)
            print(
                f"{index:>3} {seed:>10} {wall:>7.2f} {spent:>8.2f} {code:>4}  "
                f"{result.get('verdict')} · {shown} · {len(result['checks'])} checks",
                flush=True,
            )
            walls.append(wall)
            checks.append(spent)
    for name, values in (("wall", walls), ("checks", checks)):
        median = statistics.median(values)
        print(
            f"{name:<7} best {min(values):.2f} s, median {median:.2f} s, worst {max(values):.2f} s"
            f" ({max(values) / CEILING:.2f} of the {CEILING:.1f} s ceiling at worst)"
        )
    ready = [serve_ready_seconds() for _ in range(args.runs)]
    print(
        f"calbot serve ready after: best {min(ready):.2f} s, "
        f"median {statistics.median(ready):.2f} s, worst {max(ready):.2f} s"
    )


if __name__ == "__main__":
    main()
