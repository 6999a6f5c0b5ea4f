"""The reference server under hostile and long-lived use, over real sockets on 127.0.0.1.

Short configured limits keep every case well under a second or two: faults per workspace,
request and idle timeouts, the connection cap, header limits, JSON answers to what the HTTP
parser refuses (one log line per connection), a graceful stop that ledgers its 503s, bounded
state with `/_calbot/reset`, and API keys masked in the ledger.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from calbot.contracts.masking import MASK
from calbot.server import App, ServerConfig, create_app, running
from calbot.server.config import Limits
from calbot.server.faults import Faults, parse_fault
from calbot.server.recorder import LedgerRecorder
from calbot.spec.throttles import RateLimit

K1, K2 = "Key-One-secret", "Key-Two-secret"
LIMITS = Limits(
    request_timeout=0.4,
    idle_timeout=0.4,
    max_connections=8,
    max_header_bytes=4096,
    shutdown_grace=0.3,
)
DEADLINE = 3.0  # no single socket wait in this module lasts longer
EVENT = {
    "state": "a calendar event",
    "params": {
        "start_time": "2030-01-01T10:00:00Z",
        "end_time": "2030-01-01T10:30:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    },
}
SCHEDULE = {"deduplication_key": "k", "bot_config": {}}


@dataclass
class Server:
    url: str
    app: App
    ledger: LedgerRecorder
    faults: Faults

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=DEADLINE)
        return sock

    def client(self, key: str | None = K1) -> httpx.Client:
        headers = {"Authorization": f"Token {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=DEADLINE)


@contextmanager
def serving(
    *,
    keys: tuple[str, ...] = (K1, K2),
    limits: Limits = LIMITS,
    faults: tuple[str, ...] = (),
    refusal_log_level: str = "info",
    **settings: Any,
) -> Iterator[Server]:
    ledger = LedgerRecorder(api_keys=keys)
    injected = Faults(fault for spec in faults for fault in parse_fault(spec))
    config = ServerConfig(
        api_keys=keys,
        rate_limit=settings.pop("rate_limit", RateLimit(10_000, 60)),
        limits=limits,
        hooks=(ledger, injected),
        **settings,
    )
    app = create_app(config)
    with running(app=app, refusal_log_level=refusal_log_level) as url:
        yield Server(url, app, ledger, injected)


def read_answer(sock: socket.socket) -> tuple[int | None, dict[str, Any] | None, bool, float]:
    """(status, JSON body, closed by the server, seconds waited) of what the server sends."""
    started = time.monotonic()
    data = b""
    closed = False
    while time.monotonic() - started < DEADLINE:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break  # still open at the deadline
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    waited = time.monotonic() - started
    if not data:
        return None, None, closed, waited
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower(), head
    return status, json.loads(body), closed, waited


def new_event(server: Server, key: str = K1) -> str:
    with server.client(key) as http:
        created = http.post("/_calbot/states", json=EVENT)
        assert created.status_code == 200, created.text
        ident: str = created.json()["id"]
        return ident


# --- 1. faults per workspace ------------------------------------------------------------------


def test_the_faults_endpoint_wants_a_valid_key_when_the_server_has_keys() -> None:
    with serving() as server, server.client(None) as anonymous, server.client("wrong") as wrong:
        for http in (anonymous, wrong):
            assert http.post("/_calbot/faults", json={"faults": ["500:*"]}).status_code == 401
            assert http.get("/_calbot/faults").status_code == 401
            assert http.delete("/_calbot/faults").status_code == 401
        assert server.faults.pending == []


def test_a_fault_serves_only_the_workspace_that_injected_it() -> None:
    with serving() as server, server.client(K1) as one, server.client(K2) as two:
        mine, theirs = new_event(server, K1), new_event(server, K2)
        added = one.post("/_calbot/faults", json={"faults": ["503:1"]})
        assert added.json() == {"pending": ["503:1"]}
        assert two.get("/_calbot/faults").json() == {"pending": []}
        assert two.get(f"/api/v2/calendar-events/{theirs}/").status_code == 200
        two.post("/_calbot/faults", json={"faults": ["429:*"]})
        assert two.delete("/_calbot/faults").json() == {"pending": []}  # only its own
        assert one.get("/_calbot/faults").json() == {"pending": ["503:1"]}
        assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 503
        assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 200


def test_operator_faults_serve_every_workspace() -> None:
    with serving(faults=("503:2",)) as server, server.client(K1) as one, server.client(K2) as two:
        mine, theirs = new_event(server, K1), new_event(server, K2)
        assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 503
        assert two.get(f"/api/v2/calendar-events/{theirs}/").status_code == 503
        assert two.delete("/_calbot/faults").status_code == 200
        assert server.faults.pending == []  # both used up, none cleared by a workspace


# --- 2. timeouts, limits ------------------------------------------------------------------------


def test_a_stalled_body_gets_408_json_and_is_closed_and_ledgered() -> None:
    with serving() as server:
        event = new_event(server)
        with server.connect() as sock:
            sock.sendall(
                f"POST /api/v2/calendar-events/{event}/bot/ HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Token {K1}\r\nContent-Type: application/json\r\n"
                'Content-Length: 1000\r\n\r\n{"dedupl'.encode()
            )
            status, body, closed, waited = read_answer(sock)
        assert (status, closed) == (408, True)
        assert body is not None and "0.4 seconds" in body["detail"]
        assert 0.3 < waited < 2.5
        assert server.ledger.records[-1].status == 408


def test_slow_headers_get_408_json_and_are_closed() -> None:
    with serving() as server, server.connect() as sock:
        sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        try:
            while time.monotonic() - started < DEADLINE:  # slowloris: one byte at a time
                sock.sendall(b"X")
                time.sleep(0.05)
        except OSError:
            pass  # closed under us: what we want
        status, body, closed, _ = read_answer(sock)
        assert time.monotonic() - started < 2.5
        assert (status, closed) == (408, True)
        assert body is not None and body["detail"].startswith("Request timeout")


def test_idle_connections_are_closed_new_or_kept_alive() -> None:
    with serving() as server:
        fresh = [server.connect() for _ in range(5)]
        kept = server.connect()
        kept.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        with ExitStack() as stack:
            for sock in [*fresh, kept]:
                stack.enter_context(sock)
            for sock in [*fresh, kept]:
                status, _, closed, waited = read_answer(sock)
                assert (status, closed) == (None, True)
                assert waited < 2.5


def test_connections_past_the_cap_get_503_json() -> None:
    with serving() as server, ExitStack() as stack:
        for _ in range(LIMITS.max_connections):
            stack.enter_context(server.connect())
        time.sleep(0.05)  # let the server accept them
        with server.connect() as extra:
            status, body, closed, _ = read_answer(extra)
        assert (status, closed) == (503, True)
        assert body is not None and "Too many connections" in body["detail"]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /_calbot/health?" + b"q" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n", 431),
        (b"GET /_calbot/health HTTP/1.1\r\n" + b"X-Many: 1234567890\r\n" * 400 + b"\r\n", 431),
    ],
    ids=["long query", "one big header", "many headers"],
)
def test_oversize_heads_get_414_or_431_json(head: bytes, status: int) -> None:
    with serving() as server, server.connect() as sock:
        sock.sendall(head)
        answer, body, closed, _ = read_answer(sock)
        assert (answer, closed) == (status, True)
        assert body is not None and "4096 bytes" in body["detail"]


def test_headers_that_keep_coming_are_cut_off_at_the_limit() -> None:
    with serving() as server, server.connect() as sock:
        sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(50):  # 50 x 1 KB, well past the 4 KB limit, in separate chunks
                sock.sendall(b"X-Pad: " + b"p" * 1017 + b"\r\n")
                time.sleep(0.005)
        except OSError:
            pass  # closed under us: what we want
        status, _, closed, _ = read_answer(sock)
        assert (status, closed) == (431, True)  # before the head ever ended


# --- 6. what the HTTP parser refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"GET /a b/c HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
    ids=["raw space in the path", "non-ASCII path", "not HTTP"],
)
def test_parser_refusals_are_json_and_one_log_line_at_the_chosen_level(
    head: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="calbot.server.http")
    with serving(refusal_log_level="warning") as server, server.connect() as sock:
        sock.sendall(head + head)  # the same garbage twice on one connection
        status, body, closed, _ = read_answer(sock)
    assert (status, closed) == (400, True)
    assert body is not None and body["detail"].startswith("Invalid HTTP request")
    lines = [r for r in caplog.records if r.name == "calbot.server.http"]
    assert [r.levelno for r in lines] == [logging.WARNING]


def test_refusal_lines_log_at_debug_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="calbot.server.http")
    with serving(refusal_log_level="debug") as server, server.connect() as sock:
        sock.sendall(b"GET /a b HTTP/1.1\r\n\r\n")
        assert read_answer(sock)[0] == 400
    assert [r.levelno for r in caplog.records if r.name == "calbot.server.http"] == [logging.DEBUG]


# --- 3. graceful stop -----------------------------------------------------------------------


def test_a_stop_answers_an_unfinished_upload_503_and_ledgers_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = Limits(request_timeout=5, idle_timeout=5, shutdown_grace=0.2)
    answers: list[tuple[int | None, dict[str, Any] | None, bool, float]] = []
    with serving(limits=limits) as server:
        event = new_event(server)
        sock = server.connect()
        sock.sendall(
            f"POST /api/v2/calendar-events/{event}/bot/ HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Token {K1}\r\nContent-Length: 1000\r\n\r\n{{".encode()
        )
        time.sleep(0.1)  # the server is now reading the body
        reader = threading.Thread(target=lambda: answers.append(read_answer(sock)))
        reader.start()
        stopped = time.monotonic()
    stop_took = time.monotonic() - stopped
    reader.join(DEADLINE)
    sock.close()
    status, body, closed, _ = answers[0]
    assert (status, closed) == (503, True)
    assert body is not None and "shutting down" in body["detail"]
    assert stop_took < 2
    assert [r.status for r in server.ledger.records][-1] == 503
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_stopping_app_refuses_new_work_with_503_through_the_core() -> None:
    ledger = LedgerRecorder()
    app = create_app(ServerConfig(hooks=(ledger,)))

    async def go() -> httpx.Response:
        app.stop(0.1)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.get("/_calbot/health")

    import asyncio

    response = asyncio.run(go())
    assert response.status_code == 503
    assert response.headers["connection"] == "close"
    assert [r.status for r in ledger.records] == [503]


def test_sigterm_with_an_unfinished_upload_is_clean(serve_process: Any, tmp_path: Any) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    options = ["--api-key", K1, "--record", str(ledger_path), "--access-log"]
    options += ["--shutdown-grace", "0.2", "--request-timeout", "5"]
    with serve_process(*options) as (process, url, _):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with httpx.Client(base_url=url, timeout=DEADLINE) as http:
            # a key pasted into the path and the query: masked in the ledger and the log
            assert http.get(f"/api/v2/calendar-events/{K1}/?k={K1}").status_code == 401
        sock = socket.create_connection((host, int(port)), timeout=DEADLINE)
        sock.sendall(
            b"POST /api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/ HTTP/1.1"
            b"\r\nHost: x\r\nAuthorization: Token " + K1.encode() + b"\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.2)
        process.terminate()
        status, body, closed, _ = read_answer(sock)
        sock.close()
        assert process.wait(timeout=5) == 0
        assert process.stdout is not None and process.stderr is not None
        stdout, stderr = process.stdout.read(), process.stderr.read()
    assert (status, closed) == (503, True), stderr
    assert body is not None and "shutting down" in body["detail"]
    assert "Traceback" not in stderr and "ERROR" not in stderr
    assert "/api/v2/calendar-events/****/?k=****" in stderr  # the access log, on stderr
    assert stdout == ""
    ledger = ledger_path.read_text()
    assert K1 not in ledger and K1.lower() not in ledger.lower()
    records = [json.loads(line) for line in ledger.splitlines()]
    assert records[0]["path"] == f"/api/v2/calendar-events/{MASK}/"
    assert records[-1]["status"] == 503


# --- 4. bounded state, reset ------------------------------------------------------------------


def test_the_cap_evicts_ended_events_first_and_health_counts_it() -> None:
    with serving(max_events=3) as server, server.client(K1) as http:
        first = new_event(server)
        scheduled = http.post(f"/api/v2/calendar-events/{first}/bot/", json=SCHEDULE)
        assert scheduled.status_code == 200
        ended = {**EVENT["params"], "start_time": "2020-01-01T10:00:00Z"}
        ended["end_time"] = "2020-01-01T10:30:00Z"
        old = http.post("/_calbot/states", json={**EVENT, "params": ended}).json()["id"]
        new_event(server)
        new_event(server)  # the fourth: the ended event goes, though `first` is older
        assert http.get(f"/api/v2/calendar-events/{old}/").status_code == 404
        assert http.get(f"/api/v2/calendar-events/{first}/").status_code == 200
        new_event(server)  # none has ended now: the oldest goes, with its bot
        assert http.get(f"/api/v2/calendar-events/{first}/").status_code == 404
        health = http.get("/_calbot/health").json()
    assert health == {
        "status": "ok",
        "events": 3,
        "bots": 0,
        "max_events_per_workspace": 3,
        "evicted": {"events": 2, "bots": 1},
    }


def test_reset_empties_only_the_callers_workspace() -> None:
    budget = RateLimit(3, 60)
    with (
        serving(rate_limit=budget) as server,
        server.client(K1) as one,
        server.client(K2) as two,
        server.client(None) as anonymous,
    ):
        mine, theirs = new_event(server, K1), new_event(server, K2)
        statuses = [one.get(f"/api/v2/calendar-events/{mine}/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        one.post("/_calbot/faults", json={"faults": ["503:*"]})
        assert anonymous.post("/_calbot/reset").status_code == 401
        assert one.post("/_calbot/reset").status_code == 200
        assert one.get("/_calbot/faults").json() == {"pending": []}
        for _ in range(3):  # a whole budget again, no fault, and the event is gone
            assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 404
        assert two.get(f"/api/v2/calendar-events/{theirs}/").status_code == 200
