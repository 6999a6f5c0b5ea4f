"""A well-behaved client and misbehaving ones, each judged through the `calbot_server` fixture
and through `calbot serve --record` + `calbot client-report`, with the same verdict."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from calbot.cli import cli
from calbot.client_fixture import ClientServer
from calbot.contracts.results import Status
from calbot.contracts.rules import CLIENT_RULES
from calbot.spec.throttles import parse_retry_after

API_KEY = "sk-client-test"
CONFIG: dict[str, Any] = {
    "bot_name": "Notetaker",
    "recording_config": {"transcript": {"provider": {"meeting_captions": {}}}},
    "metadata": {"team": "sales"},
}
RETRYABLE = (409, 429, 502, 503, 504, 507)
# The first schedule is throttled (Retry-After: 1), then two schedules get 503.
FAULTS = ("429:1:op=schedule:retry-after=1", "503:2:op=schedule")
LOOP_FAULTS = ("429:1:op=schedule:retry-after=1", "503:8:op=schedule")


# --- the clients ------------------------------------------------------------------------------


class WellBehaved:
    """Honours Retry-After, backs off on 409/5xx, never retries another 4xx, keys an event by
    its meeting ({start_time}-{meeting_url}) and sends the full config every time."""

    attempts = 6
    backoff = 0.1

    def __init__(self, http: httpx.Client, sleep: Callable[[float], None]) -> None:
        self.http = http
        self.sleep = sleep
        self.configs: dict[str, dict[str, Any]] = {}

    def key(self, event: dict[str, Any]) -> str:
        return f"{event['start_time']}-{event['meeting_url']}"

    def body(self, event: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"deduplication_key": self.key(event), "bot_config": config}

    def schedule(self, event: dict[str, Any], config: dict[str, Any]) -> dict[str, Any] | None:
        self.configs[event["id"]] = config
        path = f"/api/v2/calendar-events/{event['id']}/bot/"
        body = self.body(event, config)
        delay = self.backoff
        for _ in range(self.attempts):
            response = self.http.post(path, json=body)
            if response.status_code == 200:
                answer: dict[str, Any] = response.json()
                return answer
            if not self.retryable(response):
                return None
            self.wait(response, delay)
            delay *= 2
        return None

    def update(self, event: dict[str, Any], **changes: Any) -> dict[str, Any] | None:
        return self.schedule(event, {**self.configs[event["id"]], **changes})

    def retryable(self, response: httpx.Response) -> bool:
        return response.status_code in RETRYABLE

    def wait(self, response: httpx.Response, delay: float) -> None:
        after = parse_retry_after(response.headers.get("retry-after"))
        self.sleep(after if after is not None else delay)


class IgnoresRetryAfter(WellBehaved):
    def wait(self, response: httpx.Response, delay: float) -> None:
        self.sleep(0.1 if response.status_code == 429 else delay)


class Abort(Exception):
    """The client treats an answer as a permanent failure: the job stops."""


class GivesUpOn429(WellBehaved):
    def retryable(self, response: httpx.Response) -> bool:
        if response.status_code == 429:
            raise Abort(response.status_code)
        return super().retryable(response)


class TightLoop(WellBehaved):
    attempts = 12

    def wait(self, response: httpx.Response, delay: float) -> None:
        if response.status_code < 500:
            super().wait(response, delay)


class RandomKeys(WellBehaved):
    def key(self, event: dict[str, Any]) -> str:
        return uuid.uuid4().hex


class InvalidBodies(WellBehaved):
    def body(self, event: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"deduplication_key": self.key(event), "bot_config": json.dumps(config)}


class RetriesEnded(WellBehaved):
    backoff = 0.02

    def retryable(self, response: httpx.Response) -> bool:
        return response.status_code == 400 or super().retryable(response)


class PartialOverride(WellBehaved):
    def update(self, event: dict[str, Any], **changes: Any) -> dict[str, Any] | None:
        return self.schedule(event, changes)


class GivesUpOnTransient(WellBehaved):
    def retryable(self, response: httpx.Response) -> bool:
        if response.status_code != 429 and super().retryable(response):
            raise Abort(response.status_code)
        return super().retryable(response)


def workload(client: WellBehaved, events: dict[str, dict[str, Any]]) -> None:
    """Schedule A and B (the same meeting), rename A's bot, try the ended event."""
    try:
        client.schedule(events["a"], dict(CONFIG))
        client.schedule(events["b"], dict(CONFIG))
        client.update(events["a"], bot_name="Renamed")
        client.schedule(events["ended"], dict(CONFIG))
    except Abort:
        pass


@dataclass(frozen=True)
class Case:
    client: type[WellBehaved]
    failed: frozenset[str] = frozenset()
    warned: frozenset[str] = frozenset()
    faults: tuple[str, ...] = FAULTS

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


CASES = {
    "well-behaved": Case(WellBehaved),
    "ignores-retry-after": Case(IgnoresRetryAfter, frozenset({"client.retry-after"})),
    "gives-up-on-429": Case(GivesUpOn429, frozenset({"client.retries-throttled"})),
    "tight-loop": Case(TightLoop, frozenset({"client.no-tight-loop"}), faults=LOOP_FAULTS),
    "invalid-bodies": Case(InvalidBodies, frozenset({"client.request-conforms"})),
    "retries-ended": Case(RetriesEnded, frozenset({"client.ended-not-retried"})),
    "random-keys": Case(
        RandomKeys, warned=frozenset({"client.dedup-stable-key", "client.dedup-same-meeting"})
    ),
    "partial-override": Case(PartialOverride, warned=frozenset({"client.override-full-config"})),
    "gives-up-on-transient": Case(
        GivesUpOnTransient, warned=frozenset({"client.retries-transient"})
    ),
}


