"""Deterministic calendar events for state setup, by kind (readable in findings)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from calbot.contracts.domain.timestamps import format_timestamp
from calbot.spec.states import DEFAULT_MEETING_URL, EVENT_KINDS


def event_params(
    kind: str,
    *,
    now: datetime,
    meeting_url: str | None = DEFAULT_MEETING_URL,
    days_ahead: int = 7,
    platform: str = "google_calendar",
) -> dict[str, Any]:
    """Provider-state params (design.md) for an event of `kind`."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(EVENT_KINDS)}")
    hour = now.replace(minute=0, second=0, microsecond=0)
    start = hour + timedelta(days=days_ahead, hours=1)
    end = start + timedelta(minutes=30)
    if kind == "ended":
        start, end = hour - timedelta(days=1), hour - timedelta(days=1) + timedelta(minutes=30)
    elif kind == "in_progress":
        start, end = now - timedelta(minutes=10), now + timedelta(minutes=50)
    return {
        "start_time": format_timestamp(start),
        "end_time": format_timestamp(end),
        "meeting_url": None if kind == "no_meeting_url" else meeting_url,
        "platform": platform,
        "is_deleted": kind == "deleted",
    }


def parse_event_ids(values: Iterable[str]) -> dict[str, list[str]]:
    """`KIND=ID` pairs (existing events given by the user) by kind; ValueError when malformed."""
    found: dict[str, list[str]] = {}
    for value in values:
        kind, sep, event_id = value.partition("=")
        if not sep or kind not in EVENT_KINDS or not event_id:
            raise ValueError(f"{value!r}: use KIND=ID with KIND one of {', '.join(EVENT_KINDS)}")
        found.setdefault(kind, []).append(event_id)
    return found
