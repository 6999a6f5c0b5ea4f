"""Judges of what a schedule does to the bot: defaults from the event, override replacing.

Source: https://docs.recall.ai/reference/calendar_events_bot_create (the bot joins the event's
meeting URL at its start unless bot_config says otherwise; scheduling again replaces the
config as a whole).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calbot.contracts.domain.timestamps import parse_timestamp
from calbot.contracts.judges.registry import judges


@dataclass(frozen=True, slots=True)
class Defaults:
    """The meeting URL and join time a scheduled bot must have, and where each comes from."""

    meeting_url: str | None
    url_from: str  # "bot_config" or "the event"
    join_at: datetime | None
    join_at_from: str  # "bot_config" or "the event's start_time"

    def joins(self, url: object) -> bool:
        """Whether `url` (a bots[] item's meeting_url) is the one the bot must join (surrounding
        whitespace aside: Django REST Framework trims what it reads)."""
        return isinstance(url, str) and url.strip() == self.meeting_url

    def joins_at(self, moment: object) -> bool:
        """Whether `moment` (the Bot's join_at) is the instant the bot must join at."""
        return self.join_at is not None and parse_timestamp(moment) == self.join_at


@judges("defaults.from-event")
def expected_defaults(
    config: Mapping[str, Any], event_url: object, event_start: object
) -> Defaults:
    """What a bot scheduled with `config` on an event (its meeting_url and start_time) must
    have: bot_config's meeting_url (trimmed) and join_at when given, else the event's (a URL
    both give counts as the event's)."""
    given_url = config.get("meeting_url")
    own_url = event_url if isinstance(event_url, str) else None
    url = given_url.strip() if isinstance(given_url, str) and given_url.strip() else own_url
    url_from = "the event" if url == own_url else "bot_config"
    given_at = parse_timestamp(config.get("join_at")) if "join_at" in config else None
    if given_at is not None:
        return Defaults(url, url_from, given_at, "bot_config")
    return Defaults(url, url_from, parse_timestamp(event_start), "the event's start_time")


@judges("override.replace")
def merged_metadata(
    earlier: Iterable[Mapping[str, Any]], last: Mapping[str, Any], metadata: object
) -> list[str] | None:
    """The metadata keys a Bot still has (`metadata`, as read) that an earlier bot_config of the
    event set and the `last` one dropped: the configs were merged, not replaced (empty: they
    were replaced). None when nothing tells: no key was dropped, or `metadata` is no object."""
    dropped = set().union(*(metadata_keys(config) for config in earlier)) - metadata_keys(last)
    if not dropped or not isinstance(metadata, dict):
        return None
    return sorted(dropped & set(metadata))


def metadata_keys(config: Mapping[str, Any]) -> set[str]:
    """The keys of a bot_config's metadata (none when it has no metadata object)."""
    metadata = config.get("metadata")
    return set(metadata) if isinstance(metadata, dict) else set()
