"""Request validation with Django REST Framework's messages, as Recall's API answers them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calbot.contracts.domain.timestamps import out_of_range, parse_timestamp
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.meeting_urls import parse_meeting_url

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
TOO_LONG = f"Ensure this field has no more than {MAX_KEY_LENGTH} characters."
BAD_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
OUT_OF_RANGE = "Datetime value out of range."
BAD_MEETING_URL = (
    "Unsupported meeting URL: expected a Zoom, Google Meet, Microsoft Teams, Webex or GoTo link."
)
CALENDAR_PLATFORMS = ("google_calendar", "microsoft_outlook")

Errors = dict[str, Any]


def _type_name(value: object) -> str:
    return {dict: "dict", list: "list", str: "str", bool: "bool", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def not_a_dict(value: object) -> list[str]:
    return [f'Expected a dictionary of items but got type "{_type_name(value)}".']


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """A valid schedule request body."""

    deduplication_key: str
    bot_config: dict[str, Any]
    join_at: datetime | None


def schedule_request_errors(body: object) -> ScheduleRequest | Errors:
    """The request, or DRF-style field errors (`{"deduplication_key": ["..."]}`)."""
    if not isinstance(body, Mapping):
        kind = _type_name(body)
        return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
    errors: Errors = {}
    key = body.get("deduplication_key")
    if "deduplication_key" not in body:
        errors["deduplication_key"] = [REQUIRED]
    elif key is None:
        errors["deduplication_key"] = [NOT_NULL]
    elif not isinstance(key, str):
        errors["deduplication_key"] = [NOT_A_STRING]
    elif key == "":
        errors["deduplication_key"] = [NOT_BLANK]
    elif len(key) > MAX_KEY_LENGTH:
        errors["deduplication_key"] = [TOO_LONG]
    config = body.get("bot_config")
    join_at = None
    if "bot_config" not in body:
        errors["bot_config"] = [REQUIRED]
    elif config is None:
        errors["bot_config"] = [NOT_NULL]
    elif not isinstance(config, Mapping):
        errors["bot_config"] = not_a_dict(config)
    else:
        config_errors, join_at = _bot_config_errors(config)
        if config_errors:
            errors["bot_config"] = config_errors
    if errors:
        return errors
    assert isinstance(key, str) and isinstance(config, Mapping)
    return ScheduleRequest(key, dict(config), join_at)


def _bad_datetime(value: object) -> str:
    """DRF's message for a value its DateTimeField refuses."""
    if value is None:
        return NOT_NULL
    return OUT_OF_RANGE if out_of_range(value) else BAD_DATETIME


def _bot_config_errors(config: Mapping[str, Any]) -> tuple[Errors, datetime | None]:
    errors: Errors = {}
    for name in ("bot_name", "meeting_url"):
        if name in config and not isinstance(config[name], str):
            errors[name] = [NOT_NULL if config[name] is None else NOT_A_STRING]
    url = config.get("meeting_url")
    if isinstance(url, str) and url and parse_meeting_url(url) is None:
        errors["meeting_url"] = [BAD_MEETING_URL]
    join_at = None
    if "join_at" in config:
        join_at = parse_timestamp(config["join_at"])
        if join_at is None:
            errors["join_at"] = [_bad_datetime(config["join_at"])]
    if "metadata" in config:
        metadata = config["metadata"]
        if not isinstance(metadata, Mapping):
            errors["metadata"] = [NOT_NULL] if metadata is None else not_a_dict(metadata)
        else:
            bad = {
                str(name): [NOT_A_STRING]
                for name, value in metadata.items()
                if value is not None and not isinstance(value, str)
            }
            if bad:
                errors["metadata"] = bad
    return errors, join_at


@dataclass(frozen=True, slots=True)
class EventParams:
    """Valid provider-state params for a calendar event."""

    start_time: datetime
    end_time: datetime
    meeting_url: str | None
    platform: str
    calendar_id: str | None
    is_deleted: bool
    id: str | None


def event_params_errors(params: object) -> EventParams | Errors:
    """Provider-state `params` for "a calendar event", or field errors."""
    if not isinstance(params, Mapping):
        return {"params": not_a_dict(params)}
    errors: Errors = {}
    times = {}
    for name in ("start_time", "end_time"):
        times[name] = parse_timestamp(params.get(name))
        if name not in params:
            errors[name] = [REQUIRED]
        elif times[name] is None:
            errors[name] = [BAD_DATETIME]
    start, end = times["start_time"], times["end_time"]
    if start and end and end < start:
        errors["end_time"] = ["end_time is before start_time."]
    url = params.get("meeting_url")
    if url is not None and (not isinstance(url, str) or parse_meeting_url(url) is None):
        errors["meeting_url"] = [BAD_MEETING_URL]
    platform = params.get("platform", "google_calendar")
    if platform not in CALENDAR_PLATFORMS:
        errors["platform"] = [f'"{platform}" is not a valid choice.']
    ids = {}
    for name in ("calendar_id", "id"):
        value = params.get(name)
        ids[name] = _uuid(value) if value is not None else None
        if value is not None and ids[name] is None:
            errors[name] = ["Must be a valid UUID."]
    is_deleted = params.get("is_deleted", False)
    if not isinstance(is_deleted, bool):
        errors["is_deleted"] = ["Must be a valid boolean."]
    if errors:
        return errors
    assert start is not None and end is not None and isinstance(platform, str)
    return EventParams(start, end, url, platform, ids["calendar_id"], is_deleted, ids["id"])


def _uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
