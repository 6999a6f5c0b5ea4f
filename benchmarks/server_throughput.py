"""Throughput of the reference server on its hot path, `POST /api/v2/calendar-events/{id}/bot/`.

Starts `calbot serve` in a subprocess with a huge rate limit (throughput, not 429s), measures
start-up (spawn to `/_calbot/health` 200), creates one upcoming event through
`/_calbot/states`, drives the schedule operation with `wrk` (keep-alive, a Lua script for the
method, body and headers) and prints requests/s, p50/p99 latency, the status mix, the server's
RSS after the run and its start-up time. Then, when it can, the same against Prism's mock
(`prism mock spec/openapi.yaml`, its fastest setting `-v error`) and the ratio.

    python benchmarks/server_throughput.py [--seconds 10] [--threads 2] [--connections 50]
                                           [--prism auto|skip|PATH]

Needs `wrk` (apt-get install -y wrk). Prism is looked for in $PRISM, /tmp/peers (the peers
set-up script) and the cache directory, and installed there with npm when missing (pass
`--prism skip` to leave it out). wrk runs on the same machine and competes for the CPU.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PRISM_VERSION = "5.16.0"
CACHE = Path(os.environ.get("CALBOT_BENCH_CACHE", "/tmp/calbot-bench"))
BODY = {
    "deduplication_key": "2030-01-01T10:00:00Z-https://meet.google.com/abc-defg-hij",
    "bot_config": {"bot_name": "Notetaker", "metadata": {"customer_id": "c_123"}},
}
EVENT = {
    "state": "a calendar event",
    "action": "setup",
    "params": {
        "start_time": "2030-01-01T10:00:00Z",
        "end_time": "2030-01-01T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
}
LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token calbot-bench"
"""


@dataclass
class Figures:
    """What one wrk run against one server gave."""

    label: str
    startup: float
    requests: int
    rps: float
    p50: str
    p99: str
    non_2xx: int
    rss_mb: float | None
    errors: str


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(port: int, method: str, path: str, body: object = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Token calbot-bench"}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until(port: int, method: str, path: str, body: object, started: float) -> float:
    """Seconds from `started` until `method path` gets any answer (200 for health)."""
    while time.perf_counter() - started < 30:
        try:
            status, _ = request(port, method, path, body)
            if status < 500:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"no answer on port {port} within 30 s")


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def run_wrk(url: str, args: argparse.Namespace, script: Path) -> dict[str, str]:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = {
        "rps": _grab(r"Requests/sec:\s+([\d.]+)", output),
        "requests": _grab(r"(\d+) requests in", output),
        "p50": _grab(r"^\s+50%\s+(\S+)", output),
        "p99": _grab(r"^\s+99%\s+(\S+)", output),
        "non_2xx": _grab(r"Non-2xx or 3xx responses:\s+(\d+)", output) or "0",
        "errors": _grab(r"Socket errors:\s+(.+)", output) or "none",
    }
    return found


