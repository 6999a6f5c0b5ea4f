"""Test cases per second: calbot's schema contract next to `st run`, same spec, target, budget.

Both tools test the same reference server over real HTTP (a thread on 127.0.0.1), with the same
example budget per operation, fuzzing only, positive and negative data. A hook on the server
counts the API requests each tool sends (provider-state calls are not counted). calbot points
its cases at real event and bot ids; `st run` has no way to, so most of its cases get 404.

    .venv/bin/python benchmarks/schema_speed.py [--examples 25 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from calbot.conformance import Conformance, run_conformance
from calbot.server import Handler, Request, Response, ServerConfig, create_app, running
from calbot.spec import spec_path
from calbot.spec.throttles import RateLimit

UNLIMITED = RateLimit(10**9, 1.0)


class Counting:
    """A server hook counting API requests and their statuses."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()

    def __call__(self, request: Request, following: Handler) -> Response:
        response = following(request)
        if request.path.startswith("/api/"):
            with self.lock:
                self.statuses[response.status] += 1
        return response

    def take(self) -> Counter[int]:
        with self.lock:
            taken, self.statuses = self.statuses, Counter()
        return taken


def calbot_schema(url: str, examples: int) -> None:
    options = Conformance(
        url=url,
        state_url="/_calbot/states",
        rate_limit=UNLIMITED,
        contracts=["schema::responses-conform", "schema::invalid-requests-rejected"],
        max_examples=examples,
        seed=1,
    )
    run_conformance(options)


def st_run(url: str, examples: int) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    subprocess.run(
        [
            st,
            "run",
            str(spec_path()),
            "--url",
            url,
            "--max-examples",
            str(examples),
            "--phases",
            "fuzzing",
            "--mode",
            "all",
            "--seed",
            "1",
            "--no-color",
        ],
        check=False,
        capture_output=True,
    )


def measure(
    name: str, tool: object, url: str, counter: Counting, *, examples: int, repeat: int
) -> None:
    rates, cases, ok_share = [], 0, 0.0
    for _ in range(repeat):
        counter.take()
        started = time.perf_counter()
        tool(url, examples)  # type: ignore[operator]
        elapsed = time.perf_counter() - started
        statuses = counter.take()
        cases = sum(statuses.values())
        ok_share = sum(n for status, n in statuses.items() if status < 300) / max(cases, 1)
        rates.append(cases / elapsed)
    print(
        f"{name:<24} {examples:>8} {cases:>8} {statistics.median(rates):>10.0f} "
        f"{min(rates):>8.0f} {ok_share:>9.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counter = Counting()
    app = create_app(ServerConfig(rate_limit=UNLIMITED, hooks=(counter,)))
    print(f"{'tool':<24} {'examples':>8} {'cases':>8} {'cases/s':>10} {'worst':>8} {'2xx':>9}")
    with running(app=app) as url:
        for examples in args.examples:
            measure(
                "calbot schema contract",
                calbot_schema,
                url,
                counter,
                examples=examples,
                repeat=args.repeat,
            )
            measure(
                "st run (schemathesis)", st_run, url, counter, examples=examples, repeat=args.repeat
            )
    print("cases: API requests one run sent (median of runs); cases/s: median; worst: slowest run;")
    print("2xx: share of cases that reached the operation's logic rather than a 404.")


if __name__ == "__main__":
    main()
