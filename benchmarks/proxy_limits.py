"""`calbot proxy` under hostile and long-lived use, with its default limits: figures.

Each probe starts `calbot proxy --record LEDGER` (defaults otherwise) in front of `calbot
serve --api-key K`, or of a scripted upstream that misbehaves (raw bytes from this script),
and prints one line: what the client got, what the ledger says, and whether stderr has a
traceback. The probes (issue 18):

 1. bodies over the upstream's 1 MB limit, 1,000,001 bytes to 100 MB (11 sizes);
 2. one request with `Authorization: Token e`, then ordinary traffic, then `calbot
    proxy-report` on the ledger;
 3. 800 requests, each with a different key: requests/s of the first and last 100, RSS;
 4. a key sent only as `Authorization: Bearer ...` (also as the deduplication key);
 5. at once: a stalled body, 200 idle connections, 50 slowloris connections (1 byte/s);
 6. 50 MB of headers on 4 connections at once: RSS before, at its peak, after;
 7. an upstream answering one byte every 0.5 s, `--timeout 5`;
 8. SIGTERM with a 12 s exchange in flight (3 runs), and with an upload stalled;
 9. `kill -9` during 500 requests from 20 clients (`--runs`, 20): answers the clients
    received that the ledger lacks;
10. `POST /_calbot/faults` without a key, then another client's request;
11. `--host 0.0.0.0` (proxy and serve): what stderr says;
12. what held: 100 MB up and 100 MB down through the proxy.

    python benchmarks/proxy_limits.py [--runs 20] [--only 1,9]

It imports nothing from calbot, so the same script measures another version of it: run it
with PYTHONPATH pointing at that version's package tree to get its figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

KEY = "bench-key-0123456789"
READY = re.compile(r"listening on (http://[\d.]+:\d+)")
DEADLINE = 40.0
MB = 1_000_000
EVENT = {
    "state": "a calendar event",
    "params": {
        "start_time": "2031-01-01T10:00:00Z",
        "end_time": "2031-01-01T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
}


# --- processes ----------------------------------------------------------------------------------


class Started:
    """A calbot subprocess that printed its URL; stderr is collected as it runs."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calbot", *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._err: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        match = READY.search(self.process.stdout.readline())
        if not match:
            self.process.kill()
            raise SystemExit(f"could not start calbot {args[0]}: {self.stderr()}")
        self.url = match.group(1).replace("0.0.0.0", "127.0.0.1")
        self.port = int(self.url.rsplit(":", 1)[1])

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._err.append(line)

    def stderr(self) -> str:
        return "".join(self._err)

    def tracebacks(self) -> int:
        return self.stderr().count("Traceback")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=DEADLINE)
        self._reader.join(5)
        return code

    @property
    def rss(self) -> float:
        return rss_mb(self.process.pid)


@contextmanager
def upstream_and_proxy(
    folder: Path, upstream: str | None = None, *options: str
) -> Iterator[tuple[Started, Path]]:
    """`calbot proxy --record` in front of `upstream`, or of a fresh `calbot serve`."""
    serve = None if upstream else Started(["serve", "--api-key", KEY])
    ledger = folder / f"ledger-{uuid.uuid4().hex[:8]}.jsonl"
    target = upstream or (serve.url if serve else "")
    proxy = Started(["proxy", "--upstream", target, "--record", str(ledger), *options])
    try:
        yield proxy, ledger
    finally:
        proxy.stop()
        if serve is not None:
            serve.stop()


def rss_mb(pid: int) -> float:
    with suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else 0.0
    return 0.0


class PeakRss:
    """Samples a process's RSS every 50 ms while in use; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, rss_mb(pid)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def records(ledger: Path) -> list[dict[str, Any]]:
    """The ledger's complete lines (a torn last line is left out, as calbot reads it)."""
    found = []
    with suppress(OSError):
        for line in ledger.read_text().splitlines(keepends=True):
            if line.endswith("\n"):
                found.append(json.loads(line))
    return found


# --- sockets ------------------------------------------------------------------------------------