def _grab(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def bench_calbot(args: argparse.Namespace, script: Path) -> Figures:
    port = free_port()
    command = [sys.executable, "-c", "from calbot.cli import main; main()"]
    entry = Path(sys.executable).with_name("calbot")
    if entry.exists():
        command = [str(entry)]
    command += ["serve", "--port", str(port), "--rate-limit", "1000000000/1s"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        startup = wait_until(port, "GET", "/_calbot/health", None, started)
        status, created = request(port, "POST", "/_calbot/states", EVENT)
        assert status == 200, created
        event = json.loads(created)["id"]
        path = f"/api/v2/calendar-events/{event}/bot/"
        status, answer = request(port, "POST", path, BODY)
        assert status == 200, answer
        found = run_wrk(f"http://127.0.0.1:{port}{path}", args, script)
        rss = rss_mb(process.pid)
    finally:
        code = stop(process)
    if code != 0:
        print(f"warning: calbot serve exited with {code} on SIGTERM")
    return _figures("calbot serve", startup, found, rss)


def find_prism(choice: str) -> tuple[Path | None, str]:
    """Prism's binary, installing it into the cache when needed; or None and why not."""
    if choice == "skip":
        return None, "skipped (--prism skip)"
    candidates = [Path(choice)] if choice != "auto" else []
    if choice == "auto":
        if os.environ.get("PRISM"):
            candidates.append(Path(os.environ["PRISM"]))
        candidates += [
            Path("/tmp/peers/npm/prism/node_modules/.bin/prism"),
            CACHE / "prism/node_modules/.bin/prism",
        ]
    for candidate in candidates:
        if candidate.exists():
            return candidate, ""
    if choice != "auto":
        return None, f"{choice} does not exist"
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None, "not measured: node/npm are not installed"
    print(f"installing @stoplight/prism-cli@{PRISM_VERSION} into {CACHE / 'prism'} ...")
    env = {**os.environ, "SCARF_ANALYTICS": "false", "NPM_CONFIG_UPDATE_NOTIFIER": "false"}
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(CACHE / "prism"),
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            f"@stoplight/prism-cli@{PRISM_VERSION}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    binary = CACHE / "prism/node_modules/.bin/prism"
    if done.returncode != 0 or not binary.exists():
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"not measured: npm install failed ({last})"
    return binary, ""


def bench_prism(binary: Path, args: argparse.Namespace, script: Path) -> Figures:
    from calbot.spec import spec_path

    port = free_port()
    command = [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error"]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, str(spec_path())], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/"
        startup = wait_until(port, "POST", path, BODY, started)
        status, answer = request(port, "POST", path, BODY)
        assert status == 200, answer
        found = run_wrk(f"http://127.0.0.1:{port}{path}", args, script)
        rss = rss_mb(process.pid)
    finally:
        stop(process)
    return _figures(f"prism {PRISM_VERSION} mock -v error", startup, found, rss)


def _figures(label: str, startup: float, found: dict[str, str], rss: float | None) -> Figures:
    return Figures(
        label=label,
        startup=startup,
        requests=int(found["requests"] or 0),
        rps=float(found["rps"] or 0),
        p50=found["p50"],
        p99=found["p99"],
        non_2xx=int(found["non_2xx"]),
        rss_mb=rss,
        errors=found["errors"],
    )


def report(results: list[Figures]) -> None:
    header = (
        f"{'target':<28} {'req/s':>9} {'p50':>8} {'p99':>8} {'requests':>9} "
        f"{'2xx':>8} {'non-2xx':>8} {'RSS after':>10} {'start-up':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rss = f"{r.rss_mb:.1f} MB" if r.rss_mb is not None else "?"
        print(
            f"{r.label:<28} {r.rps:>9,.0f} {r.p50:>8} {r.p99:>8} {r.requests:>9} "
            f"{r.requests - r.non_2xx:>8} {r.non_2xx:>8} {rss:>10} {r.startup:>8.3f}s"
        )
        if r.errors != "none":
            print(f"  socket errors: {r.errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--prism", default="auto", help="auto, skip, or the prism binary")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    print(
        f"POST /api/v2/calendar-events/{{id}}/bot/ with wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s (keep-alive); {os.cpu_count()} CPUs, "
        "wrk shares them with the server"
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA.format(body=json.dumps(json.dumps(BODY))))
        results = [bench_calbot(args, script)]
        binary, why = find_prism(args.prism)
        prism_note = f"Prism: {why}" if binary is None else ""
        if binary is not None:
            try:
                results.append(bench_prism(binary, args, script))
            except (RuntimeError, AssertionError, subprocess.CalledProcessError) as exc:
                prism_note = f"Prism: not measured: {exc}"
    print()
    report(results)
    calbot = results[0]
    print()
    targets = [
        ("requests/s >= 4,000", calbot.rps >= 4000),
        ("RSS < 100 MB", calbot.rss_mb is not None and calbot.rss_mb < 100),
        ("start-up < 0.5 s", calbot.startup < 0.5),
        ("no non-2xx answers", calbot.non_2xx == 0),
    ]
    for name, ok in targets:
        print(f"target {name:<22} {'met' if ok else 'MISSED'}")
    if len(results) > 1 and results[1].rps:
        prism = results[1]
        print(
            f"calbot / prism: {calbot.rps / prism.rps:.2f}x the requests/s, "
            f"{(prism.rss_mb or 0) / (calbot.rss_mb or 1):.1f}x less memory, "
            f"start-up {prism.startup / calbot.startup:.1f}x faster"
        )
    if prism_note:
        print(prism_note)
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
