"""calbot.generators.events: provider-state params for calendar events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from calbot.generators import CALENDAR_PLATFORMS, EVENT_KINDS, event_params
from calbot.spec.meeting_urls import parse_meeting_url

FAST = settings(max_examples=50, deadline=None, database=None)
FIND = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])
SHRINK = settings(
    max_examples=2000, database=None, derandomize=True, phases=[Phase.generate, Phase.shrink]
)

NOW = datetime(2026, 11, 25, 12, 34, 56, tzinfo=UTC)
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
REQUIRED = {"start_time", "end_time", "meeting_url", "platform", "is_deleted"}
UPCOMING_KINDS = ("upcoming", "deleted", "no_meeting_url")


def check(kind: str, params: dict[str, Any], now: datetime) -> None:
    """Every promise `event_params` makes for ``kind``, relative to ``now``."""
    assert REQUIRED <= set(params) <= REQUIRED | {"calendar_id"}
    assert RFC3339_Z.match(params["start_time"]) and RFC3339_Z.match(params["end_time"])
    start = datetime.fromisoformat(params["start_time"])
    end = datetime.fromisoformat(params["end_time"])
    assert start < end
    if kind in UPCOMING_KINDS:
        assert start >= now + timedelta(hours=1)
        assert start <= now + timedelta(days=28)
    elif kind == "in_progress":
        assert start <= now - timedelta(minutes=1)
        assert end >= now + timedelta(minutes=30)
    else:
        assert end <= now - timedelta(minutes=1)
    if kind == "no_meeting_url":
        assert params["meeting_url"] is None
    else:
        assert isinstance(params["meeting_url"], str)
        assert parse_meeting_url(params["meeting_url"]) is not None
    assert params["platform"] in CALENDAR_PLATFORMS
    assert params["is_deleted"] is (kind == "deleted")
    if "calendar_id" in params:
        assert str(uuid.UUID(params["calendar_id"])) == params["calendar_id"]


@pytest.mark.parametrize("kind", EVENT_KINDS)
@FAST
@given(data=st.data())
def test_params_keep_the_promises_of_their_kind(kind: str, data: st.DataObject) -> None:
    check(kind, data.draw(event_params(kind, NOW)), NOW)


@pytest.mark.parametrize("kind", EVENT_KINDS)
@settings(FAST, max_examples=20)  # a new `now` builds new strategies each time: slower
@given(
    data=st.data(),
    now=st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2035, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    ),
)
def test_any_aware_now_works(kind: str, data: st.DataObject, now: datetime) -> None:
    check(kind, data.draw(event_params(kind, now)), now)


def test_shrinks_to_a_readable_event() -> None:
    params = find(event_params("upcoming", NOW), lambda p: True, settings=SHRINK)
    assert params["start_time"] == "2026-11-25T13:35:00Z"
    assert params["end_time"] == "2026-11-25T14:05:00Z"
    assert params["platform"] == "google_calendar"
    assert "calendar_id" not in params


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("a calendar_id", lambda p: "calendar_id" in p),
        ("no calendar_id", lambda p: "calendar_id" not in p),
        ("google_calendar", lambda p: p["platform"] == "google_calendar"),
        ("microsoft_outlook", lambda p: p["platform"] == "microsoft_outlook"),
        ("a Teams link", lambda p: "teams." in p["meeting_url"]),
    ],
)
def test_every_variant_is_reachable(
    description: str, condition: Callable[[dict[str, Any]], bool]
) -> None:
    assert condition(find(event_params("upcoming", NOW), condition, settings=FIND)), description


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown event kind 'past'"):
        event_params("past", NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        event_params("upcoming", datetime(2026, 11, 25, 12, 0))


def test_kinds_are_the_documented_five() -> None:
    assert EVENT_KINDS == ("upcoming", "in_progress", "ended", "deleted", "no_meeting_url")