def status_of(sock: socket.socket, timeout: float = DEADLINE) -> tuple[str, float, bytes]:
    """The status line the peer sends ("closed, no answer" or "still open" without one), when,
    and all it sent."""
    started = time.monotonic()
    sock.settimeout(max(0.01, timeout))
    data = b""
    still_open = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and _complete(data):
                break
    except TimeoutError:
        still_open = True
    except OSError:
        pass
    waited = time.monotonic() - started
    if not data:
        return ("still open" if still_open else "closed, no answer"), waited, data
    return data.split(b"\r\n", 1)[0].decode("latin-1"), waited, data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"content-length:\s*(\d+)", head, re.IGNORECASE)
    return match is not None and len(body) >= int(match.group(1))


def describe(counts: Counter[str]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in counts.most_common())


def json_of(data: bytes) -> bool:
    head, _, _ = data.partition(b"\r\n\r\n")
    return b"application/json" in head.lower()


@contextmanager
def scripted(script: Callable[[socket.socket], None]) -> Iterator[str]:
    """A raw upstream: reads each request head (and its body, by Content-Length), then runs
    `script` on the connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    done = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            match = re.search(rb"content-length:\s*(\d+)", head, re.IGNORECASE)
            left = (int(match.group(1)) if match else 0) - len(body)
            while left > 0:
                chunk = conn.recv(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
            script(conn)

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)
        server.close()


def trickled(head: bytes, body: bytes, every: float) -> Callable[[socket.socket], None]:
    """Send `head` at once (when given) and `body` one byte every `every` seconds."""

    def script(conn: socket.socket) -> None:
        conn.sendall(head)
        for byte in range(len(body)):
            conn.sendall(body[byte : byte + 1])
            time.sleep(every)

    return script


ANSWER = b'{"detail":"abcdefghijk"} '  # 25 bytes
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 25\r\n"
    b"connection: close\r\n\r\n"
)


# --- the probes ---------------------------------------------------------------------------------


def big_bodies(folder: Path) -> str:
    sizes = [round(MB + 1 + (100 * MB - MB - 1) * (n / 10) ** 2) for n in range(11)]
    with upstream_and_proxy(folder) as (proxy, ledger):
        counts: Counter[str] = Counter()
        plain = 0
        for size in sizes:
            with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
                sock.sendall(
                    b"POST /api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/ "
                    b"HTTP/1.1\r\nHost: x\r\nAuthorization: Token " + KEY.encode() + b"\r\n"
                    b"Content-Type: application/json\r\nContent-Length: "
                    + str(size).encode()
                    + b"\r\n\r\n"
                )
                chunk = b"x" * (1 << 20)
                with suppress(OSError):
                    for start in range(0, size, len(chunk)):
                        sock.sendall(chunk[: min(len(chunk), size - start)])
                status, _, data = status_of(sock)
                counts[status] += 1
                plain += bool(data) and not json_of(data)
        time.sleep(0.2)
        lines = len(records(ledger))
    return (
        f"1. body over the upstream's limit (1,000,001 B to 100 MB, 11 tries): "
        f"{describe(counts)}; {plain} not JSON; ledger lines {lines}/11; "
        f"{proxy.tracebacks()} tracebacks"
    )


def short_key(folder: Path) -> str:
    with upstream_and_proxy(folder) as (proxy, ledger):
        with httpx.Client(base_url=proxy.url, timeout=DEADLINE) as http:
            http.get("/api/v1/bot/x/", headers={"Authorization": "Token e"})
            http.headers["Authorization"] = f"Token {KEY}"
            event = http.post("/_calbot/states", json=EVENT).json()["id"]
            path = f"/api/v2/calendar-events/{event}/bot/"
            body = {"deduplication_key": "meet-2031", "bot_config": {"bot_name": "Recorder"}}
            bot = http.post(path, json=body).json()["bots"][0]["bot_id"]
            http.get(f"/api/v2/calendar-events/{event}/")
            http.get(f"/api/v1/bot/{bot}/")
            http.delete(path)
        time.sleep(0.2)
        found = records(ledger)
        report = subprocess.run(
            [sys.executable, "-m", "calbot", "proxy-report", str(ledger)],
            capture_output=True,
            text=True,
            cwd=folder,
            check=False,
        )
    masked = sum("****" in record["path"] for record in found[1:])
    verdict = (report.stdout.splitlines() or ["?"])[0].split(" · ")[0]
    return (
        f"2. Token e, then {len(found) - 1} ordinary requests: {masked} later paths with "
        f"'****' (e.g. {found[-1]['path']}); proxy-report: exit {report.returncode}, {verdict}"
    )


def many_keys(folder: Path) -> str:
    with upstream_and_proxy(folder) as (proxy, _ledger):
        before = proxy.rss
        rates = []
        with httpx.Client(base_url=proxy.url, timeout=DEADLINE) as http:
            for block in range(8):
                started = time.perf_counter()
                for n in range(100):
                    key = f"distinct-{block}-{n}-{uuid.uuid4().hex}"
                    http.get(f"/api/v1/bot/{uuid.uuid4()}/", headers={"Authorization": key})
                rates.append(100 / (time.perf_counter() - started))
        after = proxy.rss
        time.sleep(2)
        later = proxy.rss
    return (
        f"3. 800 requests, each a different key: {rates[0]:.0f} -> {rates[-1]:.0f} requests/s "
        f"(first and last 100); RSS {before:.0f} -> {after:.0f} MB, {later:.0f} MB 2 s later"
    )


def bearer(folder: Path) -> str:
    secret = f"bearer-{uuid.uuid4().hex}"
    with upstream_and_proxy(folder) as (proxy, ledger):
        headers = {"Authorization": f"Bearer {secret}"}
        path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/"
        body = {"deduplication_key": secret, "bot_config": {"metadata": {"note": secret}}}
        httpx.post(proxy.url + path, json=body, headers=headers, timeout=DEADLINE)
        time.sleep(0.2)
        (record,) = records(ledger)
    fields = [name for name, value in record.items() if secret in json.dumps(value)]
    return f"4. a key sent only as Bearer: in the ledger's fields {fields or 'none'}"


def client_side_limits(folder: Path) -> list[str]:
    out: list[str] = []
    with upstream_and_proxy(folder) as (proxy, ledger):
        port = proxy.port

        def stalled() -> None:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(
                    b"POST /_calbot/states HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
                    + KEY.encode()
                    + b"\r\nContent-Length: 1000\r\n\r\n0123456789"
                )
                status, waited, data = status_of(sock)
            kind = "JSON" if json_of(data) else "not JSON"
            out.append(
                f"5a. stalled body (Content-Length 1000, 10 bytes sent): {status} ({kind}) "
                f"after {waited:.1f} s"
            )

        def idle(count: int = 200) -> None:
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
            started = time.monotonic()
            results = [status_of(s, DEADLINE - (time.monotonic() - started)) for s in socks]
            closed = sum(1 for status, _, _ in results if status == "closed, no answer")
            for sock in socks:
                sock.close()
            out.append(
                f"5b. {count} idle connections: {closed} closed by the proxy, {count - closed} "
                f"still open; waited {time.monotonic() - started:.1f} s"
            )

        def slowloris(count: int = 50) -> None:
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
            for sock in socks:
                sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            open_socks = list(socks)
            statuses: Counter[str] = Counter()
            while open_socks and time.monotonic() - started < DEADLINE:
                for sock in list(open_socks):
                    try:
                        sock.sendall(b"X")
                        sock.setblocking(False)
                        data = sock.recv(65536)
                    except BlockingIOError:
                        sock.setblocking(True)
                        continue
                    except OSError:
                        data = b""
                    sock.setblocking(True)
                    statuses[data.split(b"\r\n", 1)[0].decode("latin-1") or "closed"] += 1
                    open_socks.remove(sock)
                time.sleep(1.0)
            for sock in socks:
                sock.close()
            out.append(
                f"5c. {count} slowloris connections (1 byte/s): {describe(statuses)}; "
                f"{len(open_socks)} still open after {time.monotonic() - started:.1f} s"
            )

        threads = [threading.Thread(target=work) for work in (stalled, idle, slowloris)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.2)
        statuses = [record["status"] for record in records(ledger)]
        out.append(f"5d. ledger: {statuses or 'empty'}; {proxy.tracebacks()} tracebacks")
    return sorted(out)


def big_headers(folder: Path) -> str:
    with upstream_and_proxy(folder) as (proxy, _ledger):
        before = proxy.rss
        answers: Counter[str] = Counter()

        def flood() -> None:
            with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
                sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
                line = b"X-Pad: " + b"p" * 1000 + b"\r\n"
                sent = 0
                with suppress(OSError):
                    while sent < 50 * MB:
                        sock.sendall(line * 100)
                        sent += len(line) * 100
                answers[status_of(sock)[0]] += 1

        with PeakRss(proxy.process.pid) as rss:
            floods = [threading.Thread(target=flood) for _ in range(4)]
            for thread in floods:
                thread.start()
            for thread in floods:
                thread.join()
            time.sleep(1)
        peak, after = rss.peak, proxy.rss
    return (
        f"6. 50 MB of headers, 4 at once: {describe(answers)}; RSS {before:.0f} MB, peak "
        f"{peak:.0f} MB, {after:.0f} MB after"
    )


def slow_upstream(folder: Path) -> str:
    with (
        scripted(trickled(b"", HEAD + ANSWER, 0.5)) as upstream,
        upstream_and_proxy(folder, upstream, "--timeout", "5") as (proxy, ledger),
    ):
        started = time.monotonic()
        try:
            answer = httpx.get(proxy.url + "/api/v1/bot/x/", timeout=120)
            got = f"{answer.status_code} ({len(answer.content)} bytes)"
        except httpx.HTTPError as error:
            got = type(error).__name__
        took = time.monotonic() - started
        time.sleep(0.2)
        found = records(ledger)
    noted = found[0].get("upstream_error") if found else "no ledger line"
    return (
        f"7. upstream sending a byte every 0.5 s, --timeout 5: {got} after {took:.1f} s; "
        f"ledger: {found[0]['status'] if found else '-'} ({noted})"
    )


def sigterm(folder: Path) -> list[str]:
    out = []
    for run in range(3):
        with scripted(trickled(HEAD, ANSWER, 12 / 25)) as upstream:
            serve = Started(["proxy", "--upstream", upstream, "--record", f"{folder}/s{run}.jsonl"])
            got: list[str] = []

            def ask(url: str = serve.url, into: list[str] = got) -> None:
                with httpx.Client(timeout=DEADLINE) as http:
                    try:
                        with http.stream("GET", url + "/api/v1/bot/x/") as answer:
                            read = b""
                            try:
                                for chunk in answer.iter_raw():
                                    read += chunk
                                into.append(f"{answer.status_code}, {len(read)} of 25 bytes")
                            except httpx.HTTPError as error:
                                into.append(
                                    f"{answer.status_code}, {len(read)} of 25 bytes, then "
                                    f"{type(error).__name__}"
                                )
                    except httpx.HTTPError as error:
                        into.append(type(error).__name__)

            client = threading.Thread(target=ask)
            client.start()
            time.sleep(3)
            started = time.monotonic()
            code = serve.stop()
            took = time.monotonic() - started
            client.join()
            found = records(Path(f"{folder}/s{run}.jsonl"))
        said = (
            f"{found[0]['status']}, {found[0].get('upstream_error') or 'no error'}"
            if found
            else "no line"
        )
        out.append(
            f"8{'abc'[run]}. SIGTERM 3 s into a 12 s exchange: stopped after {took:.1f} s, exit "
            f"{code}; client: {got[0] if got else '?'}; ledger: {said}; "
            f"{serve.tracebacks()} tracebacks"
        )
    with upstream_and_proxy(folder) as (proxy, ledger):
        sock = socket.create_connection(("127.0.0.1", proxy.port))
        sock.sendall(
            b"POST /_calbot/states HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
            + KEY.encode()
            + b"\r\nContent-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.3)
        proxy.process.send_signal(signal.SIGTERM)
        status, waited, data = status_of(sock)
        sock.close()
        code = proxy.stop()
        found = records(ledger)
    kind = "JSON" if json_of(data) else "not JSON"
    out.append(
        f"8d. SIGTERM with an upload stalled: {status} ({kind}) after {waited:.1f} s, exit "
        f"{code}; ledger: {[r['status'] for r in found] or 'empty'}; "
        f"{proxy.tracebacks()} tracebacks"
    )
    return out


def kill_9(folder: Path, runs: int) -> str:
    missed_runs, missed_total, answered_total = 0, 0, 0
    serve = Started(["serve", "--api-key", KEY, "--rate-limit", "1000000/1s"])
    try:
        for run in range(runs):
            ledger = folder / f"k{run}.jsonl"
            proxy = Started(["proxy", "--upstream", serve.url, "--record", str(ledger)])
            received: list[str] = []  # appended from many threads (atomic in CPython)
            stop_after = random.Random(run).randint(50, 450)

            def client(url: str = proxy.url, into: list[str] = received) -> None:
                with httpx.Client(base_url=url, headers={"Authorization": f"Token {KEY}"}) as h:
                    for _ in range(25):
                        ident = str(uuid.uuid4())
                        try:
                            answer = h.get(f"/api/v1/bot/{ident}/")
                        except httpx.HTTPError:
                            return
                        if answer.status_code == 404:
                            into.append(ident)

            clients = [threading.Thread(target=client) for _ in range(20)]
            for thread in clients:
                thread.start()
            while len(received) < stop_after and any(t.is_alive() for t in clients):
                time.sleep(0.002)
            proxy.stop(signal.SIGKILL)
            for thread in clients:
                thread.join()
            recorded = {record.get("resource") for record in records(ledger)}
            missing = len(set(received) - recorded)
            answered_total += len(received)
            missed_total += missing
            missed_runs += missing > 0
    finally:
        serve.stop()
    return (
        f"9. kill -9 during 500 requests from 20 clients, {runs} runs: {missed_runs} runs "
        f"missed exchanges the client received ({missed_total} of {answered_total} answers)"
    )


def faults(folder: Path) -> str:
    with (
        upstream_and_proxy(folder) as (proxy, _ledger),
        httpx.Client(base_url=proxy.url, timeout=DEADLINE) as http,
    ):
        added = http.post("/_calbot/faults", json={"faults": ["429:*:retry-after=3600"]})
        other = http.get(
            "/api/v1/bot/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/",
            headers={"Authorization": f"Token {KEY}"},
        )
    return (
        f"10. POST /_calbot/faults without a key: {added.status_code}; another client's next "
        f"request: {other.status_code}"
        + (f" (Retry-After: {other.headers['retry-after']})" if other.status_code == 429 else "")
    )


def exposed(folder: Path) -> list[str]:
    out = []
    for command in (["proxy", "--upstream", "http://127.0.0.1:9"], ["serve"]):
        started = Started([*command, "--host", "0.0.0.0"])
        started.stop()
        warned = [line for line in started.stderr().splitlines() if "warning" in line.lower()]
        out.append(
            f"11. calbot {command[0]} --host 0.0.0.0: "
            + (f"stderr says {warned[0]!r}" if warned else "nothing on stderr")
        )
    return out


def streaming(folder: Path) -> str:
    size = 100 * MB
    head = f"HTTP/1.1 200 OK\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n".encode()

    def answer(conn: socket.socket) -> None:
        conn.sendall(head)
        chunk = b"y" * (1 << 20)
        for start in range(0, size, len(chunk)):
            conn.sendall(chunk[: min(len(chunk), size - start)])

    with scripted(answer) as upstream, upstream_and_proxy(folder, upstream) as (proxy, ledger):
        body = (b"x" * MB for _ in range(100))
        started = time.monotonic()
        received = 0
        with (
            PeakRss(proxy.process.pid) as rss,
            httpx.Client(timeout=120) as http,
            http.stream(
                "POST", proxy.url + "/upload", content=body, headers={"Content-Length": str(size)}
            ) as reply,
        ):
            for chunk in reply.iter_raw():
                received += len(chunk)
        peak = rss.peak
        took = time.monotonic() - started
        time.sleep(0.2)
        found = records(ledger)
    return (
        f"12. 100 MB up and 100 MB down: {received / MB:.0f} MB back in {took:.1f} s, proxy RSS "
        f"peak {peak:.0f} MB; ledger: {[r['status'] for r in found]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20, help="kill -9 runs")
    parser.add_argument("--only", help="probe numbers to run, e.g. 1,9 (default: all)")
    args = parser.parse_args()
    chosen = {int(n) for n in args.only.split(",")} if args.only else set(range(1, 13))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        probes: list[Callable[[], str | list[str]]] = [
            lambda: big_bodies(folder),
            lambda: short_key(folder),
            lambda: many_keys(folder),
            lambda: bearer(folder),
            lambda: client_side_limits(folder),
            lambda: big_headers(folder),
            lambda: slow_upstream(folder),
            lambda: sigterm(folder),
            lambda: kill_9(folder, args.runs),
            lambda: faults(folder),
            lambda: exposed(folder),
            lambda: streaming(folder),
        ]
        for number, probe in enumerate(probes, 1):
            if number not in chosen:
                continue
            result = probe()
            for line in [result] if isinstance(result, str) else result:
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
