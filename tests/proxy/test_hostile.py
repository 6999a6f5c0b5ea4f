"""calbot proxy under hostile and long-lived use, over real sockets on 127.0.0.1, as
tests/server/test_hostile.py does for the reference server.

Short configured limits keep every case well under a second or two. The rows of issue 18, in
order: bodies over the upstream's limit, short and Bearer keys, many distinct keys, the
server's limits on the client side (timeouts, idle connections, the cap, header sizes, JSON
refusals), the upstream's deadline, answers broken off, the graceful stop, `kill -9`, faults
per key, and the warning for a non-loopback --host.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from calbot.contracts.clients.ledger import LedgerRecord, read_ledger
from calbot.contracts.masking import MASK, MIN_SECRET
from calbot.contracts.traffic.verdict import traffic_result
from calbot.proxy import ProxyConfig, ProxyRecorder, create_proxy, running_proxy
from calbot.proxy.credentials import CAPACITY, Credentials
from calbot.server import ServerConfig, running
from calbot.server.faults import Faults
from calbot.serving.limits import Limits
from calbot.spec.throttles import RateLimit

from .upstreams import ANSWER, misbehaving, scripted

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
CALBOT = [sys.executable, "-m", "calbot"]
Answer = tuple[int | None, dict[str, Any] | None, bool, float]


@dataclass
class Proxied:
    url: str
    ledger: ProxyRecorder
    faults: Faults

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def connect(self) -> socket.socket:
        return socket.create_connection(self.address, timeout=DEADLINE)

    def client(self, key: str | None = K1, scheme: str = "Token") -> httpx.Client:
        headers = {"Authorization": f"{scheme} {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=DEADLINE)

    @property
    def records(self) -> list[LedgerRecord]:
        return self.ledger.records


@contextmanager
def reference(**settings: Any) -> Iterator[str]:
    """calbot's reference server as the upstream, keys K1 and K2, no throttling."""
    settings.setdefault("rate_limit", RateLimit(10_000, 60))
    with running(ServerConfig(api_keys=(K1, K2), **settings)) as url:
        yield url


@contextmanager
def proxying(
    upstream: str, *, limits: Limits = LIMITS, timeout: float = 2.0, **options: Any
) -> Iterator[Proxied]:
    ledger, faults = ProxyRecorder(), Faults()
    config = ProxyConfig(
        upstream, timeout=timeout, faults=faults, ledger=ledger, limits=limits, **options
    )
    with running_proxy(create_proxy(config)) as url:
        yield Proxied(url, ledger, faults)


def read_answer(sock: socket.socket, *, json_body: bool = True) -> Answer:
    """(status, JSON body, closed by the proxy, seconds waited) of what the proxy sends."""
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
    if not json_body:
        return status, None, closed, waited
    assert b"content-type: application/json" in head.lower(), head
    return status, json.loads(body), closed, waited


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


def new_event(http: httpx.Client) -> str:
    created = http.post("/_calbot/states", json=EVENT)
    assert created.status_code == 200, created.text
    ident: str = created.json()["id"]
    return ident


# --- 1. a body over the upstream's limit ------------------------------------------------------


@pytest.mark.parametrize("size", [3_000, 300_000, 3_000_000])
def test_a_body_over_the_upstreams_limit_is_its_413_or_a_json_502_and_recorded(
    size: int, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        reference(max_body_bytes=2000) as upstream,
        proxying(upstream) as proxy,
        proxy.connect() as sock,
    ):
        sock.sendall(
            b"POST /api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/ "
            b"HTTP/1.1\r\nHost: x\r\nAuthorization: Token " + K1.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(size).encode() + b"\r\n\r\n"
        )
        with suppress(OSError):  # the proxy answered and closed before taking it all
            sock.sendall(b"x" * size)
        status, body, closed, _ = read_answer(sock)
    assert status in (413, 502) and closed, status
    assert body is not None and "detail" in body
    (record,) = proxy.records
    assert record.status == status
    if status == 502:
        assert record.upstream_error and record.answered_by == "proxy"
    no_errors_logged(caplog)


