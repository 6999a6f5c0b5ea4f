"""The API's behaviour in pure Python: calendar events, bots, deduplication and override.

One `Workspace` holds what one API key sees. Its operations take plain JSON-like input and
return an `Outcome` (status and body, exactly as the API answers), so the same code serves
the reference server and the contracts' oracle. No I/O; time comes from an injected clock.

The rules (recall-domain.md §3): a deduplication key maps to one live bot in the workspace;
scheduling again replaces the bot's whole config (no merge) and the event keeps one bot;
`meeting_url` and `join_at` come from the event unless `bot_config` gives them; an ended or
deleted event, or one without a meeting URL, is refused and nothing changes; unscheduling is
idempotent and deletes the bot only when no other event still references it.

Capacity (a long-lived reference server): a workspace may hold at most `max_events` events.
At the cap, a new event first evicts the event that ended longest ago, or, when none has
ended, the oldest one; its bot goes with it unless another event still holds it. A bot lives
only while an event holds it, so the cap bounds bots too. `Evictions` counts what went.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from calbot.contracts.domain import validation
from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp
from calbot.contracts.domain.validation import CALENDAR_PLATFORMS
from calbot.spec.meeting_urls import parse_meeting_url

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]
Json = dict[str, Any]

INVALID_DATA_MESSAGE = (
    "Unable to process request because invalid data was submitted. "
    "Check `errors` field for more details."
)
ENDED_MESSAGE = "Cannot schedule bot as calendar event has ended."
DELETED_MESSAGE = "Cannot schedule bot as calendar event has been deleted."
NO_MEETING_URL_MESSAGE = "Cannot schedule bot as calendar event has no meeting URL."
NOT_FOUND_BODY: Json = {"detail": "Not found."}
DEFAULT_BOT_NAME = "Meeting Notetaker"


def envelope(errors: Mapping[str, Any]) -> Json:
    """Recall's error envelope around DRF-style field errors."""
    return {"code": "invalid_request_data", "message": INVALID_DATA_MESSAGE, "errors": dict(errors)}


ENDED_BODY: Json = envelope({"non_field_errors": [ENDED_MESSAGE]})


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer: HTTP status and JSON body."""

    status: int
    body: Json

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(slots=True)
class BotEntry:
    """One item of an event's `bots[]`."""

    bot_id: str
    deduplication_key: str


@dataclass(slots=True)
class Event:
    """A calendar event, as calendar sync would have created it."""

    id: str
    start_time: datetime
    end_time: datetime
    calendar_id: str
    platform: str
    meeting_url: str | None
    created_at: datetime
    updated_at: datetime
    is_deleted: bool = False
    bots: list[BotEntry] = field(default_factory=list)


@dataclass(slots=True)
class Bot:
    """A scheduled bot: the config as last scheduled, and the events that share it."""

    id: str
    config: Json
    meeting_url: str
    join_at: datetime
    deduplication_key: str
    events: list[str] = field(default_factory=list)


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Evictions:
    """What capacity eviction removed (shared by a World's workspaces)."""

    events: int = 0
    bots: int = 0


