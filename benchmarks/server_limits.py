"""The reference server under hostile and long-lived use, with its default limits: figures.

Starts `calbot serve --api-key K --record LEDGER` (defaults otherwise) and, at the same time:

- a request whose Content-Length says 1000 and which sends 10 bytes, then stalls;
- 200 connections that send nothing;
- 50 slowloris connections sending one header byte a second;

and prints what each got and when (the defaults: 408 after 10 s, idle closed after 5 s). Then
50 MB of headers (the answer, and the server's RSS before and after), then SIGTERM with an
upload in progress (the answer, the exit code, whether stderr has a traceback, the ledger's
last status). Last, in a subprocess without HTTP, the core's RSS after 100,000 events (each
with a bot) with the default cap of 10,000 events per workspace and without a cap.

    python benchmarks/server_limits.py [--events 100000]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

KEY = "bench-key"
READY = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
DEADLINE = 30.0


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def answer(sock: socket.socket, timeout: float = DEADLINE) -> tuple[str, float]:
    """The status line the server sends (or "closed, no answer"), and when, from now."""
    started = time.monotonic()
    sock.settimeout(max(0.01, timeout))
    try:
        data = sock.recv(65536)
    except TimeoutError:
        return "still open", time.monotonic() - started
    except OSError:
        data = b""
    waited = time.monotonic() - started
    if not data:
        return "closed, no answer", waited
    return data.split(b"\r\n", 1)[0].decode("latin-1"), waited


def in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work)
    thread.start()
    return thread


def stalled_body(port: int, out: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /_calbot/states HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
            + KEY.encode()
            + b"\r\nContent-Length: 1000\r\n\r\n0123456789"
        )
        status, waited = answer(sock)
        out.append(
            f"stalled body (Content-Length 1000, 10 bytes sent): {status} after {waited:.1f} s"
        )


def idle(port: int, out: list[str], count: int = 200) -> None:
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    started = time.monotonic()
    results = [answer(sock, DEADLINE - (time.monotonic() - started)) for sock in socks]
    closed = sum(1 for status, _ in results if status == "closed, no answer")
    last = time.monotonic() - started
    for sock in socks:
        sock.close()
    out.append(
        f"{count} idle connections: {closed} closed by the server, {count - closed} still "
        f"open; waited {last:.1f} s"
    )


def slowloris(port: int, out: list[str], count: int = 50) -> None:
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for sock in socks:
        sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    open_socks = list(socks)
    statuses: dict[str, int] = {}
    while open_socks and time.monotonic() - started < DEADLINE:
        for sock in list(open_socks):
            try:
                sock.sendall(b"X")
            except OSError:
                status, _ = answer(sock)
                statuses[status] = statuses.get(status, 0) + 1
                open_socks.remove(sock)
                continue
            sock.setblocking(False)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                data = None
            sock.setblocking(True)
            if data is not None:
                status = data.split(b"\r\n", 1)[0].decode("latin-1") or "closed, no answer"
                statuses[status] = statuses.get(status, 0) + 1
                open_socks.remove(sock)
        time.sleep(1.0)
    took = time.monotonic() - started
    for sock in socks:
        sock.close()
    found = ", ".join(f"{n} x {status}" for status, n in statuses.items())
    out.append(
        f"{count} slowloris connections (1 byte/s): {found}; {len(open_socks)} still open "
        f"after {took:.1f} s"
    )


def big_headers(port: int, pid: int) -> str:
    before = rss_mb(pid)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
        line = b"X-Pad: " + b"p" * 1000 + b"\r\n"
        sent = 0
        try:
            while sent < 50_000_000:
                sock.sendall(line * 100)
                sent += len(line) * 100
        except OSError:
            pass
        status, _ = answer(sock)
    return (
        f"50 MB of headers: {status} after {sent / 1e6:.1f} MB sent; "
        f"RSS {before:.1f} -> {rss_mb(pid):.1f} MB"
    )


def sigterm_upload(process: subprocess.Popen[str], port: int, ledger: Path) -> str:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /_calbot/states HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
        + KEY.encode()
        + b"\r\nContent-Length: 1000\r\n\r\n{"
    )
    time.sleep(0.2)
    process.terminate()
    status, waited = answer(sock)
    sock.close()
    code = process.wait(timeout=DEADLINE)
    stderr = process.stderr.read() if process.stderr else ""
    lines = ledger.read_text().splitlines()
    last = json.loads(lines[-1])["status"] if lines else "none (empty ledger)"
    traceback = "a traceback" if "Traceback" in stderr else "no traceback"
    return (
        f"SIGTERM with an upload in progress: {status} after {waited:.1f} s, exit {code}, "
        f"{traceback} on stderr, the ledger's last record: {last}"
    )


MEMORY = """
import json, re, sys
from pathlib import Path
from calbot.server import Request, ServerConfig, ServerCore
from calbot.spec.throttles import RateLimit

def rss():
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\\s+(\\d+) kB", text).group(1)) / 1024

cap = None if sys.argv[2] == "none" else int(sys.argv[2])
core = ServerCore(ServerConfig(max_events=cap, rate_limit=RateLimit(10**9, 1)))
headers = {"content-type": "application/json"}
before = rss()
for n in range(int(sys.argv[1])):
    params = {"start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T10:30:00Z",
              "meeting_url": "https://meet.google.com/abc-defg-hij"}
    body = json.dumps({"state": "a calendar event", "params": params}).encode()
    event = core.handle(Request("POST", "/_calbot/states", headers, body)).body["id"]
    schedule = json.dumps({"deduplication_key": f"key-{n}", "bot_config": {"bot_name": "B"}})
    path = f"/api/v2/calendar-events/{event}/bot/"
    core.handle(Request("POST", path, headers, schedule.encode()))
health = core.health().body
print(f"{before:.1f} {rss():.1f} {health['events']} {health['bots']} "
      f"{health['evicted']['events']} {health['evicted']['bots']}")
"""


def memory(events: int, cap: str) -> str:
    command = [sys.executable, "-c", MEMORY, str(events), cap]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    before, after, kept, bots, evicted, evicted_bots = out
    label = "no cap" if cap == "none" else f"cap {int(cap):,} per workspace"
    return (
        f"{events:,} events with a bot each, {label}: RSS {before} -> {after} MB; "
        f"{kept} events and {bots} bots kept, {evicted} events and {evicted_bots} bots evicted"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.jsonl"
        command = [sys.executable, "-m", "calbot", "serve", "--port", "0", "--api-key", KEY]
        command += ["--record", str(ledger)]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        match = READY.search(process.stdout.readline())
        if not match:
            print("error: calbot serve did not start", file=sys.stderr)
            return 2
        port = int(match.group(1))
        out: list[str] = []
        threads = [
            in_thread(lambda: stalled_body(port, out)),
            in_thread(lambda: idle(port, out)),
            in_thread(lambda: slowloris(port, out)),
        ]
        for thread in threads:
            thread.join()
        out.append(big_headers(port, process.pid))
        out.append(sigterm_upload(process, port, ledger))
    for line in out:
        print(line)
    for cap in ("10000", "none"):
        print(memory(args.events, cap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
