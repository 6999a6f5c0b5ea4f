"""Mutants at the edges of documented statements: time, deleted events, lengths, shapes.

Each is the reference server broken at one edge a typical value would not reach: an event that
ended seconds ago, an event in progress or starting within 10 minutes, a deleted event, a key of
2000 non-ASCII characters, keys and configs of the shapes Recall documents.
"""

from __future__ import annotations

import re
from datetime import timedelta

from calbot.contracts.domain.model import ENDED_MESSAGE, Outcome, Workspace, envelope
from calbot.contracts.domain.validation import TOO_LONG, schedule_request_errors
from calbot.contracts.results import Level
from calbot.spec.fields import MAX_KEY_LENGTH

from .catalogue import Mutant

GRACE = timedelta(minutes=1)
AD_HOC = timedelta(minutes=10)
TOO_SOON = "Cannot schedule bot as calendar event starts in less than 10 minutes."
SLUG = re.compile(r"[A-Za-z0-9_.-]+")


def _valid(body: object) -> bool:
    return not isinstance(schedule_request_errors(body), dict)


class EndedGracePeriod(Workspace):
    """Takes an event as ended only a minute after its end."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        real = self.clock
        self.clock = lambda: real() - GRACE
        try:
            return super().schedule(event_id, body)
        finally:
            self.clock = real


class DeletedEventScheduled(Workspace):
    """Schedules on a deleted event as on any other, and the bot stays on it."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        if event is None or not event.is_deleted:
            return super().schedule(event_id, body)
        event.is_deleted = False
        try:
            return super().schedule(event_id, body)
        finally:
            event.is_deleted = True


class LengthInBytes(Workspace):
    """Counts the key's length in UTF-8 bytes."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        key = body.get("deduplication_key") if isinstance(body, dict) else None
        too_long = isinstance(key, str) and len(key.encode()) > MAX_KEY_LENGTH
        if too_long and event_id in self.events:
            return Outcome(400, envelope({"deduplication_key": [TOO_LONG]}))
        return super().schedule(event_id, body)


class StartedRefusedAsEnded(Workspace):
    """Refuses an event as ended once it has started."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        now = self.clock()
        if event is None or event.is_deleted or event.start_time > now or not _valid(body):
            return super().schedule(event_id, body)
        return Outcome(400, envelope({"non_field_errors": [ENDED_MESSAGE]}))


class StartingSoonRefused(Workspace):
    """Refuses an event that starts within 10 minutes (it would need an ad-hoc bot)."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        now = self.clock()
        soon = event is not None and event.start_time - now < AD_HOC < event.end_time - now
        if not soon or event is None or event.is_deleted or not _valid(body):
            return super().schedule(event_id, body)
        return Outcome(400, envelope({"non_field_errors": [TOO_SOON]}))


class NullMetadataRefused(Workspace):
    """Refuses a metadata value of null (Recall documents string or null)."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        config = body.get("bot_config") if isinstance(body, dict) else None
        metadata = config.get("metadata") if isinstance(config, dict) else None
        if event_id in self.events and isinstance(metadata, dict) and None in metadata.values():
            errors = {"metadata": {name: ["This field may not be null."] for name in metadata}}
            return Outcome(400, envelope({"bot_config": errors}))
        return super().schedule(event_id, body)


class SlugKeysOnly(Workspace):
    """Takes only letters, digits, '_', '.' and '-' in a key: no recipe with a URL in it, no
    whitespace, nothing non-ASCII."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        key = body.get("deduplication_key") if isinstance(body, dict) else None
        if event_id in self.events and isinstance(key, str) and key and not SLUG.fullmatch(key):
            message = "Only letters, digits, '_', '.' and '-' are allowed."
            return Outcome(400, envelope({"deduplication_key": [message]}))
        return super().schedule(event_id, body)


EDGES: tuple[Mutant, ...] = (
    Mutant("ended-a-moment-ago-accepted", "ended.refused", workspace=EndedGracePeriod),
    Mutant("deleted-event-keeps-a-bot", "deleted.no-bot", workspace=DeletedEventScheduled),
    Mutant("key-length-in-utf8-bytes", "schema.invalid-requests", workspace=LengthInBytes),
    # Recall refuses events that "have ended"; an event in progress is not documented either way.
    Mutant(
        "in-progress-refused-as-ended",
        "ended.in-progress",
        workspace=StartedRefusedAsEnded,
        level=Level.SHOULD,
    ),
    Mutant("starting-soon-refused", "schedule.accepted", workspace=StartingSoonRefused),
    Mutant("null-metadata-value-refused", "schema.invalid-requests", workspace=NullMetadataRefused),
    Mutant("slug-keys-only", "schema.invalid-requests", workspace=SlugKeysOnly),
)
"""Broken at an edge; `catalogue.MUTANTS` includes them."""