class Workspace:
    """Everything one API key sees: events, bots and the deduplication table."""

    def __init__(
        self,
        *,
        clock: Clock = _now,
        new_id: IdFactory = _new_id,
        max_events: int | None = None,
        evictions: Evictions | None = None,
    ) -> None:
        self.clock = clock
        self.new_id = new_id
        self.events: dict[str, Event] = {}
        self.bots: dict[str, Bot] = {}
        self.dedup: dict[str, str] = {}
        self.max_events = max_events
        self.evictions = evictions if evictions is not None else Evictions()
        # (end_time, sequence, event id), earliest end first; stale entries are skipped.
        self._by_end: list[tuple[datetime, int, str]] = []
        self._added = 0

    # --- state setup (the provider-state protocol) -------------------------------------------

    def add_event(self, params: object) -> Outcome:
        """Create a calendar event from provider-state `params`; 400 when they are invalid."""
        checked = validation.event_params_errors(params)
        if isinstance(checked, dict):
            return Outcome(400, envelope(checked))
        now = self.clock()
        event_id = checked.id or self.new_id()
        if event_id in self.events:
            return Outcome(400, envelope({"id": ["An event with this id already exists."]}))
        if self.max_events is not None:
            while len(self.events) >= self.max_events:
                self._evict_one(now)
        event = Event(
            id=event_id,
            start_time=checked.start_time,
            end_time=checked.end_time,
            calendar_id=checked.calendar_id or self.new_id(),
            platform=checked.platform,
            meeting_url=checked.meeting_url,
            created_at=now,
            updated_at=now,
            is_deleted=checked.is_deleted,
        )
        self.events[event.id] = event
        if self.max_events is not None:
            self._remember_end(event)
        return Outcome(200, self.event_json(event))

    def remove_event(self, event_id: str) -> Outcome:
        """Tear an event down (unscheduling its bot first). Unknown ids are fine."""
        if event_id in self.events:
            self._detach(self.events[event_id])
            del self.events[event_id]
        return Outcome(200, {})

    # --- capacity -----------------------------------------------------------------------------

    def _remember_end(self, event: Event) -> None:
        self._added += 1
        heapq.heappush(self._by_end, (event.end_time, self._added, event.id))
        if len(self._by_end) > 2 * len(self.events) + 64:  # drop the stale entries
            self._by_end = [item for item in self._by_end if self._current(item)]
            heapq.heapify(self._by_end)

    def _current(self, item: tuple[datetime, int, str]) -> bool:
        event = self.events.get(item[2])
        return event is not None and event.end_time == item[0]

    def _evict_one(self, now: datetime) -> None:
        """Remove the event that ended longest ago, or else the oldest one."""
        while self._by_end and not self._current(self._by_end[0]):
            heapq.heappop(self._by_end)
        if self._by_end and self._by_end[0][0] <= now:
            victim = heapq.heappop(self._by_end)[2]
        else:
            victim = next(iter(self.events))
        bots = len(self.bots)
        self.remove_event(victim)
        self.evictions.events += 1
        self.evictions.bots += bots - len(self.bots)

    # --- the API ------------------------------------------------------------------------------

    def schedule(self, event_id: str, body: object) -> Outcome:
        """`POST /api/v2/calendar-events/{id}/bot/`."""
        event = self.events.get(event_id)
        if event is None:
            return Outcome(404, dict(NOT_FOUND_BODY))
        request = validation.schedule_request_errors(body)
        if isinstance(request, dict):
            return Outcome(400, envelope(request))
        now = self.clock()
        if event.is_deleted:
            return Outcome(400, envelope({"non_field_errors": [DELETED_MESSAGE]}))
        if event.end_time <= now:
            return Outcome(400, envelope({"non_field_errors": [ENDED_MESSAGE]}))
        meeting_url = request.bot_config.get("meeting_url") or event.meeting_url
        if not meeting_url:
            return Outcome(400, envelope({"non_field_errors": [NO_MEETING_URL_MESSAGE]}))
        join_at = request.join_at or event.start_time
        self._schedule(event, request.deduplication_key, request.bot_config, meeting_url, join_at)
        event.updated_at = now
        return Outcome(200, self.event_json(event))

    def unschedule(self, event_id: str) -> Outcome:
        """`DELETE /api/v2/calendar-events/{id}/bot/`: idempotent."""
        event = self.events.get(event_id)
        if event is None:
            return Outcome(404, dict(NOT_FOUND_BODY))
        if event.bots:
            self._detach(event)
            event.updated_at = self.clock()
        return Outcome(200, self.event_json(event))

    def get_event(self, event_id: str) -> Outcome:
        """`GET /api/v2/calendar-events/{id}/`."""
        event = self.events.get(event_id)
        return Outcome(200, self.event_json(event)) if event else Outcome(404, dict(NOT_FOUND_BODY))

    def get_bot(self, bot_id: str) -> Outcome:
        """`GET /api/v1/bot/{id}/`."""
        bot = self.bots.get(bot_id)
        return Outcome(200, self.bot_json(bot)) if bot else Outcome(404, dict(NOT_FOUND_BODY))

    # --- rules --------------------------------------------------------------------------------

    def _schedule(
        self, event: Event, key: str, config: Json, meeting_url: str, join_at: datetime
    ) -> None:
        current = event.bots[0] if event.bots else None
        if current and current.deduplication_key != key:
            self._detach(event)
            current = None
        bot = self.bots.get(self.dedup.get(key, ""))
        if bot is None:
            bot = Bot(self.new_id(), {}, meeting_url, join_at, key)
            self.bots[bot.id] = bot
            self.dedup[key] = bot.id
        # The most recent request's bot_config wins, whole (no merge).
        bot.config = dict(config)
        bot.meeting_url = meeting_url
        bot.join_at = join_at
        if event.id not in bot.events:
            bot.events.append(event.id)
        event.bots = [BotEntry(bot.id, key)]

    def _detach(self, event: Event) -> None:
        for entry in event.bots:
            bot = self.bots.get(entry.bot_id)
            if bot is None:
                continue
            if event.id in bot.events:
                bot.events.remove(event.id)
            if not bot.events:
                del self.bots[bot.id]
                if self.dedup.get(bot.deduplication_key) == bot.id:
                    del self.dedup[bot.deduplication_key]
        event.bots = []

    # --- JSON ---------------------------------------------------------------------------------

    def event_json(self, event: Event) -> Json:
        """The CalendarEvent body (meeting_url a plain string everywhere)."""
        parsed = parse_meeting_url(event.meeting_url) if event.meeting_url else None
        bots = []
        for entry in event.bots:
            bot = self.bots.get(entry.bot_id)
            if bot is not None:
                bots.append(
                    {
                        "bot_id": bot.id,
                        "start_time": format_timestamp(bot.join_at),
                        "deduplication_key": entry.deduplication_key,
                        "meeting_url": bot.meeting_url,
                    }
                )
        google = event.platform == "google_calendar"
        platform_id = event.id.replace("-", "")[:26]
        return {
            "id": event.id,
            "start_time": format_timestamp(event.start_time),
            "end_time": format_timestamp(event.end_time),
            "calendar_id": event.calendar_id,
            "raw": _raw(event, google),
            "platform": event.platform,
            "platform_id": platform_id,
            "ical_uid": f"{platform_id}@google.com" if google else f"{platform_id}@outlook.com",
            "meeting_platform": parsed["platform"] if parsed else None,
            "meeting_url": event.meeting_url,
            "created_at": format_timestamp(event.created_at),
            "updated_at": format_timestamp(event.updated_at),
            "is_deleted": event.is_deleted,
            "bots": bots,
        }

    def bot_json(self, bot: Bot) -> Json:
        """The Bot body: the config as scheduled at the top level, meeting_url as the object."""
        fields = {k: v for k, v in bot.config.items() if k not in ("meeting_url", "join_at")}
        return {
            **fields,
            "id": bot.id,
            "bot_name": bot.config.get("bot_name", DEFAULT_BOT_NAME),
            "join_at": format_timestamp(bot.join_at),
            "meeting_url": parse_meeting_url(bot.meeting_url),
            "metadata": dict(bot.config.get("metadata") or {}),
        }