def test_the_proxys_own_body_limit_is_413_before_forwarding() -> None:
    with (
        reference() as upstream,
        proxying(upstream, max_body_bytes=300) as proxy,
        proxy.client() as http,
    ):
        refused = http.post("/_calbot/states", content=b"{" + b" " * 400 + b"}")
        streamed = http.post(
            "/_calbot/states", content=iter([b"{" + b" " * 200, b" " * 200 + b"}"])
        )
        fine = http.post("/_calbot/states", json=EVENT)
    assert refused.status_code == 413 and refused.headers["connection"] == "close"
    assert refused.json() == {"detail": "Request body too large: the limit is 300 bytes."}
    assert streamed.status_code == 413  # chunked, no Content-Length: counted as it comes
    assert fine.status_code == 200
    assert [(r.status, r.answered_by) for r in proxy.records] == [
        (413, "proxy"),
        (413, "proxy"),
        (200, "upstream"),
    ]


# --- 2. keys: short ones mask no letters, Bearer like Token, many of them -----------------------


def test_a_short_key_masks_no_letters_and_the_verdict_stays_conformant() -> None:
    with reference() as upstream, proxying(upstream) as proxy:
        with proxy.client("e") as short:
            assert short.get("/api/v2/calendar-events/e/").status_code == 401
        with proxy.client(K1) as http:
            event = new_event(http)
            path = f"/api/v2/calendar-events/{event}/bot/"
            body = {"deduplication_key": "e", "bot_config": {"bot_name": "Meeting notes"}}
            scheduled = http.post(path, json=body)
            assert scheduled.status_code == 200
            assert http.get(f"/api/v2/calendar-events/{event}/").status_code == 200
            http.get(f"/api/v1/bot/{scheduled.json()['bots'][0]['bot_id']}/")
    records = proxy.records
    assert all("****" not in r.path for r in records[1:]), [r.path for r in records]
    assert records[0].path == "/api/v2/calendar-events/e/"  # "e" is no secret worth a mask
    schedule = next(r for r in records if r.method == "POST" and r.path.endswith("/bot/"))
    assert schedule.key == MASK  # exactly the short key: masked in the key field only
    assert schedule.body["bot_config"] == {"bot_name": "Meeting notes"}
    assert traffic_result(records, upstream=upstream).exit_code == 0


def test_a_bearer_key_is_masked_like_a_token() -> None:
    secret = "Bearer-only-secret-0123456789"
    with (
        reference() as upstream,
        proxying(upstream) as proxy,
        proxy.client(secret, scheme="Bearer") as http,
    ):
        path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/"
        body = {
            "deduplication_key": secret,
            "bot_config": {"metadata": {"note": f"key {secret}", "q": f"x-{secret}"}},
        }
        assert http.post(path, json=body).status_code == 401
        assert http.get(f"/api/v1/bot/{secret}/?api_key={secret}").status_code == 401
    lines = "".join(record.to_line() for record in proxy.records)
    assert secret not in lines and secret.lower() not in lines.lower()
    first, second = proxy.records
    assert first.key == MASK and first.workspace == "key1"
    assert first.body["bot_config"]["metadata"] == {"note": "key ****", "q": "x-****"}
    assert second.path == "/api/v1/bot/****/"


def test_remembered_keys_are_bounded_and_new_ones_cost_one_keys_work() -> None:
    credentials = Credentials()
    keys = [f"distinct-key-{n:04d}-{uuid.uuid4().hex}" for n in range(800)]
    labels = [credentials.label(f"Token {key}") for key in keys]
    assert labels[:3] == ["key1", "key2", "key3"] and labels[-1] == "key800"
    assert len(credentials) == CAPACITY
    masker = credentials.masker
    assert masker.text(f"/api/v1/bot/{keys[-1]}/") == "/api/v1/bot/****/"
    assert keys[0] in masker.text(keys[0])  # forgotten: nothing remembers it
    assert credentials.label(f"Bearer {keys[-1]}") == "key800"  # the scheme does not matter
    short = "s" * (MIN_SECRET - 1)
    assert credentials.label(f"Token {short}") == "key801"  # labelled, never a pattern
    assert credentials.masker.text(f"a {short} path") == f"a {short} path"
    assert credentials.masker.value(short) == MASK


def test_many_distinct_keys_through_the_proxy_stay_out_of_the_ledger() -> None:
    keys = [f"k-{uuid.uuid4().hex}" for _ in range(300)]
    with reference() as upstream, proxying(upstream) as proxy, proxy.client(None) as http:
        for key in keys:
            answer = http.get(f"/api/v1/bot/{key}/", headers={"Authorization": f"Token {key}"})
            assert answer.status_code == 401
    lines = "".join(record.to_line() for record in proxy.records)
    assert not any(key in lines for key in keys)
    assert len(proxy.records) == 300 and proxy.records[-1].workspace == "key300"


