"""Calendar events to set up through the provider-state protocol (design.md, "State setup").

`event_params` draws the ``params`` of ``{"state": "a calendar event", "action": "setup",
"params": ...}``. Times are relative to a ``now`` the caller passes, rounded to whole minutes,
with margins so that a kind still holds a few minutes into a run: an upcoming event starts at
least an hour after ``now``, an in-progress one started at least a minute before and ends at
least 30 minutes after, an ended one ended at least a minute before.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from calbot.generators.meeting_urls import meeting_url_strings
from calbot.spec.states import EVENT_KINDS

__all__ = ["CALENDAR_PLATFORMS", "EVENT_KINDS", "event_params"]

"""The kinds `event_params` knows: ``deleted`` and ``no_meeting_url`` are upcoming events."""

CALENDAR_PLATFORMS: tuple[str, ...] = ("google_calendar", "microsoft_outlook")
"""``CalendarPlatform`` in the fragment."""

_SYNC_WINDOW_MINUTES = 28 * 24 * 60  # Recall syncs events up to 28 days ahead
_DURATIONS = (30, 15, 45, 60, 90, 120, 5, 480)  # minutes; shrinks to 30


def _utc_now(now: datetime) -> datetime:
    """``now`` in UTC; a naive datetime is refused (it is ambiguous)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    return now.astimezone(UTC)


def _floor_minute(now: datetime) -> datetime:
    return _utc_now(now).replace(second=0, microsecond=0)


def _rfc3339(moment: datetime) -> str:
    """``2026-12-01T17:00:00Z``: RFC 3339 in UTC, whole seconds, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _times(kind: str, base: datetime) -> SearchStrategy[tuple[str, str]]:
    """``(start_time, end_time)`` for ``kind``, relative to ``base`` (now, floored to a minute)."""
    minutes = st.integers
    durations = st.sampled_from(_DURATIONS)

    def span(start: datetime, duration: int) -> tuple[str, str]:
        return _rfc3339(start), _rfc3339(start + timedelta(minutes=duration))

    if kind == "in_progress":
        return st.builds(
            lambda ago, left: (
                _rfc3339(base - timedelta(minutes=1 + ago)),
                _rfc3339(base + timedelta(minutes=31 + left)),
            ),
            minutes(0, 180),
            minutes(0, 180),
        )
    if kind == "ended":
        return st.builds(
            lambda ago, duration: span(base - timedelta(minutes=1 + ago + duration), duration),
            minutes(0, 24 * 60),
            durations,
        )
    return st.builds(
        lambda ahead, duration: span(base + timedelta(minutes=61 + ahead), duration),
        minutes(0, _SYNC_WINDOW_MINUTES - 61),
        durations,
    )


def _params(
    times: tuple[str, str], meeting_url: str | None, platform: str, is_deleted: bool
) -> dict[str, Any]:
    start_time, end_time = times
    return {
        "start_time": start_time,
        "end_time": end_time,
        "meeting_url": meeting_url,
        "platform": platform,
        "is_deleted": is_deleted,
    }


def _with_calendar(params: dict[str, Any], calendar_id: str | None) -> dict[str, Any]:
    if calendar_id is not None:
        params["calendar_id"] = calendar_id
    return params


def event_params(kind: str, now: datetime) -> SearchStrategy[dict[str, Any]]:
    """Provider-state ``params`` for a calendar event of ``kind`` (one of `EVENT_KINDS`).

    Keys: ``start_time`` and ``end_time`` (``2026-12-01T17:00:00Z`` form), ``meeting_url`` (a
    generated meeting link, None for ``no_meeting_url``), ``platform`` (`CALENDAR_PLATFORMS`),
    ``is_deleted`` (True only for ``deleted``) and, sometimes, ``calendar_id`` (a UUID string).
    ``now`` must be timezone-aware.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {EVENT_KINDS}")
    return _event_params(kind, _floor_minute(now))


# Built once per (kind, minute) and reused: Hypothesis validates a strategy on its first draw,
# which costs milliseconds for nested ones.
@functools.lru_cache(maxsize=64)
def _event_params(kind: str, base: datetime) -> SearchStrategy[dict[str, Any]]:
    params = st.builds(
        _params,
        _times(kind, base),
        st.none() if kind == "no_meeting_url" else meeting_url_strings(),
        st.sampled_from(CALENDAR_PLATFORMS),
        st.just(kind == "deleted"),
    )
    return st.builds(_with_calendar, params, st.none() | st.uuids().map(str))