def _raw(event: Event, google: bool) -> Json:
    if google:
        return {
            "kind": "calendar#event",
            "id": event.id,
            "status": "cancelled" if event.is_deleted else "confirmed",
            "summary": "calbot test event",
            "start": {"dateTime": format_timestamp(event.start_time)},
            "end": {"dateTime": format_timestamp(event.end_time)},
            "hangoutLink": event.meeting_url,
        }
    return {
        "id": event.id,
        "subject": "calbot test event",
        "isCancelled": event.is_deleted,
        "start": {"dateTime": format_timestamp(event.start_time), "timeZone": "UTC"},
        "end": {"dateTime": format_timestamp(event.end_time), "timeZone": "UTC"},
        "onlineMeeting": {"joinUrl": event.meeting_url} if event.meeting_url else None,
    }


class World:
    """Workspaces by API key; a single default one when the server has no keys configured."""

    DEFAULT = ""

    def __init__(
        self,
        *,
        clock: Clock = _now,
        new_id: IdFactory = _new_id,
        workspace_class: type[Workspace] | None = None,
        max_events: int | None = None,
    ) -> None:
        self.clock = clock
        self.new_id = new_id
        self.workspace_class = workspace_class or Workspace
        self.workspaces: dict[str, Workspace] = {}
        self.max_events = max_events
        self.evictions = Evictions()

    def workspace(self, key: str = DEFAULT) -> Workspace:
        if key not in self.workspaces:
            self.workspaces[key] = self.workspace_class(
                clock=self.clock,
                new_id=self.new_id,
                max_events=self.max_events,
                evictions=self.evictions,
            )
        return self.workspaces[key]

    def reset(self, key: str = DEFAULT) -> None:
        """Forget one workspace's events and bots (the eviction counts stay)."""
        self.workspaces.pop(key, None)


__all__ = [
    "CALENDAR_PLATFORMS",
    "ENDED_BODY",
    "ENDED_MESSAGE",
    "INVALID_DATA_MESSAGE",
    "NOT_FOUND_BODY",
    "Bot",
    "BotEntry",
    "Event",
    "Evictions",
    "Outcome",
    "Workspace",
    "World",
    "envelope",
    "parse_timestamp",
]
