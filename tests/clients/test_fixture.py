"""The `calbot_server` fixture: event helpers, faults, fake time, strict teardown, the marker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from calbot.client_fixture import (
    DEFAULT_API_KEY,
    ClientRuleWarning,
    ClientServer,
    calbot_server_fixture,
)
from calbot.contracts.domain.timestamps import parse_timestamp

BODY = {"deduplication_key": "standup", "bot_config": {"bot_name": "Notetaker"}}


def schedule(server: ClientServer, event: dict[str, object], body: object = BODY) -> int:
    with server.client() as http:
        return http.post(f"/api/v2/calendar-events/{event['id']}/bot/", json=body).status_code


def finish(fixture: Iterator[ClientServer]) -> None:
    """Run the fixture's teardown."""
    next(fixture, None)


def test_create_event(calbot_server: ClientServer) -> None:
    now = calbot_server.clock()
    first, second = calbot_server.create_event(), calbot_server.create_event()
    start = parse_timestamp(first["start_time"])
    assert start is not None and timedelta(hours=23) < start - now <= timedelta(days=1)
    assert parse_timestamp(second["start_time"]) == start + timedelta(hours=1)
    assert first["meeting_url"] == "https://meet.google.com/abc-defg-hij" and first["bots"] == []
    ended = calbot_server.create_event("ended")
    end = parse_timestamp(ended["end_time"])
    assert end is not None and end < now - timedelta(hours=1)
    assert schedule(calbot_server, ended) == 400
    moved = calbot_server.create_event(
        start_time=start + timedelta(days=3), platform="microsoft_outlook"
    )
    assert parse_timestamp(moved["end_time"]) == start + timedelta(days=3, minutes=30)
    assert moved["platform"] == "microsoft_outlook"
    with pytest.raises(ValueError, match="kind must be"):
        calbot_server.create_event("past")
    with pytest.raises(ValueError, match="could not create the event: meeting_url: Unsupported"):
        calbot_server.create_event(meeting_url="https://example.com/meeting")


def test_the_server_wants_its_api_key(calbot_server: ClientServer) -> None:
    assert calbot_server.api_key == DEFAULT_API_KEY
    assert calbot_server.headers == {"Authorization": f"Token {DEFAULT_API_KEY}"}
    with calbot_server.client(headers={}) as http:
        assert http.get("/api/v2/calendar-events/x/").status_code == 401


@pytest.mark.calbot_relaxed  # it retries after the ended-event 400, on purpose
def test_fail_next_scenario_and_fault(calbot_server: ClientServer) -> None:
    event = calbot_server.create_event()
    calbot_server.fail_next(2, status=503, operation="schedule")
    calbot_server.scenario("ended")
    calbot_server.fault("409")
    assert calbot_server.pending_faults == [
        "503:2:op=schedule",
        "ended:1 (scenario:ended)",
        "409:1",
    ]
    statuses = [schedule(calbot_server, event) for _ in range(5)]
    assert statuses == [503, 503, 400, 409, 200]
    assert [record.fault for record in calbot_server.ledger[1:]] == [
        "503:2:op=schedule",
        "503:2:op=schedule",
        "scenario:ended",
        "409:1",
        None,
    ]
    with pytest.raises(ValueError, match="unknown fault '418'"):
        calbot_server.fail_next(1, status=418)


def test_sleep_moves_the_server_clock(calbot_server: ClientServer) -> None:
    before = calbot_server.clock()
    calbot_server.sleep(90)
    assert calbot_server.clock() - before >= timedelta(seconds=90)
    with pytest.raises(ValueError, match="forward"):
        calbot_server.clock.advance(-1)


def test_a_real_budget_throttles_and_fake_sleep_lets_the_client_through() -> None:
    from calbot.client_fixture import ClientServerOptions

    server = ClientServer(ClientServerOptions(rate_limit="2/10s"))
    try:
        event = server.create_event()
        assert [schedule(server, event) for _ in range(3)] == [200, 200, 429]
        throttled = server.ledger[-1]
        assert throttled.retry_after == "10" and throttled.fault is None
        server.sleep(10)
        assert schedule(server, event) == 200
        assert server.violations() == []
    finally:
        server.close()


# --- teardown ------------------------------------------------------------------------------------