# --- 3. the server's limits on the client side ------------------------------------------------


def test_a_stalled_body_gets_408_json_is_closed_and_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with reference() as upstream, proxying(upstream) as proxy, proxy.connect() as sock:
        sock.sendall(
            b"POST /api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/bot/ HTTP/1.1\r\n"
            b"Host: x\r\nAuthorization: Token " + K1.encode() + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"dedupl'
        )
        status, body, closed, waited = read_answer(sock)
    assert (status, closed) == (408, True)
    assert body is not None and "0.4 seconds" in body["detail"]
    assert 0.3 < waited < 2.5
    (record,) = proxy.records
    assert (record.status, record.answered_by, record.upstream_error) == (408, "proxy", None)
    no_errors_logged(caplog)


def test_a_body_that_keeps_coming_streams_past_the_request_timeout() -> None:
    chunks = [b'{"pad": "'] + [b"p" * 100_000] * 8 + [b'"}']

    def slowly() -> Iterator[bytes]:
        for chunk in chunks:  # 0.7 s in all, past the 0.4 s request timeout, 100 kB at a time
            time.sleep(0.07)
            yield chunk

    with reference() as upstream, proxying(upstream) as proxy, proxy.client() as http:
        answer = http.post("/_calbot/states", content=slowly())
    assert answer.status_code == 400  # the upstream's answer: no state named
    assert [(r.status, r.answered_by) for r in proxy.records] == [(400, "upstream")]


def test_a_stalled_client_hears_in_time_when_the_upstream_gives_up_first() -> None:
    upstream_limits = Limits(request_timeout=0.2, idle_timeout=1)
    proxy_limits = Limits(request_timeout=0.6, idle_timeout=2)
    with (
        reference(limits=upstream_limits) as upstream,
        proxying(upstream, limits=proxy_limits) as proxy,
        proxy.connect() as sock,
    ):
        sock.sendall(
            b"POST /_calbot/states HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
            + K1.encode()
            + b"\r\nContent-Length: 1000\r\n\r\n{"
        )
        status, body, closed, waited = read_answer(sock)
    assert (status, closed) == (408, True) and 0.4 < waited < 2.0  # the proxy's deadline
    assert body is not None and "0.6 seconds" in body["detail"]
    assert [(r.status, r.answered_by) for r in proxy.records] == [(408, "proxy")]


def test_slow_headers_get_408_json_and_are_closed() -> None:
    with reference() as upstream, proxying(upstream) as proxy, proxy.connect() as sock:
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
    with reference() as upstream, proxying(upstream) as proxy:
        fresh = [proxy.connect() for _ in range(5)]
        kept = proxy.connect()
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
    with reference() as upstream, proxying(upstream) as proxy, ExitStack() as stack:
        for _ in range(LIMITS.max_connections):
            stack.enter_context(proxy.connect())
        time.sleep(0.05)  # let the proxy accept them
        with proxy.connect() as extra:
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
    with reference() as upstream, proxying(upstream) as proxy, proxy.connect() as sock:
        sock.sendall(head)
        answer, body, closed, _ = read_answer(sock)
        assert (answer, closed) == (status, True)
        assert body is not None and "4096 bytes" in body["detail"]
    assert proxy.records == []  # refused before the app: never forwarded


def test_headers_that_keep_coming_are_cut_off_at_the_limit() -> None:
    with reference() as upstream, proxying(upstream) as proxy, proxy.connect() as sock:
        sock.sendall(b"GET /_calbot/health HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(50):  # 50 x 1 KB, well past the 4 KB limit, in separate chunks
                sock.sendall(b"X-Pad: " + b"p" * 1017 + b"\r\n")
                time.sleep(0.005)
        except OSError:
            pass  # closed under us: what we want
        status, _, closed, _ = read_answer(sock)
        assert (status, closed) == (431, True)  # before the head ever ended


def test_parser_refusals_are_json_and_one_log_line_on_the_proxys_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="calbot.proxy.http")
    head = b"GET /a b/c HTTP/1.1\r\nHost: x\r\n\r\n"
    with reference() as upstream, proxying(upstream) as proxy, proxy.connect() as sock:
        sock.sendall(head + head)
        status, body, closed, _ = read_answer(sock)
    assert (status, closed) == (400, True)
    assert body is not None and body["detail"].startswith("Invalid HTTP request")
    lines = [r for r in caplog.records if r.name == "calbot.proxy.http"]
    assert [r.levelno for r in lines] == [logging.INFO]


