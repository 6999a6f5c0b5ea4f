"""Judges of meeting_url in answers: a string on events and `bots[]`, the per-platform object
on the Bot.

Source: https://docs.recall.ai/docs/meeting-urls (the per-platform objects and the link forms
Recall's patterns cover).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from calbot.contracts.judges.registry import judges
from calbot.spec import load_spec
from calbot.spec.meeting_urls import mismatches

_URI = "urn:calbot:spec"
EVENT_FIELD = "CalendarEvent.meeting_url"
BOTS_FIELD = "bots[].meeting_url"


@dataclass(frozen=True, slots=True)
class NotAString:
    """A meeting_url on an event answer that is not a string: where, what, what was due."""

    field: str
    value: object
    expected: str


@judges("meeting_url.event-string")
def meeting_urls_not_strings(event: Mapping[str, Any]) -> list[NotAString]:
    """The meeting_urls of a CalendarEvent answer that are not strings: the event's own (a
    string or null) and each `bots[]` item's (a string)."""
    wrong = []
    value = event.get("meeting_url")
    if not (value is None or isinstance(value, str)):
        wrong.append(NotAString(EVENT_FIELD, value, "a string or null"))
    for item in event.get("bots") or ():
        if isinstance(item, dict) and not isinstance(item.get("meeting_url"), str):
            wrong.append(NotAString(BOTS_FIELD, item.get("meeting_url"), "a string"))
    return wrong


@dataclass(frozen=True, slots=True)
class BotUrlProblems:
    """Why a Bot's meeting_url is not the object for the URL: its shape (not the fragment's
    MeetingUrl) or a mismatch with the URL (the object is fine, its ids are not the URL's)."""

    shape: bool
    problems: list[str]


@judges("meeting_url.bot-object")
def bot_meeting_url_problems(value: object, url: str) -> BotUrlProblems | None:
    """What is wrong with a Bot's meeting_url `value` for a bot scheduled with `url` (a link
    form Recall's patterns cover), or None when it is the per-platform object of that URL."""
    if not isinstance(value, dict):
        return BotUrlProblems(True, [f"a {type(value).__name__}, not an object"])
    shape = [_describe(error) for error in _validator().iter_errors(value)]
    if shape:
        return BotUrlProblems(True, shape)
    wrong = mismatches(value, url)
    return BotUrlProblems(False, wrong) if wrong else None


@functools.cache
def _validator() -> Draft202012Validator:
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    root = {"$ref": f"{_URI}#/components/schemas/MeetingUrl"}
    return Draft202012Validator(root, registry=registry)


def _describe(error: Any) -> str:
    where = "/".join(["meeting_url", *(str(part) for part in error.absolute_path)])
    return f"{where}: {error.message[:300]}"