def test_teardown_fails_on_a_broken_must_rule(request: pytest.FixtureRequest) -> None:
    fixture = calbot_server_fixture(request)
    server = next(fixture)
    event = server.create_event()
    server.fail_next(1, status=429, retry_after=5)
    schedule(server, event)
    schedule(server, event)  # at once, not after 5 s
    with pytest.raises(pytest.fail.Exception) as caught:
        finish(fixture)
    text = str(caught.value)
    assert text.startswith("calbot: 1 client rule broken (1 violation):")
    assert "✗ client.retry-after (MUST)" in text
    assert "#3 +" in text and "which said Retry-After: 5" in text
    assert 'request body: {"deduplication_key": "standup"' in text
    assert text.endswith("(mark the test @pytest.mark.calbot_relaxed to allow this)")


def test_teardown_warns_about_should_rules(request: pytest.FixtureRequest) -> None:
    fixture = calbot_server_fixture(request)
    server = next(fixture)
    event = server.create_event()
    schedule(server, event)
    schedule(server, event, {"deduplication_key": "another", "bot_config": {"bot_name": "x"}})
    with pytest.warns(ClientRuleWarning, match=r"calbot \(not failing\)") as caught:
        finish(fixture)
    ours = [str(w.message) for w in caught if issubclass(w.category, ClientRuleWarning)]
    assert any("! client.dedup-stable-key (SHOULD, a warning)" in text for text in ours)


@pytest.mark.calbot_relaxed
def test_the_marker_relaxes_everything(request: pytest.FixtureRequest) -> None:
    fixture = calbot_server_fixture(request)
    server = next(fixture)
    server.fail_next(1, status=429)
    schedule(server, server.create_event())
    finish(fixture)  # no failure, no warning
    assert [f.rule for f in server.violations()] == ["client.retries-throttled"]


@pytest.mark.calbot_relaxed("client.retries-throttled")
def test_the_marker_relaxes_named_rules(request: pytest.FixtureRequest) -> None:
    fixture = calbot_server_fixture(request)
    server = next(fixture)
    server.fail_next(1, status=429)
    schedule(server, server.create_event())
    finish(fixture)


@pytest.mark.calbot_relaxed("client.typo")
def test_the_marker_refuses_unknown_rules(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.fail.Exception, match="unknown client rule"):
        next(calbot_server_fixture(request))


PLUGIN_RUN = """
    import pytest
    from calbot.client_fixture import ClientServerOptions

    def go(server, key="k1"):
        event = server.create_event()
        server.fail_next(1, status=429, retry_after=2)
        with server.client() as http:
            for _ in range(2):
                http.post(f"/api/v2/calendar-events/{event['id']}/bot/",
                          json={"deduplication_key": key, "bot_config": {}})
        return event

    def test_strict(calbot_server):
        go(calbot_server)

    @pytest.mark.calbot_relaxed
    def test_relaxed(calbot_server):
        go(calbot_server)
        assert calbot_server.violations()

    @pytest.mark.calbot_relaxed("client.retry-after")
    def test_relaxed_rule(calbot_server):
        go(calbot_server)

    class TestStrictWarnings:
        @pytest.fixture
        def calbot_server_options(self):
            return ClientServerOptions(api_key="sk-mine", strict_warnings=True)

        def test_warning_fails(self, calbot_server):
            assert calbot_server.api_key == "sk-mine"
            event = calbot_server.create_event()
            with calbot_server.client() as http:
                for key in ("a", "b"):
                    http.post(f"/api/v2/calendar-events/{event['id']}/bot/",
                              json={"deduplication_key": key, "bot_config": {}})
"""


@pytest.mark.slow
def test_through_pytest_with_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_client.py").write_text(textwrap.dedent(PLUGIN_RUN))
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error")]
        outcomes[case.get("name")] = kinds
    assert outcomes == {
        "test_strict": ["error"],
        "test_relaxed": [],
        "test_relaxed_rule": [],
        "test_warning_fails": ["error"],
    }, done.stdout
    assert "ERROR at teardown of test_strict" in done.stdout
    assert "✗ client.retry-after (MUST)" in done.stdout
    assert "! client.dedup-stable-key (SHOULD, a warning)" in done.stdout


def test_the_fixture_server_records_over_real_http(tmp_path: Path) -> None:
    from calbot.client_fixture import ClientServerOptions
    from calbot.contracts.clients.ledger import read_ledger

    server = ClientServer(ClientServerOptions(record=tmp_path / "l.jsonl"))
    try:
        with httpx.Client(base_url=server.url, headers=server.headers) as http:
            assert http.get("/_calbot/health").status_code == 200
        assert read_ledger(tmp_path / "l.jsonl") == server.ledger
    finally:
        server.close()