# --- 4. the upstream's deadline, answers broken off ---------------------------------------------


def test_the_timeout_is_a_deadline_for_the_answer_not_a_timeout_per_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        scripted(misbehaving) as upstream,
        proxying(upstream, timeout=0.5) as proxy,
        proxy.client() as http,
    ):
        started = time.monotonic()
        late = http.get("/slow-head")  # a byte every 0.05 s: each read is quick
        took = time.monotonic() - started
    assert late.status_code == 504 and 0.4 < took < 2.0
    assert late.json()["detail"].endswith("did not answer within 0.5 s")
    assert late.headers["x-calbot-proxy"] == "upstream-error"
    (record,) = proxy.records
    assert record.upstream_error and record.answered_by == "proxy"
    no_errors_logged(caplog)


def test_a_body_past_the_deadline_is_cut_off_and_recorded_as_such(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        scripted(misbehaving) as upstream,
        proxying(upstream, timeout=0.5) as proxy,
        proxy.client() as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get("/slow-body")  # headers at once, then a byte every 0.1 s
    (record,) = proxy.records
    assert record.status == 200 and record.operation is None  # never a clean 200
    assert record.upstream_error is not None
    assert "did not finish its answer within 0.5 s" in record.upstream_error
    no_errors_logged(caplog)


def test_an_upstream_that_breaks_off_is_a_json_502_or_a_cut_answer_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with scripted(misbehaving) as upstream, proxying(upstream) as proxy, proxy.client() as http:
        early = http.get("/broken")  # nothing had gone to the client yet
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/broken-later")  # 9 bytes went out before it broke off
    assert early.status_code == 502 and "broke off" in early.json()["detail"]
    first, second = proxy.records
    assert (first.status, first.answered_by) == (502, "proxy") and first.upstream_error
    assert (second.status, second.answered_by) == (200, "upstream") and second.upstream_error
    assert second.response is None
    no_errors_logged(caplog)


def test_answers_stream_through_and_are_recorded_whole() -> None:
    with scripted(misbehaving) as upstream, proxying(upstream) as proxy, proxy.client() as http:
        assert http.get("/fine").content == ANSWER
    (record,) = proxy.records
    assert record.response == {"detail": "abcdefghijk"} and record.upstream_error is None


# --- 5. the graceful stop -----------------------------------------------------------------------


def test_a_stop_gives_what_is_in_flight_the_grace_then_a_json_503_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers: dict[str, Any] = {}

    def ask(url: str, name: str, path: str) -> None:
        try:
            answers[name] = httpx.get(url + path, timeout=DEADLINE)
        except httpx.HTTPError as error:
            answers[name] = error

    limits = Limits(request_timeout=5, idle_timeout=5, shutdown_grace=0.3)
    with scripted(misbehaving) as upstream:
        with proxying(upstream, timeout=5, limits=limits) as proxy:
            sock = proxy.connect()  # an upload that stalls
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            waiting = threading.Thread(target=ask, args=(proxy.url, "waiting", "/silent"))
            streaming = threading.Thread(target=ask, args=(proxy.url, "streaming", "/slow-body"))
            waiting.start()
            streaming.start()
            time.sleep(0.3)
            stopped = time.monotonic()
        stop_took = time.monotonic() - stopped
        upload = read_answer(sock)
        sock.close()
        waiting.join(DEADLINE)
        streaming.join(DEADLINE)
    assert stop_took < 2
    assert upload[0] == 503 and upload[2]
    waited = answers["waiting"]
    assert isinstance(waited, httpx.Response) and waited.status_code == 503
    assert "shutting down" in waited.json()["detail"]
    assert isinstance(answers["streaming"], httpx.RemoteProtocolError)  # cut, not a clean 200
    by_path = {r.path: r for r in proxy.records}
    assert by_path["/x"].status == 503 and by_path["/silent"].status == 503
    cut = by_path["/slow-body"]
    assert cut.status == 200 and cut.upstream_error and "stopped" in cut.upstream_error
    no_errors_logged(caplog)


# --- 6. faults need a key and serve that key only ---------------------------------------------


def test_the_fault_endpoint_wants_a_key_and_serves_only_the_key_that_asked() -> None:
    with (
        reference() as upstream,
        proxying(upstream) as proxy,
        proxy.client(None) as anonymous,
        proxy.client(K1) as one,
        proxy.client(K2) as two,
    ):
        for verb in ("post", "get", "delete"):
            options = {"json": {"faults": ["503:*"]}} if verb == "post" else {}
            assert getattr(anonymous, verb)("/_calbot/faults", **options).status_code == 401
        assert proxy.faults.pending == []
        mine, theirs = new_event(one), new_event(two)
        assert one.post("/_calbot/faults", json={"faults": ["429:*:retry-after=3600"]}).json() == {
            "pending": ["429:*:retry-after=3600"]
        }
        assert two.get("/_calbot/faults").json() == {"pending": []}
        assert two.get(f"/api/v2/calendar-events/{theirs}/").status_code == 200
        assert anonymous.get(f"/api/v2/calendar-events/{theirs}/").status_code == 401
        assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 429
        assert two.delete("/_calbot/faults").json() == {"pending": []}  # only its own
        assert one.delete("/_calbot/faults").json() == {"pending": []}
        assert one.get(f"/api/v2/calendar-events/{mine}/").status_code == 200


# --- 7. the command line: SIGTERM, kill -9, --host ---------------------------------------------


READY = re.compile(r"listening on (http://[\d.]+:\d+)")


@contextmanager
def proxy_process(upstream: str, *options: str, cwd: Path) -> Iterator[tuple[Any, str]]:
    process = subprocess.Popen(
        [*CALBOT, "proxy", "--upstream", upstream, "--port", "0", *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = READY.search(process.stdout.readline())
        assert match, process.stderr.read() if process.poll() is not None else ""
        yield process, match.group(1).replace("0.0.0.0", "127.0.0.1")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.slow
def test_sigterm_cuts_nothing_silently_and_prints_no_traceback(tmp_path: Path) -> None:
    with (
        scripted(misbehaving) as upstream,
        proxy_process(upstream, "--record", "l.jsonl", "--report", "json", cwd=tmp_path) as (
            process,
            url,
        ),
    ):
        got: list[Any] = []

        def slow() -> None:
            try:
                got.append(httpx.get(url + "/slow-body", timeout=DEADLINE))
            except httpx.HTTPError as error:
                got.append(error)

        reader = threading.Thread(target=slow)
        reader.start()
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        reader.join(DEADLINE)
        assert process.stderr is not None
        stderr = process.stderr.read()
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr
    assert isinstance(got[0], httpx.RemoteProtocolError)  # the client knows it was cut
    (record,) = read_ledger(tmp_path / "l.jsonl")
    assert record.status == 200 and record.upstream_error and "stopped" in record.upstream_error


@pytest.mark.slow
@pytest.mark.parametrize("run", [1, 2])
def test_kill_9_loses_no_answer_a_client_received(tmp_path: Path, run: int) -> None:
    received: list[str] = []
    lock = threading.Lock()
    with (
        reference() as upstream,
        proxy_process(upstream, "--record", "l.jsonl", cwd=tmp_path) as (process, url),
    ):

        def client() -> None:
            with httpx.Client(base_url=url, headers={"Authorization": f"Token {K1}"}) as http:
                while True:
                    ident = str(uuid.uuid4())
                    try:
                        answer = http.get(f"/api/v1/bot/{ident}/")
                    except httpx.HTTPError:
                        return  # the proxy is gone
                    if answer.status_code == 404:
                        with lock:
                            received.append(ident)

        clients = [threading.Thread(target=client) for _ in range(10)]
        for thread in clients:
            thread.start()
        while len(received) < 60 * run:
            time.sleep(0.01)
        process.kill()
        for thread in clients:
            thread.join(DEADLINE)
    recorded = {r.resource for r in read_ledger(tmp_path / "l.jsonl")}
    missing = set(received) - recorded
    assert not missing, f"{len(missing)} of {len(received)} answers not in the ledger"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["proxy", "serve"])
def test_a_non_loopback_host_is_one_warning_line(command: str, tmp_path: Path) -> None:
    extra = ["--upstream", "http://127.0.0.1:9"] if command == "proxy" else []
    for host, warned in (("0.0.0.0", True), ("127.0.0.1", False)):
        process = subprocess.Popen(
            [*CALBOT, command, *extra, "--host", host, "--port", "0"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stderr is not None
        assert "listening on" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        lines = [line for line in process.stderr.read().splitlines() if "warning" in line]
        process.stdout.close()
        process.stderr.close()
        if warned:
            assert len(lines) == 1 and "reachable from other machines" in lines[0], lines
        else:
            assert lines == []
