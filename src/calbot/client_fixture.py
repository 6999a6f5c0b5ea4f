"""The `calbot_server` pytest fixture: calbot's reference server, for testing an API client.

Every request your client sends is recorded in a ledger; at teardown the client rules
(`calbot.contracts.rules.CLIENT_RULES`) are checked against it, and any MUST rule
broken fails the test with a readable list, as pytest_httpx fails on unexpected requests.
SHOULD rules (deduplication and override hygiene) are reported as `ClientRuleWarning`s.

    import httpx

    def test_schedules_through_a_throttle(calbot_server):
        event = calbot_server.create_event()              # an upcoming event
        calbot_server.fail_next(1, status=429, retry_after=2)
        with httpx.Client(base_url=calbot_server.url, headers=calbot_server.headers) as http:
            my_client = MyRecallClient(http, sleep=calbot_server.sleep)  # no real sleeping
            my_client.schedule(event)
        assert calbot_server.ledger[-1].status == 200

`calbot_server.url` is a real server on 127.0.0.1; `transport` / `async_transport` serve the
same app in-process (faster; `client()` / `async_client()` build httpx clients on them).
`@pytest.mark.calbot_relaxed` keeps violations from failing the test (check them yourself
with `violations()`); `@pytest.mark.calbot_relaxed("client.dedup-same-meeting", ...)` relaxes
only those rules. Settings come from a `calbot_server_options` fixture, if you define one:

    @pytest.fixture
    def calbot_server_options():
        return ClientServerOptions(api_key="sk-test", tight_loop="3/1s", strict_warnings=True)
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from calbot.contracts.clients.ledger import LedgerRecord, answer_message
from calbot.contracts.clients.options import ClientRuleOptions
from calbot.contracts.clients.verify import client_result
from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp
from calbot.contracts.engine.transport import SyncASGITransport
from calbot.contracts.results import CheckResult, Finding, RunResult, Status
from calbot.contracts.rules import CLIENT_RULES_BY_ID, DEFAULT_TIGHT_LOOP
from calbot.exceptions import ClientRuleViolation, ClientRuleWarning
from calbot.reports.formats import FORMATS
from calbot.server import App, Request, ServerConfig, create_app, running
from calbot.server.faults import Fault, Faults, parse_fault, scenario
from calbot.server.recorder import LedgerRecorder
from calbot.spec.states import DEFAULT_MEETING_URL, STATE_NAME, STATES_PATH
from calbot.spec.throttles import RateLimit, parse_rate_limit
from calbot.violations import describe_violations

DEFAULT_API_KEY = "calbot-test-key"
IN_PROCESS_URL = "http://calbot.test"
RELAXED_MARKER = "calbot_relaxed"
OPTIONS_FIXTURE = "calbot_server_options"

__all__ = [
    "DEFAULT_API_KEY",
    "ClientRuleViolation",
    "ClientRuleWarning",
    "ClientServer",
    "ClientServerOptions",
    "ServerClock",
    "calbot_server_fixture",
]


@dataclass(frozen=True, slots=True)
class ClientServerOptions:
    """How the fixture's server behaves and how strictly the client is judged.

    `api_key`: the one key the server accepts (None: any key, or none). `rate_limit`: one
    budget for every operation, e.g. "5/1s" (None: the documented 600/60s and so on).
    `tight_loop`: more than N requests per period to the same call after a 429 or 5xx is a
    tight loop (default 5/1s). `strict_warnings`: SHOULD rules fail the test too. `record`:
    also write the ledger to this JSONL file (for `calbot client-report`). `faults`: fault
    specs queued at start, as `calbot serve --fault` reads them.
    """

    api_key: str | None = DEFAULT_API_KEY
    rate_limit: RateLimit | str | None = None
    tight_loop: RateLimit | str = DEFAULT_TIGHT_LOOP
    strict_warnings: bool = False
    record: str | Path | None = None
    faults: Sequence[str] = field(default=())

    def budget(self) -> RateLimit | None:
        value = self.rate_limit
        return parse_rate_limit(value) if isinstance(value, str) else value

    def loop_limit(self) -> RateLimit:
        value = self.tight_loop
        return parse_rate_limit(value) if isinstance(value, str) else value


class ServerClock:
    """The server's clock: real time, plus whatever `advance` (a fake sleep) has added."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime.now(UTC)
        self._origin = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._origin + self._offset
        return self._start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> None:
        """Move the clock forward without waiting."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds


class ClientServer:
    """A reference server recording every request, with fault injection and event set-up."""

    def __init__(self, options: ClientServerOptions | None = None, *, name: str = "client"):
        self.options = options or ClientServerOptions()
        self.name = name
        self.api_key = self.options.api_key
        self.clock = ServerClock()
        keys = (self.api_key,) if self.api_key else ()
        self._ledger = LedgerRecorder(self.options.record, clock=self.clock, api_keys=keys)
        self._faults = Faults(fault for spec in self.options.faults for fault in parse_fault(spec))
        config = ServerConfig(
            api_keys=keys,
            rate_limit=self.options.budget(),
            clock=self.clock,
            hooks=(self._ledger, self._faults),
        )
        self.app: App = create_app(config)
        self._stack = ExitStack()
        self._url: str | None = None
        self._transport: SyncASGITransport | None = None
        self._async_transport: httpx.ASGITransport | None = None
        self._events = 0

    # --- reaching the server -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the server on 127.0.0.1 (started on first use)."""
        if self._url is None:
            self._url = self._stack.enter_context(running(app=self.app))
        return self._url

    @property
    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport to the same server, in-process (no sockets).

        Closing a client that uses it leaves it open; the fixture closes it at teardown.
        """
        if self._transport is None:
            self._transport = SyncASGITransport(self.app)
        return _Shared(self._transport)

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport to the same server, in-process."""
        if self._async_transport is None:
            self._async_transport = httpx.ASGITransport(app=self.app)
        return self._async_transport

    @property
    def headers(self) -> dict[str, str]:
        """The `Authorization` header the server expects."""
        return {"Authorization": f"Token {self.api_key}"} if self.api_key else {}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx.Client on the in-process transport, with the API key set."""
        kwargs.setdefault("base_url", IN_PROCESS_URL)
        kwargs.setdefault("headers", self.headers)
        return httpx.Client(transport=self.transport, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx.AsyncClient on the in-process transport, with the API key set."""
        kwargs.setdefault("base_url", IN_PROCESS_URL)
        kwargs.setdefault("headers", self.headers)
        return httpx.AsyncClient(transport=self.async_transport, **kwargs)

    # --- time ----------------------------------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """A fake `time.sleep`: moves the server's clock instead of waiting."""
        self.clock.advance(max(0.0, seconds))

    async def asleep(self, seconds: float) -> None:
        """A fake `asyncio.sleep`: moves the server's clock instead of waiting."""
        self.clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    # --- state and faults ----------------------------------------------------------------------

    def create_event(self, kind: str = "upcoming", **params: Any) -> dict[str, Any]:
        """Create a calendar event and return it (the CalendarEvent JSON).

        `kind`: "upcoming" (starts tomorrow; each new event an hour after the previous one)
        or "ended" (ended over an hour ago). `params` override the provider-state params:
        start_time, end_time (datetimes or RFC 3339 strings), meeting_url, platform,
        calendar_id, is_deleted, id.
        """
        if kind not in ("upcoming", "ended"):
            raise ValueError(f"kind must be 'upcoming' or 'ended', not {kind!r}")
        now = self.clock()
        if kind == "upcoming":
            base = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
            start = base + timedelta(hours=self._events)
        else:
            start = now.replace(second=0, microsecond=0) - timedelta(hours=2 + self._events)
        values = {key: _timestamp(value) for key, value in params.items()}
        if "start_time" in values and "end_time" not in values:
            given = parse_timestamp(values["start_time"])
            start = given or start
        values.setdefault("start_time", format_timestamp(start))
        values.setdefault("end_time", format_timestamp(start + timedelta(minutes=30)))
        values.setdefault("meeting_url", DEFAULT_MEETING_URL)
        body = {"state": STATE_NAME, "action": "setup", "params": values}
        headers = {"content-type": "application/json", **_lower(self.headers)}
        request = Request("POST", STATES_PATH, headers, json.dumps(body).encode())
        response = self.app.core.handle(request)
        if response.status != 200:
            raise ValueError(f"calbot could not create the event: {answer_message(response.body)}")
        self._events += 1
        return dict(response.body)

    def fail_next(
        self,
        n: int = 1,
        status: int | str = 429,
        *,
        retry_after: int | None = None,
        operation: str | None = None,
    ) -> None:
        """Answer the next `n` API requests (or those to `operation`) with `status`.

        `status`: 429 (Retry-After defaults to 1), 409, 500, 502, 503, 504, 507, or "ended"
        (the ended-event 400, schedule only). `operation`: "schedule", "unschedule",
        "get-event" or "get-bot". Faults queue up: a second call applies after the first.
        """
        self._faults.add(Fault(str(status), n, retry_after, operation))

    def fault(self, spec: str) -> None:
        """Queue faults from a spec, as `calbot serve --fault` reads it (`429:3:retry-after=2`)."""
        self._faults.add_spec(spec)

    def scenario(self, name: str) -> None:
        """Queue a named scenario, e.g. "throttle-after-3" (see calbot.server.faults)."""
        self._faults.add(*scenario(name))

    @property
    def pending_faults(self) -> list[str]:
        """The faults not yet used up."""
        return self._faults.pending

    # --- verdict -------------------------------------------------------------------------------

    @property
    def ledger(self) -> list[LedgerRecord]:
        """Every request so far, with its answer (oldest first)."""
        return self._ledger.records

    def result(self, *, ignore: Iterable[str] = ()) -> RunResult:
        """The client rules' verdict on the ledger so far (kind "client", for the reports)."""
        options = ClientRuleOptions(self.options.loop_limit(), frozenset(ignore))
        return client_result(
            self.ledger,
            options,
            target=self.name,
            strict=self.options.strict_warnings,
            details={"server": "calbot_server fixture"},
        )

    def checks(self, *, ignore: Iterable[str] = ()) -> list[CheckResult]:
        """One check per client rule: passed, failed, warning, or skipped (not exercised)."""
        return self.result(ignore=ignore).checks

    def violations(
        self, *, include_warnings: bool = True, ignore: Iterable[str] = ()
    ) -> list[Finding]:
        """The findings of every broken rule (MUST, and SHOULD unless told not to)."""
        shown = (Status.FAILED, Status.WARNING) if include_warnings else (Status.FAILED,)
        return [
            finding
            for check in self.checks(ignore=ignore)
            if check.status in shown
            for finding in check.findings
        ]

    def verify(self, *, ignore: Iterable[str] = ()) -> None:
        """Raise ClientRuleViolation listing the broken rules; warn about SHOULD ones."""
        checks = self.checks(ignore=ignore)
        strict = self.options.strict_warnings
        failing = [c for c in checks if c.status is Status.FAILED or (strict and c.findings)]
        if failing:
            raise ClientRuleViolation(describe_violations(checks, include_warnings=strict))
        if any(check.status is Status.WARNING for check in checks):
            text = describe_violations(checks)
            warnings.warn(ClientRuleWarning(f"calbot (not failing): {text}"), stacklevel=2)

    def write_reports(
        self, out_dir: str | Path, formats: Iterable[str] = FORMATS
    ) -> dict[str, Path]:
        """Write calbot's reports of the verdict so far into `out_dir`."""
        from calbot.reports import write_reports

        secrets = [self.api_key] if self.api_key else []
        return write_reports(self.result(), formats, out_dir, secrets=secrets)

    def close(self) -> None:
        """Stop the server, close the transports and the ledger file."""
        self._stack.close()
        if self._transport is not None:
            self._transport.close()
        self._ledger.close()


