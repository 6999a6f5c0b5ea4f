"""The domain model (the oracle): every scheduling rule, each test failing when its rule breaks."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calbot.contracts.domain.model import (
    DELETED_MESSAGE,
    ENDED_BODY,
    NO_MEETING_URL_MESSAGE,
    Workspace,
    World,
)
from calbot.spec.meeting_urls import example_urls, parse_meeting_url

MEET = "https://meet.google.com/abc-defg-hij"
ZOOM = "https://zoom.us/j/84315220467?pwd=abc123"
START = "2030-01-01T10:00:00Z"
END = "2030-01-01T10:30:00Z"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2029, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ws(clock: Clock) -> Workspace:
    counter = iter(range(1, 10_000))
    return Workspace(clock=clock, new_id=lambda: str(uuid.UUID(int=next(counter))))


def event(ws: Workspace, **params: Any) -> str:
    outcome = ws.add_event({"start_time": START, "end_time": END, "meeting_url": MEET, **params})
    assert outcome.status == 200, outcome.body
    ident: str = outcome.body["id"]
    return ident


def schedule(ws: Workspace, event_id: str, key: str = "k1", **config: Any) -> dict[str, Any]:
    outcome = ws.schedule(event_id, {"deduplication_key": key, "bot_config": config})
    assert outcome.status == 200, outcome.body
    return outcome.body


def bot_of(body: dict[str, Any]) -> str:
    assert len(body["bots"]) == 1
    ident: str = body["bots"][0]["bot_id"]
    return ident


def snapshot(ws: Workspace) -> Any:
    return copy.deepcopy((ws.events, ws.bots, ws.dedup))


# --- dedup -----------------------------------------------------------------------------------


def test_events_scheduled_with_one_key_share_one_bot(ws: Workspace) -> None:
    a, b, c = event(ws), event(ws), event(ws)
    bots = {bot_of(schedule(ws, ident, "same")) for ident in (a, b, c)}
    assert len(bots) == 1 and len(ws.bots) == 1
    assert sorted(ws.bots[bots.pop()].events) == sorted([a, b, c])


def test_different_keys_give_different_bots(ws: Workspace) -> None:
    a, b = event(ws), event(ws)
    assert bot_of(schedule(ws, a, "k1")) != bot_of(schedule(ws, b, "k2"))
    assert len(ws.bots) == 2


def test_keys_are_scoped_to_the_workspace(clock: Clock) -> None:
    world = World(clock=clock)
    one, two = world.workspace("one"), world.workspace("two")
    assert world.workspace("one") is one and world.workspace() is not one
    assert bot_of(schedule(one, event(one), "k")) != bot_of(schedule(two, event(two), "k"))


def test_the_bots_item_carries_key_start_and_meeting_url(ws: Workspace) -> None:
    body = schedule(ws, event(ws), "the key")
    item = body["bots"][0]
    assert set(item) == {"bot_id", "start_time", "deduplication_key", "meeting_url"}
    assert (item["deduplication_key"], item["start_time"], item["meeting_url"]) == (
        "the key",
        START,
        MEET,
    )


# --- override --------------------------------------------------------------------------------


def test_scheduling_again_replaces_the_whole_config_without_merging(ws: Workspace) -> None:
    ident = event(ws)
    first = bot_of(schedule(ws, ident, "k", bot_name="Old", metadata={"a": "1"}, extra=True))
    body = schedule(ws, ident, "k", metadata={"b": "2"})
    assert bot_of(body) == first  # still one bot on the event, the same one
    assert len(ws.bots) == 1
    bot = ws.get_bot(first).body
    assert bot["metadata"] == {"b": "2"}
    assert "extra" not in bot
    assert bot["bot_name"] == "Meeting Notetaker"  # the old name is gone: the default again
    assert ws.bots[first].config == {"metadata": {"b": "2"}}


def test_an_override_applies_to_the_shared_bot(ws: Workspace) -> None:
    a, b = event(ws), event(ws)
    shared = bot_of(schedule(ws, a, "k", bot_name="A"))
    assert bot_of(schedule(ws, b, "k", bot_name="B")) == shared
    assert ws.get_bot(shared).body["bot_name"] == "B"
    assert bot_of(ws.get_event(a).body) == shared


def test_rescheduling_under_a_new_key_moves_the_event_and_drops_an_unshared_bot(
    ws: Workspace,
) -> None:
    ident = event(ws)
    old = bot_of(schedule(ws, ident, "k1"))
    new = bot_of(schedule(ws, ident, "k2"))
    assert new != old
    assert ws.get_bot(old).status == 404
    assert "k1" not in ws.dedup and ws.dedup["k2"] == new
    assert ws.get_event(ident).body["bots"][0]["deduplication_key"] == "k2"


def test_rescheduling_under_a_new_key_keeps_the_old_bot_while_it_is_shared(
    ws: Workspace,
) -> None:
    a, b = event(ws), event(ws)
    old = bot_of(schedule(ws, a, "k1"))
    schedule(ws, b, "k1")
    new = bot_of(schedule(ws, a, "k2"))
    assert new != old
    assert ws.get_bot(old).status == 200 and ws.bots[old].events == [b]
    assert bot_of(ws.get_event(b).body) == old
    assert bot_of(schedule(ws, b, "k2")) == new  # b follows; now nothing shares old
    assert ws.get_bot(old).status == 404 and "k1" not in ws.dedup


# --- defaults --------------------------------------------------------------------------------


def test_join_at_and_meeting_url_default_to_the_events(ws: Workspace) -> None:
    ident = event(ws)
    body = schedule(ws, ident, bot_name="x")
    assert body["bots"][0]["start_time"] == START and body["bots"][0]["meeting_url"] == MEET
    bot = ws.get_bot(bot_of(body)).body
    assert bot["join_at"] == START
    assert bot["meeting_url"] == parse_meeting_url(MEET)


def test_bot_config_join_at_and_meeting_url_win_over_the_events(ws: Workspace) -> None:
    ident = event(ws)
    body = schedule(ws, ident, join_at="2030-01-01T09:55:00+00:00", meeting_url=ZOOM)
    assert body["bots"][0]["start_time"] == "2030-01-01T09:55:00Z"
    assert body["bots"][0]["meeting_url"] == ZOOM
    assert body["meeting_url"] == MEET  # the event's own link is untouched
    bot = ws.get_bot(bot_of(body)).body
    assert bot["join_at"] == "2030-01-01T09:55:00Z"
    assert bot["meeting_url"] == {
        "meeting_id": "84315220467",
        "meeting_password": "abc123",
        "platform": "zoom",
    }


def test_an_empty_meeting_url_in_bot_config_falls_back_to_the_events(ws: Workspace) -> None:
    body = schedule(ws, event(ws), meeting_url="")
    assert body["bots"][0]["meeting_url"] == MEET


def test_bot_config_meeting_url_makes_an_event_without_one_schedulable(ws: Workspace) -> None:
    body = schedule(ws, event(ws, meeting_url=None), meeting_url=ZOOM)
    assert body["bots"][0]["meeting_url"] == ZOOM and body["meeting_url"] is None


# --- refusals: ended, deleted, no meeting URL, invalid, unknown -----------------------------


def test_an_ended_event_is_refused_with_the_exact_documented_body(
    ws: Workspace, clock: Clock
) -> None:
    ident = event(ws)
    schedule(ws, ident, "k", bot_name="Before")
    before = snapshot(ws)
    clock.now = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)  # the end instant: ended
    outcome = ws.schedule(ident, {"deduplication_key": "other", "bot_config": {"bot_name": "X"}})
    assert outcome.status == 400
    assert outcome.body == {
        "code": "invalid_request_data",
        "message": "Unable to process request because invalid data was submitted. "
        "Check `errors` field for more details.",
        "errors": {"non_field_errors": ["Cannot schedule bot as calendar event has ended."]},
    }
    assert outcome.body == ENDED_BODY
    assert snapshot(ws) == before


def test_an_event_that_has_started_but_not_ended_is_accepted(ws: Workspace, clock: Clock) -> None:
    ident = event(ws)
    clock.now = datetime(2030, 1, 1, 10, 29, 59, tzinfo=UTC)
    assert ws.schedule(ident, {"deduplication_key": "k", "bot_config": {}}).status == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"is_deleted": True}, DELETED_MESSAGE),
        ({"meeting_url": None}, NO_MEETING_URL_MESSAGE),
    ],
)
def test_deleted_events_and_events_without_a_link_are_refused_in_the_envelope(
    ws: Workspace, params: dict[str, Any], message: str
) -> None:
    ident = event(ws, **params)
    before = snapshot(ws)
    outcome = ws.schedule(ident, {"deduplication_key": "k", "bot_config": {}})
    assert outcome.status == 400
    assert outcome.body["code"] == "invalid_request_data"
    assert outcome.body["errors"] == {"non_field_errors": [message]}
    assert snapshot(ws) == before


def test_an_invalid_request_is_refused_and_changes_nothing(ws: Workspace) -> None:
    ident = event(ws)
    schedule(ws, ident, "k", bot_name="Kept")
    before = snapshot(ws)
    outcome = ws.schedule(ident, {"deduplication_key": "", "bot_config": {"bot_name": "New"}})
    assert outcome.status == 400
    assert outcome.body["errors"] == {"deduplication_key": ["This field may not be blank."]}
    assert snapshot(ws) == before


def test_unknown_ids_answer_404(ws: Workspace) -> None:
    unknown = str(uuid.uuid4())
    body = {"deduplication_key": "k", "bot_config": {}}
    for outcome in (
        ws.schedule(unknown, body),
        ws.schedule(unknown, None),  # 404 before the body is looked at
        ws.unschedule(unknown),
        ws.get_event(unknown),
        ws.get_bot(unknown),
    ):
        assert (outcome.status, outcome.body) == (404, {"detail": "Not found."})


# --- unschedule ------------------------------------------------------------------------------


def test_unscheduling_is_idempotent(ws: Workspace, clock: Clock) -> None:
    ident = event(ws)
    bot = bot_of(schedule(ws, ident))
    clock.now += timedelta(seconds=5)
    first = ws.unschedule(ident)
    assert first.status == 200 and first.body["bots"] == []
    assert first.body["updated_at"] == "2029-12-01T00:00:05Z"
    clock.now += timedelta(seconds=5)
    again = ws.unschedule(ident)
    assert (again.status, again.body) == (200, first.body)  # nothing changed, not even updated_at
    assert ws.get_bot(bot).status == 404
    never = event(ws)
    assert ws.unschedule(never).status == 200


def test_unscheduling_keeps_a_bot_that_another_event_shares(ws: Workspace) -> None:
    a, b = event(ws), event(ws)
    shared = bot_of(schedule(ws, a, "k"))
    schedule(ws, b, "k")
    assert ws.unschedule(a).body["bots"] == []
    assert ws.get_bot(shared).status == 200
    assert bot_of(ws.get_event(b).body) == shared
    assert ws.dedup["k"] == shared


def test_the_last_reference_deletes_the_bot_and_frees_the_key(ws: Workspace) -> None:
    a, b = event(ws), event(ws)
    shared = bot_of(schedule(ws, a, "k"))
    schedule(ws, b, "k")
    ws.unschedule(a)
    ws.unschedule(b)
    assert ws.get_bot(shared).status == 404 and ws.bots == {} and ws.dedup == {}
    assert bot_of(schedule(ws, a, "k")) != shared  # the key makes a new bot now


def test_removing_an_event_unschedules_it(ws: Workspace) -> None:
    a, b = event(ws), event(ws)
    shared = bot_of(schedule(ws, a, "k"))
    schedule(ws, b, "k")
    assert ws.remove_event(a).status == 200
    assert ws.get_event(a).status == 404 and ws.bots[shared].events == [b]
    ws.remove_event(b)
    assert ws.bots == {} and ws.dedup == {}
    assert ws.remove_event(a).status == 200  # unknown ids are fine


# --- bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "url"),
    [(platform, urls[0]) for platform, urls in example_urls().items()],
)
def test_the_bot_shows_its_config_and_the_per_platform_meeting_url_object(
    ws: Workspace, platform: str, url: str
) -> None:
    body = schedule(
        ws, event(ws, meeting_url=url), "k", bot_name="Rec", metadata={"a": "1", "b": None}, x=[1]
    )
    bot = ws.get_bot(bot_of(body)).body
    assert bot["meeting_url"] == parse_meeting_url(url)
    assert bot["meeting_url"]["platform"] == platform
    assert (bot["bot_name"], bot["metadata"], bot["x"]) == ("Rec", {"a": "1", "b": None}, [1])
    assert bot["id"] == bot_of(body) and bot["join_at"] == START
    assert body["meeting_platform"] == platform
    assert body["bots"][0]["meeting_url"] == url  # a string on the event


def test_bot_config_cannot_override_the_bots_own_fields(ws: Workspace) -> None:
    body = schedule(ws, event(ws), id="mine", metadata={})
    bot = ws.get_bot(bot_of(body)).body
    assert bot["id"] == bot_of(body) and bot["metadata"] == {}


def test_the_calendar_event_body_has_every_field(ws: Workspace, clock: Clock) -> None:
    created = ws.add_event(
        {
            "start_time": "2030-01-01T11:00:00+01:00",
            "end_time": END,
            "meeting_url": MEET,
            "platform": "microsoft_outlook",
            "calendar_id": "5D2F0C3A-2222-4B1C-8D4E-ABCDEFABCDEF",
            "id": "0b8c7f5e-1111-4a2b-9c3d-1234567890ab",
        }
    ).body
    assert created["id"] == "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
    assert created["calendar_id"] == "5d2f0c3a-2222-4b1c-8d4e-abcdefabcdef"
    assert created["start_time"] == "2030-01-01T10:00:00Z"
    assert (created["platform"], created["meeting_platform"], created["is_deleted"]) == (
        "microsoft_outlook",
        "google_meet",
        False,
    )
    assert created["created_at"] == created["updated_at"] == "2029-12-01T00:00:00Z"
    assert created["raw"]["subject"] and created["bots"] == []
    assert isinstance(created["platform_id"], str) and isinstance(created["ical_uid"], str)
    clock.now += timedelta(minutes=1)
    scheduled = schedule(ws, created["id"])
    assert scheduled["updated_at"] == "2029-12-01T00:01:00Z"
    assert scheduled["created_at"] == created["created_at"]


def test_an_event_without_a_link_has_null_meeting_fields(ws: Workspace) -> None:
    body = ws.get_event(event(ws, meeting_url=None)).body
    assert body["meeting_url"] is None and body["meeting_platform"] is None


def test_add_event_refuses_bad_params_and_duplicate_ids(ws: Workspace) -> None:
    bad = ws.add_event({"start_time": "soon"})
    assert bad.status == 400 and bad.body["code"] == "invalid_request_data"
    assert set(bad.body["errors"]) == {"start_time", "end_time"}
    ident = event(ws)
    again = ws.add_event({"start_time": START, "end_time": END, "id": ident})
    assert again.status == 400 and "id" in again.body["errors"]
    assert ws.add_event(None).status == 400