def test_every_client_rule_is_broken_by_some_client() -> None:
    broken = set().union(*(case.failed | case.warned for case in CASES.values()))
    assert broken == {rule.id for rule in CLIENT_RULES}


def broken_rules(checks: Any) -> tuple[set[str], set[str]]:
    failed = {check.rule for check in checks if check.status is Status.FAILED}
    warned = {check.rule for check in checks if check.status is Status.WARNING}
    return failed, warned


# --- through the fixture ----------------------------------------------------------------------


def fixture_events(server: ClientServer) -> dict[str, dict[str, Any]]:
    a = server.create_event()
    b = server.create_event(start_time=a["start_time"])  # the same meeting, on another calendar
    return {"a": a, "b": b, "ended": server.create_event("ended")}


@pytest.mark.calbot_relaxed
@pytest.mark.parametrize("name", list(CASES))
def test_through_the_fixture(calbot_server: ClientServer, name: str) -> None:
    case = CASES[name]
    for spec in case.faults:
        calbot_server.fault(spec)
    events = fixture_events(calbot_server)
    with calbot_server.client() as http:
        workload(case.client(http, calbot_server.sleep), events)
    checks = calbot_server.checks()
    assert broken_rules(checks) == (set(case.failed), set(case.warned)), [
        f.message for f in calbot_server.violations()
    ]
    assert calbot_server.result().exit_code == case.exit_code
    if name == "well-behaved":  # the workload exercises every rule
        assert {check.status for check in checks} == {Status.PASSED}
        assert calbot_server.violations() == []


def test_well_behaved_passes_strictly_over_real_http(calbot_server: ClientServer) -> None:
    """No marker: the fixture's teardown is the assertion."""
    for spec in FAULTS:
        calbot_server.fault(spec)
    events = fixture_events(calbot_server)
    assert calbot_server.url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=calbot_server.url, headers=calbot_server.headers) as http:
        workload(WellBehaved(http, calbot_server.sleep), events)
    assert [record.status for record in calbot_server.ledger[3:7]] == [429, 503, 503, 200]


def test_an_async_client_in_process(calbot_server: ClientServer) -> None:
    import asyncio

    event = calbot_server.create_event()
    calbot_server.fail_next(1, status=429, retry_after=3)

    async def schedule() -> int:
        async with calbot_server.async_client() as http:
            path = f"/api/v2/calendar-events/{event['id']}/bot/"
            body = {"deduplication_key": "standup", "bot_config": {"bot_name": "Notetaker"}}
            while (response := await http.post(path, json=body)).status_code == 429:
                await calbot_server.asleep(float(response.headers["retry-after"]))
            return response.status_code

    assert asyncio.run(schedule()) == 200
    assert [record.status for record in calbot_server.ledger[1:]] == [429, 200]


# --- through `calbot serve --record` and `calbot client-report` ---------------------------------


def http_events(http: httpx.Client) -> dict[str, dict[str, Any]]:
    def create(start: datetime) -> dict[str, Any]:
        params = {
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(minutes=30)).isoformat(),
            "meeting_url": "https://meet.google.com/abc-defg-hij",
        }
        response = http.post(
            "/_calbot/states", json={"state": "a calendar event", "params": params}
        )
        assert response.status_code == 200, response.text
        event: dict[str, Any] = response.json()
        return event

    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = hour + timedelta(days=1)
    return {"a": create(start), "b": create(start), "ended": create(hour - timedelta(hours=3))}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_through_serve_and_client_report(
    tmp_path: Path, name: str, serve_process: Callable[..., AbstractContextManager[Any]]
) -> None:
    case = CASES[name]
    ledger = tmp_path / "ledger.jsonl"
    faults = [option for spec in case.faults for option in ("--fault", spec)]
    options = ("--api-key", API_KEY, "--record", str(ledger), *faults)
    with serve_process(*options) as (process, url, _):
        headers = {"Authorization": f"Token {API_KEY}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
            workload(case.client(http, time.sleep), http_events(http))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert API_KEY not in ledger.read_text()

    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["client-report", str(ledger), "--report-dir", str(out)])
    assert result.exit_code == case.exit_code, result.output
    data = json.loads((out / "calbot-result.json").read_text())
    assert data["kind"] == "client" and data["exit_code"] == case.exit_code
    failed = {c["rule"] for c in data["checks"] if c["status"] == "failed"}
    warned = {c["rule"] for c in data["checks"] if c["status"] == "warning"}
    assert (failed, warned) == (set(case.failed), set(case.warned)), result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "calbot-junit.xml",
        "calbot-report.html",
        "calbot-report.md",
        "calbot-result.json",
    ]
    for rule in case.failed | case.warned:
        assert rule in result.output and rule in (out / "calbot-report.md").read_text()
    if case.warned and not case.failed:
        again = ["client-report", str(ledger), "--strict", "-q", "--report-dir", str(out)]
        strict = CliRunner().invoke(cli, again)
        assert strict.exit_code == 1, strict.output
