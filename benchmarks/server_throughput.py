"""Throughput of the reference server on its hot path, `POST /api/v2/calendar-events/{id}/bot/`.

Absolute requests/s depend on the machine and on whatever else runs on it, so the figures
that travel are same-run ratios. Each round runs, back to back with the same wrk settings:

- `calbot serve` (a subprocess, huge rate limit: throughput, not 429s), POSTing the schedule
  body to one upcoming event created through `/_calbot/states`;
- a bare ASGI "hello" app on the same server stack (uvicorn, httptools, calbot's protocol with
  its limits): the stack's own ceiling;
- Prism's mock (`prism mock spec/openapi.yaml -v error`) with the same request, when it can.

and prints requests/s, p50/p99 latency, the status mix, RSS after the run and start-up time,
then per round calbot's ratio to the hello app and to Prism, and the median over the rounds.
It names the machine (CPU model and count, load average before the run).

    python benchmarks/server_throughput.py [--seconds 5] [--rounds 3] [--threads 2]
                                           [--connections 50] [--prism auto|skip|PATH]

Needs `wrk` (apt-get install -y wrk). Prism is looked for in $PRISM, /tmp/peers (the peers
set-up script) and the cache directory, and installed there with npm when missing (pass
`--prism skip` to leave it out). wrk runs on the same machine and competes for the CPU.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


HELLO = b'{"hello":"world"}'


async def hello_app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    """The smallest useful ASGI app: reads the body, answers a fixed JSON object."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(HELLO))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": HELLO})


def serve_hello(port: int) -> None:
    """Serve `hello_app` on the reference server's stack (what `--serve-hello` runs)."""
    import uvicorn

    from calbot.serving import bind
    from calbot.serving.config import uvicorn_config

    sock = bind("127.0.0.1", port)
    uvicorn.Server(uvicorn_config(hello_app)).run(sockets=[sock])


def bench_hello(args: argparse.Namespace, script: Path) -> Figures:
    port = free_port()
    command = [sys.executable, __file__, "--serve-hello", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        startup = wait_until(port, "GET", "/", None, started)
        found = run_wrk(f"http://127.0.0.1:{port}/api/v2/calendar-events/x/bot/", args, script)
        rss = rss_mb(process.pid)
    finally:
        stop(process)
    return _figures("hello app, same stack", startup, found, rss)


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


def millis(text: str) -> float | None:
    """wrk's latency ("812.00us", "4.84ms", "1.02s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
    return float(match.group(1)) * scale


@dataclass
class Ratios:
    """calbot's figures over another server's, in one round."""

    rps: float
    p50: float | None
    memory: float | None


def ratios(calbot: Figures, other: Figures) -> Ratios:
    ours, theirs = millis(calbot.p50), millis(other.p50)
    return Ratios(
        rps=calbot.rps / other.rps if other.rps else 0.0,
        p50=ours / theirs if ours and theirs else None,
        memory=calbot.rss_mb / other.rss_mb if calbot.rss_mb and other.rss_mb else None,
    )


def describe(name: str, found: list[Ratios]) -> str:
    rps = statistics.median(r.rps for r in found)
    p50s = [r.p50 for r in found if r.p50 is not None]
    memory = [r.memory for r in found if r.memory is not None]
    text = f"calbot / {name}: {rps:.2f}x the requests/s"
    if p50s:
        text += f", {statistics.median(p50s):.2f}x the p50 latency"
    if memory:
        text += f", {statistics.median(memory):.2f}x the RSS"
    rounds = ", ".join(f"{r.rps:.2f}" for r in found)
    return f"{text} (median of {len(found)}; requests/s ratio per round: {rounds})"


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} x {model}, "
        f"Python {platform.python_version()}; load average before the run: {load}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--prism", default="auto", help="auto, skip, or the prism binary")
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello is not None:
        serve_hello(args.serve_hello)
        return 0
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    print(f"machine: {machine()}")
    print(
        f"POST /api/v2/calendar-events/{{id}}/bot/ with wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s (keep-alive), {args.rounds} rounds; "
        "wrk shares the CPUs with the server"
    )
    binary, why = find_prism(args.prism)
    prism_note = f"Prism: {why}" if binary is None else ""
    to_hello: list[Ratios] = []
    to_prism: list[Ratios] = []
    calbots: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA.format(body=json.dumps(json.dumps(BODY))))
        for round_number in range(1, args.rounds + 1):
            calbot = bench_calbot(args, script)
            results = [calbot, bench_hello(args, script)]
            if binary is not None:
                try:
                    results.append(bench_prism(binary, args, script))
                except (RuntimeError, AssertionError, subprocess.CalledProcessError) as exc:
                    prism_note = f"Prism: not measured: {exc}"
                    binary = None
            print(f"\nround {round_number}")
            report(results)
            calbots.append(calbot)
            to_hello.append(ratios(calbot, results[1]))
            if len(results) > 2 and results[2].rps:
                to_prism.append(ratios(calbot, results[2]))
    print()
    print(describe("the hello app on the same stack", to_hello))
    if to_prism:
        print(describe(f"Prism {PRISM_VERSION} mock", to_prism))
    if prism_note:
        print(prism_note)
    worst_rss = max((c.rss_mb or 0.0) for c in calbots)
    targets = [
        ("RSS < 100 MB", 0 < worst_rss < 100),
        ("start-up < 0.5 s", max(c.startup for c in calbots) < 0.5),
        ("no non-2xx answers", all(c.non_2xx == 0 for c in calbots)),
    ]
    print()
    for name, ok in targets:
        print(f"target {name:<22} {'met' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
