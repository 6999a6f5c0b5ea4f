"""Request validation, with Django REST Framework's messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from calbot.contracts.domain.operations import canonical_id
from calbot.contracts.domain.validation import (
    BAD_DATETIME,
    BAD_MEETING_URL,
    MAX_KEY_LENGTH,
    NOT_A_STRING,
    NOT_BLANK,
    NOT_NULL,
    OUT_OF_RANGE,
    REQUIRED,
    TOO_LONG,
    EventParams,
    ScheduleRequest,
    event_params_errors,
    schedule_request_errors,
)

MEET = "https://meet.google.com/abc-defg-hij"


def errors(body: object) -> Any:
    result = schedule_request_errors(body)
    assert isinstance(result, dict), result
    return result


# --- the schedule request --------------------------------------------------------------------


def test_a_valid_request_is_returned_with_its_parts() -> None:
    config = {"bot_name": "N", "join_at": "2030-01-01T10:00:00+02:00", "metadata": {"a": None}}
    result = schedule_request_errors({"deduplication_key": "k", "bot_config": config})
    assert result == ScheduleRequest("k", config, datetime(2030, 1, 1, 8, tzinfo=UTC))
    assert isinstance(result, ScheduleRequest) and result.bot_config is not config  # a copy


def test_an_empty_bot_config_and_unknown_fields_are_accepted() -> None:
    body = {"deduplication_key": "k", "bot_config": {"anything": [1, {"x": None}]}, "extra": 1}
    assert isinstance(schedule_request_errors(body), ScheduleRequest)
    result = schedule_request_errors({"deduplication_key": "k", "bot_config": {}})
    assert isinstance(result, ScheduleRequest) and result.join_at is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [([], "list"), ("x", "str"), (None, "null"), (1, "int"), (True, "bool"), (1.5, "float")],
)
def test_a_body_that_is_not_an_object(body: object, kind: str) -> None:
    assert errors(body) == {
        "non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]
    }


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, NOT_NULL),
        ("", NOT_BLANK),
        (5, NOT_A_STRING),
        (["k"], NOT_A_STRING),
        ("k" * (MAX_KEY_LENGTH + 1), TOO_LONG),
    ],
)
def test_bad_deduplication_keys(key: object, message: str) -> None:
    assert errors({"deduplication_key": key, "bot_config": {}}) == {"deduplication_key": [message]}


def test_the_longest_key_is_accepted_and_the_limit_message_names_it() -> None:
    body = {"deduplication_key": "k" * MAX_KEY_LENGTH, "bot_config": {}}
    assert isinstance(schedule_request_errors(body), ScheduleRequest)
    assert TOO_LONG == "Ensure this field has no more than 2000 characters."


def test_missing_fields_are_all_reported() -> None:
    assert errors({}) == {"deduplication_key": [REQUIRED], "bot_config": [REQUIRED]}
    assert REQUIRED == "This field is required."


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, [NOT_NULL]),
        ([], ['Expected a dictionary of items but got type "list".']),
        ("x", ['Expected a dictionary of items but got type "str".']),
        (3, ['Expected a dictionary of items but got type "int".']),
    ],
)
def test_a_bot_config_that_is_not_an_object(config: object, message: list[str]) -> None:
    assert errors({"deduplication_key": "k", "bot_config": config}) == {"bot_config": message}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"bot_name": None}, {"bot_name": [NOT_NULL]}),
        ({"bot_name": 1}, {"bot_name": [NOT_A_STRING]}),
        ({"meeting_url": 1}, {"meeting_url": [NOT_A_STRING]}),
        ({"meeting_url": None}, {"meeting_url": [NOT_NULL]}),
        ({"meeting_url": "https://example.com/call"}, {"meeting_url": [BAD_MEETING_URL]}),
        ({"join_at": "tomorrow"}, {"join_at": [BAD_DATETIME]}),
        ({"join_at": "2030-01-01"}, {"join_at": [BAD_DATETIME]}),
        ({"join_at": "2030-01-01T10:00:00"}, {"join_at": [BAD_DATETIME]}),
        ({"join_at": None}, {"join_at": [NOT_NULL]}),
        ({"join_at": 1_900_000_000}, {"join_at": [BAD_DATETIME]}),
        ({"join_at": "0001-01-01T00:00:00+01:00"}, {"join_at": [OUT_OF_RANGE]}),
        ({"join_at": "9999-12-31T23:30:00-01:00"}, {"join_at": [OUT_OF_RANGE]}),
        ({"metadata": None}, {"metadata": [NOT_NULL]}),
        ({"metadata": []}, {"metadata": ['Expected a dictionary of items but got type "list".']}),
        (
            {"metadata": {"a": 1, "b": "ok", "c": None, "d": {}}},
            {"metadata": {"a": [NOT_A_STRING], "d": [NOT_A_STRING]}},
        ),
        ({"metadata": {"n": True}}, {"metadata": {"n": [NOT_A_STRING]}}),
    ],
)
def test_bad_bot_config_fields_are_reported_inside_bot_config(
    config: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert errors({"deduplication_key": "k", "bot_config": config}) == {"bot_config": expected}


def test_errors_of_both_fields_come_together() -> None:
    body = {"deduplication_key": "", "bot_config": {"bot_name": 1}}
    assert errors(body) == {
        "deduplication_key": [NOT_BLANK],
        "bot_config": {"bot_name": [NOT_A_STRING]},
    }


@pytest.mark.parametrize("url", [MEET, "https://zoom.us/j/84315220467", ""])
def test_supported_or_empty_meeting_urls_are_accepted(url: str) -> None:
    body = {"deduplication_key": "k", "bot_config": {"meeting_url": url}}
    assert isinstance(schedule_request_errors(body), ScheduleRequest)


# --- provider-state params -------------------------------------------------------------------

PARAMS = {"start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T10:30:00Z"}


def test_minimal_params_get_the_defaults() -> None:
    assert event_params_errors(PARAMS) == EventParams(
        start_time=datetime(2030, 1, 1, 10, tzinfo=UTC),
        end_time=datetime(2030, 1, 1, 10, 30, tzinfo=UTC),
        meeting_url=None,
        platform="google_calendar",
        calendar_id=None,
        is_deleted=False,
        id=None,
    )


def test_every_param_is_read_and_ids_are_canonical() -> None:
    params = {
        **PARAMS,
        "meeting_url": MEET,
        "platform": "microsoft_outlook",
        "calendar_id": "5D2F0C3A22224B1C8D4EABCDEFABCDEF",
        "is_deleted": True,
        "id": "{0b8c7f5e-1111-4a2b-9c3d-1234567890ab}",
    }
    result = event_params_errors(params)
    assert isinstance(result, EventParams)
    assert result.calendar_id == "5d2f0c3a-2222-4b1c-8d4e-abcdefabcdef"
    assert result.id == "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
    assert (result.meeting_url, result.platform, result.is_deleted) == (
        MEET,
        "microsoft_outlook",
        True,
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"start_time": [REQUIRED], "end_time": [REQUIRED]}),
        ({**PARAMS, "start_time": "soon"}, {"start_time": [BAD_DATETIME]}),
        ({**PARAMS, "end_time": None}, {"end_time": [BAD_DATETIME]}),
        (
            {**PARAMS, "end_time": "2030-01-01T09:00:00Z"},
            {"end_time": ["end_time is before start_time."]},
        ),
        ({**PARAMS, "meeting_url": "https://example.com"}, {"meeting_url": [BAD_MEETING_URL]}),
        ({**PARAMS, "meeting_url": 5}, {"meeting_url": [BAD_MEETING_URL]}),
        ({**PARAMS, "platform": "zoom"}, {"platform": ['"zoom" is not a valid choice.']}),
        ({**PARAMS, "calendar_id": "nope"}, {"calendar_id": ["Must be a valid UUID."]}),
        ({**PARAMS, "id": 12}, {"id": ["Must be a valid UUID."]}),
        ({**PARAMS, "is_deleted": "false"}, {"is_deleted": ["Must be a valid boolean."]}),
    ],
)
def test_bad_params(params: dict[str, Any], expected: dict[str, Any]) -> None:
    assert event_params_errors(params) == expected


@pytest.mark.parametrize("params", [None, [], "x"])
def test_params_that_are_not_an_object(params: object) -> None:
    result = event_params_errors(params)
    assert isinstance(result, dict) and list(result) == ["params"]


def test_an_event_may_start_and_end_at_once() -> None:
    same = {"start_time": PARAMS["start_time"], "end_time": PARAMS["start_time"]}
    assert isinstance(event_params_errors(same), EventParams)


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0b8c7f5e-1111-4a2b-9c3d-1234567890ab",
        "0B8C7F5E-1111-4A2B-9C3D-1234567890AB",
        "0b8c7f5e11114a2b9c3d1234567890ab",
        "{0b8c7f5e-1111-4a2b-9c3d-1234567890ab}",
        "urn:uuid:0b8c7f5e-1111-4a2b-9c3d-1234567890ab",
    ],
)
def test_uuid_spellings(value: str) -> None:
    assert canonical_id(value) == "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"


@pytest.mark.parametrize(
    "value",
    ["", "x", "0b8c7f5e-1111-4a2b-9c3d-1234567890a", "0b8c7f5e-1111-4a2b-9c3d-1234567890abc"],
)
def test_not_uuids(value: str) -> None:
    assert canonical_id(value) is None
