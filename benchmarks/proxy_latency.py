"""What `calbot proxy` adds: latency at a steady 200 requests/s, and throughput, both measured
against calling the upstream (`calbot serve`) directly in the same run.

Starts `calbot serve` (a huge rate limit: no 429s) and `calbot proxy --record` in front of it,
creates one event, then

1. latency: for `--seconds` at `--rate` requests/s, each tick sends the same schedule request
   once directly and once through the proxy (alternating which goes first), over keep-alive
   connections, and reports p50/p99 of each and of the difference;
2. throughput: `wrk` (keep-alive, `--connections`) on the schedule operation, directly and
   through the proxy, and the ratio.

    python benchmarks/proxy_latency.py [--seconds 5] [--rate 200] [--connections 20]

Targets (issue 14): added p50 < 1 ms, added p99 < 5 ms at 200 requests/s; throughput through
the proxy at least half of the direct one. Everything runs on this machine and competes for
its CPUs (wrk too), so read the figures as same-run ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

KEY = "calbot-bench"
BODY = {
    "deduplication_key": "2030-01-01T10:00:00Z-https://meet.google.com/abc-defg-hij",
    "bot_config": {"bot_name": "Notetaker", "metadata": {"customer_id": "c_123"}},
}
EVENT = {
    "state": "a calendar event",
    "params": {
        "start_time": "2030-01-01T10:00:00Z",
        "end_time": "2030-01-01T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
}
LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token {key}"
"""


def start(args: list[str], ready: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "calbot", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(ready + r" (http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"could not start {' '.join(args[:1])}: {line!r}")
    return process, match.group(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(direct_url: str, proxy_url: str, path: str, seconds: float, rate: float) -> None:
    headers = {"Authorization": f"Token {KEY}"}
    direct, proxied = (
        httpx.Client(base_url=direct_url, headers=headers),
        httpx.Client(base_url=proxy_url, headers=headers),
    )
    for client in (direct, proxied):  # warm up: connections, caches
        for _ in range(50):
            client.post(path, json=BODY).raise_for_status()
    times: dict[str, list[float]] = {"direct": [], "proxy": []}
    added: list[float] = []
    period = 1.0 / rate
    ticks = int(seconds * rate)
    began = time.perf_counter()
    for tick in range(ticks):
        pair = [("direct", direct), ("proxy", proxied)]
        if tick % 2:
            pair.reverse()
        took = {}
        for name, client in pair:
            start_at = time.perf_counter()
            client.post(path, json=BODY).raise_for_status()
            took[name] = (time.perf_counter() - start_at) * 1000
            times[name].append(took[name])
        added.append(took["proxy"] - took["direct"])
        wait = began + (tick + 1) * period - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    elapsed = time.perf_counter() - began
    direct.close()
    proxied.close()
    added_p50 = percentile(times["proxy"], 0.5) - percentile(times["direct"], 0.5)
    added_p99 = percentile(times["proxy"], 0.99) - percentile(times["direct"], 0.99)
    print(f"latency: {ticks} requests each way in {elapsed:.1f} s ({ticks / elapsed:.0f}/s each)")
    for name, values in times.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        mean = statistics.fmean(values)
        print(f"  {name:<7} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  mean {mean:6.3f} ms")
    print(
        f"  added   p50 {added_p50:6.3f} ms  p99 {added_p99:6.3f} ms  (per-pair difference: median "
        f"{percentile(added, 0.5):.3f} ms, p99 {percentile(added, 0.99):.3f} ms)"
    )
    print(
        f"  target  p50 < 1 ms: {'met' if added_p50 < 1 else 'NOT met'}; p99 < 5 ms: "
        f"{'met' if added_p99 < 5 else 'NOT met'}"
    )


def ticks(options: argparse.Namespace) -> int:
    return int(options.seconds * options.rate)


def wrk(url: str, script: Path, seconds: float, connections: int) -> float:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        print(f"  ({errors.group(1)} non-2xx answers from {url})")
    return float(match.group(1)) if match else 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(  # noqa: PLR0917
    direct_url: str,
    proxy_url: str,
    path: str,
    seconds: float,
    connections: int,
    pids: tuple[int, int],
) -> None:
    """wrk directly and through the proxy; also the CPU each process spent per request."""
    if shutil.which("wrk") is None:
        print("throughput: skipped (needs wrk: apt-get install -y wrk)")
        return
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        script.write_text(LUA.format(body=json.dumps(json.dumps(BODY)), key=KEY))
        rates, costs = [], []
        for url in (direct_url, proxy_url):
            before = [cpu_seconds(pid) for pid in pids]
            rate = wrk(url + path, script, seconds, connections)
            spent = [cpu_seconds(pid) - start for pid, start in zip(pids, before, strict=True)]
            rates.append(rate)
            costs.append([1e6 * cpu / max(1.0, rate * seconds) for cpu in spent])
    (direct, proxied), ((serve_cpu, _), (serve_via, proxy_cpu)) = rates, costs
    ratio = proxied / direct if direct else 0.0
    print(f"throughput (wrk, {connections} connections, {seconds:g} s each):")
    print(f"  direct {direct:8.0f} requests/s   server CPU {serve_cpu:4.0f} us/request")
    print(
        f"  proxy  {proxied:8.0f} requests/s   server CPU {serve_via:4.0f} us/request, "
        f"proxy CPU {proxy_cpu:4.0f} us/request   ratio {ratio:.2f}"
    )
    print(f"  target ratio >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--connections", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        serve, direct_url = start(
            ["serve", "--api-key", KEY, "--rate-limit", "100000000/1s"], "listening on"
        )
        ledger = Path(folder) / "ledger.jsonl"
        proxy, proxy_url = start(
            ["proxy", "--upstream", direct_url, "--record", str(ledger), "--report-dir", folder],
            "listening on",
        )
        try:
            headers = {"Authorization": f"Token {KEY}"}
            event = httpx.post(f"{direct_url}/_calbot/states", json=EVENT, headers=headers).json()
            path = f"/api/v2/calendar-events/{event['id']}/bot/"
            latency(direct_url, proxy_url, path, options.seconds, options.rate)
            pids = (serve.pid, proxy.pid)
            throughput(direct_url, proxy_url, path, options.seconds, options.connections, pids)
        finally:
            for process in (proxy, serve):
                process.terminate()
                process.wait(timeout=30)
        lines = ledger.read_text().splitlines()
        paced = [json.loads(line)["elapsed_ms"] for line in lines[50 : 50 + ticks(options)]]
        print(
            f"ledger: {len(lines)} lines recorded by the proxy; inside the proxy (upstream "
            f"round trip and relay) during the paced run: p50 {percentile(paced, 0.5):.3f} ms"
        )


if __name__ == "__main__":
    main()