class _Shared(httpx.BaseTransport):
    """A transport many clients share: closing one client does not close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Left open: its owner closes it."""


def _timestamp(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def calbot_server_fixture(request: pytest.FixtureRequest) -> Iterator[ClientServer]:
    """The body of the `calbot_server` fixture: a ClientServer, verified strictly at teardown."""
    options = _options(request)
    relaxed, ignore = _relaxation(request)
    server = ClientServer(options, name=f"client in {request.node.nodeid}")
    try:
        yield server
        if not relaxed:
            broken = None
            try:
                server.verify(ignore=ignore)
            except ClientRuleViolation as exc:
                broken = str(exc)
            if broken is not None:
                hint = f"(mark the test @pytest.mark.{RELAXED_MARKER} to allow this)"
                pytest.fail(f"calbot: {broken}\n{hint}", pytrace=False)
    finally:
        server.close()


def _options(request: pytest.FixtureRequest) -> ClientServerOptions:
    try:
        value = request.getfixturevalue(OPTIONS_FIXTURE)
    except pytest.FixtureLookupError:
        return ClientServerOptions()
    if isinstance(value, ClientServerOptions):
        return value
    if isinstance(value, dict):
        return ClientServerOptions(**value)
    raise TypeError(f"{OPTIONS_FIXTURE} must return ClientServerOptions or a dict")


def _relaxation(request: pytest.FixtureRequest) -> tuple[bool, frozenset[str]]:
    """(fully relaxed, rules to ignore) from the `calbot_relaxed` marker."""
    marker = request.node.get_closest_marker(RELAXED_MARKER)
    if marker is None:
        return False, frozenset()
    if not marker.args:
        return True, frozenset()
    unknown = [rule for rule in marker.args if rule not in CLIENT_RULES_BY_ID]
    if unknown:
        known = ", ".join(CLIENT_RULES_BY_ID)
        pytest.fail(f"{RELAXED_MARKER}: unknown client rule {unknown}; known: {known}")
    return False, frozenset(marker.args)
