"""What calbot's pytest plugin costs a pytest run that does not use it.

In a temporary project with one trivial test file, times `pytest --collect-only -q` with the
plugin loaded (the default once calbot is installed) and without it (`-p no:calbot`),
interleaved, after one warm-up run of each, and prints best, median and mean of each and the
difference. Then lists what importing `calbot.pytest.plugin` adds to `sys.modules` after pytest
(only the standard library and calbot's own two modules are allowed), and, for scale, the same
collection with `--calbot-url` given (the conformance part loaded; no request is sent).

    python benchmarks/plugin_overhead.py [--runs 10]

Run it with the interpreter of the environment calbot is installed in.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIVIAL_TEST = "def test_trivial():\n    assert True\n"
IMPORT_PROBE = """
import json, sys, time
import pytest
before = set(sys.modules)
started = time.perf_counter()
import calbot.pytest.plugin
taken = time.perf_counter() - started
print(json.dumps({"seconds": taken, "added": sorted(set(sys.modules) - before)}))
"""


def collect_seconds(project: Path, extra: list[str]) -> float:
    """Wall time of one `pytest --collect-only -q` in `project`."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def figures(times: list[float]) -> str:
    best, median, mean = min(times), statistics.median(times), statistics.mean(times)
    spread = statistics.stdev(times) if len(times) > 1 else 0.0
    return (
        f"best {best * 1000:7.1f} ms · median {median * 1000:7.1f} ms · "
        f"mean {mean * 1000:7.1f} ms (± {spread * 1000:.1f})"
    )


def plugin_import() -> tuple[float, list[str]]:
    """In a fresh interpreter, after pytest: the seconds importing calbot.pytest.plugin takes,
    and the modules it adds."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    return float(found["seconds"]), list(found["added"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="calbot-overhead-") as tmp:
        project = Path(tmp)
        (project / "test_trivial.py").write_text(TRIVIAL_TEST)
        arms = {
            "with calbot's plugin": [],
            "without (-p no:calbot)": ["-p", "no:calbot"],
        }
        times: dict[str, list[float]] = {name: [] for name in arms}
        for extra in arms.values():
            collect_seconds(project, extra)  # warm-up: file caches, first import
        for _ in range(args.runs):
            for name, extra in arms.items():
                times[name].append(collect_seconds(project, extra))
        url = ["--calbot-url", "http://127.0.0.1:9"]
        with_url = [collect_seconds(project, url) for _ in range(max(3, args.runs // 3))]

    print(f"pytest --collect-only -q, one trivial test, {args.runs} runs each (interleaved):")
    for name, taken in times.items():
        print(f"  {name:<24} {figures(taken)}")
    with_plugin, without = times["with calbot's plugin"], times["without (-p no:calbot)"]
    best = (min(with_plugin) - min(without)) * 1000
    mean = (statistics.mean(with_plugin) - statistics.mean(without)) * 1000
    print(f"  overhead: {best:+.1f} ms (best), {mean:+.1f} ms (mean)")
    print(f"  for scale, with --calbot-url (conformance loaded): {figures(with_url)}")

    probes = [plugin_import() for _ in range(args.runs)]
    added = probes[0][1]
    print(
        "importing calbot.pytest.plugin itself (after pytest, fresh interpreters): "
        + figures([seconds for seconds, _ in probes])
    )
    foreign = [
        name
        for name in added
        if name.split(".")[0] not in sys.stdlib_module_names
        and name not in ("calbot", "calbot.pytest.plugin")
    ]
    print(f"importing calbot.pytest.plugin after pytest adds {len(added)} modules: {added}")
    print("  beyond the standard library and calbot's own: " + (", ".join(foreign) or "none"))


if __name__ == "__main__":
    main()
