from datetime import UTC, datetime
from typing import Any

import pytest

from calbot.cli.run_flags import flag
from calbot.contracts.domain.timestamps import parse_timestamp
from calbot.contracts.engine.events import EVENT_KINDS, event_params
from calbot.contracts.engine.settings import Spelling, field_name
from calbot.contracts.engine.state_setup import (
    CallableStates,
    GivenEvents,
    NoStates,
    ProviderStates,
    StateUnavailable,
)
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.server import ServerConfig, create_app

NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)


@pytest.fixture
def target() -> Target:
    return Target(TargetConfig(app=create_app(ServerConfig())))


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_event_params_by_kind(kind: str) -> None:
    params = event_params(kind, now=NOW)
    start, end = parse_timestamp(params["start_time"]), parse_timestamp(params["end_time"])
    assert start is not None and end is not None and start < end
    assert (end <= NOW) is (kind == "ended")
    assert (start <= NOW < end) is (kind == "in_progress")
    assert params["is_deleted"] is (kind == "deleted")
    assert (params["meeting_url"] is None) is (kind == "no_meeting_url")


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        event_params("someday", now=NOW)


def test_provider_states_create_and_tear_down(target: Target) -> None:
    states = ProviderStates(target, "/_calbot/states")
    event = states.create_event("upcoming", event_params("upcoming", now=NOW))
    assert target.send("GET", f"/api/v2/calendar-events/{event['id']}/").status_code == 200
    states.teardown(event["id"])
    assert target.send("GET", f"/api/v2/calendar-events/{event['id']}/").status_code == 404


def test_provider_states_report_a_refusal(target: Target) -> None:
    states = ProviderStates(target, "/_calbot/states")
    with pytest.raises(StateUnavailable, match="answered 400"):
        states.create_event("upcoming", {"start_time": "tomorrow"})
    with pytest.raises(StateUnavailable, match="answered 404"):
        ProviderStates(target, "/no/such/endpoint").create_event("upcoming", {})


def test_callable_states() -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def states(state: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        calls.append((state, action, params))
        return {"id": "e1", **params}

    setup = CallableStates(states)
    assert setup.create_event("upcoming", {"a": 1})["id"] == "e1"
    setup.teardown("e1")
    assert [c[1] for c in calls] == ["setup", "teardown"]
    assert calls[0][0] == "a calendar event"


def test_callable_states_failures_become_unavailable() -> None:
    def broken(state: str, action: str, params: dict[str, Any]) -> None:
        raise RuntimeError("db down")

    with pytest.raises(StateUnavailable, match="db down"):
        CallableStates(broken).create_event("upcoming", {})
    with pytest.raises(StateUnavailable, match="calendar event"):
        CallableStates(lambda *a: {"no": "id"}).create_event("upcoming", {})


@pytest.mark.parametrize(
    ("spelling", "words"), [(field_name, "events upcoming=<id>"), (flag, "--event upcoming=<id>")]
)
def test_given_events_hand_out_each_id_once(spelling: Spelling, words: str) -> None:
    """The reason names the setting that gives events as the front end that ran spells it."""
    target = Target(TargetConfig(app=create_app(ServerConfig()), spelling=spelling))
    created = ProviderStates(target, "/_calbot/states").create_event(
        "upcoming", event_params("upcoming", now=NOW)
    )
    given = GivenEvents(target, {"upcoming": [created["id"]]})
    assert given.create_event("upcoming", {})["id"] == created["id"]
    with pytest.raises(StateUnavailable, match=words):
        given.create_event("upcoming", {})
    with pytest.raises(StateUnavailable, match="ended"):
        given.create_event("ended", {})


def test_no_states_says_how_to_give_some() -> None:
    with pytest.raises(StateUnavailable, match=r"give state_url .* with events KIND=ID"):
        NoStates().create_event("upcoming", {})
    with pytest.raises(StateUnavailable, match=r"give --state-url .* with --event KIND=ID"):
        NoStates(flag).create_event("upcoming", {})
