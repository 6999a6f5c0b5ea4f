"""Domain models of correct servers that read the docs differently from calbot's reference.

Each is the reference `Workspace` with one reading changed, in a place the docs leave open.
They compose (`LenientNullObjects`), since a real server may take several liberties at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from calbot.contracts.domain.model import Bot, Event, Json, Outcome, Workspace, envelope
from calbot.spec.meeting_urls import parse_meeting_url
from calbot.spec.states import DEFAULT_MEETING_URL
from tests.drf import drf_body

from .published import is_published_form

UNSUPPORTED_LINK = "This meeting link is not supported."


def config_link(body: object) -> object:
    """`bot_config.meeting_url` of a request body, or None when there is none."""
    config = body.get("bot_config") if isinstance(body, Mapping) else None
    return config.get("meeting_url") if isinstance(config, Mapping) else None


def with_config_link(body: Mapping[str, Any], url: str) -> dict[str, Any]:
    """`body` with `bot_config.meeting_url` set to `url`."""
    return {**body, "bot_config": {**body["bot_config"], "meeting_url": url}}


class AnyLinkAccepted(Workspace):
    """`bot_config.meeting_url` is any string: no Recall document says this endpoint refuses a
    string that is not a link it knows (the docs type it as a string, nothing more)."""

    _link: str | None = None

    def schedule(self, event_id: str, body: object) -> Outcome:
        url = config_link(body)
        if not isinstance(url, str) or not url or parse_meeting_url(url) is not None:
            return super().schedule(event_id, body)
        assert isinstance(body, Mapping)
        # The reference model refuses links it cannot parse: hand it a placeholder that it
        # accepts, and put the link as sent back where the bot is made.
        self._link = url
        try:
            return super().schedule(event_id, with_config_link(body, DEFAULT_MEETING_URL))
        finally:
            self._link = None

    def _schedule(
        self, event: Event, key: str, config: Json, meeting_url: str, join_at: datetime
    ) -> None:
        if self._link is not None:
            config, meeting_url = {**config, "meeting_url": self._link}, self._link
        super()._schedule(event, key, config, meeting_url, join_at)


class DrfLenient(AnyLinkAccepted):
    """Reads the body as DRF does: numbers coerced to strings in string fields, surrounding
    whitespace trimmed (the deduplication key too), `null` optional fields as not given."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        return super().schedule(event_id, drf_body(body))


class NullObjectForUnknownLinks(AnyLinkAccepted):
    """The Bot's `meeting_url` is `null` for a link outside Recall's published patterns: the
    docs publish no object for those forms (https://docs.recall.ai/docs/meeting-urls)."""

    def bot_json(self, bot: Bot) -> Json:
        body = super().bot_json(bot)
        if not is_published_form(bot.meeting_url):
            body["meeting_url"] = None
        return body


class LenientNullObjects(DrfLenient, NullObjectForUnknownLinks):
    """Both liberties at once."""


class UnknownLinksRefused(Workspace):
    """`bot_config.meeting_url` outside Recall's published patterns is refused with a 400 (the
    docs promise nothing for those forms; their advice is to try and read the 400)."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        url = config_link(body)
        if event_id in self.events and isinstance(url, str) and url and not is_published_form(url):
            return Outcome(400, envelope({"bot_config": {"meeting_url": [UNSUPPORTED_LINK]}}))
        return super().schedule(event_id, body)
