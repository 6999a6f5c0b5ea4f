"""calbot.generators.requests: whole request bodies, checked against the fragment's schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from calbot.generators import invalid_schedule_requests, schedule_requests
from calbot.spec.evidence import documented_violations

FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FIND = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])
SHRINK = settings(
    max_examples=2000, database=None, derandomize=True, phases=[Phase.generate, Phase.shrink]
)

Validator = Callable[[str], jsonschema.Draft202012Validator]

NOW = datetime(2026, 11, 25, 12, 34, 56, tzinfo=UTC)


@FAST
@given(body=schedule_requests(NOW))
def test_valid_bodies_satisfy_the_schema(body: dict[str, Any], schema_validator: Validator) -> None:
    schema_validator("CalendarEventAddBot").validate(body)
    assert list(body) == ["deduplication_key", "bot_config"]
    assert json.loads(json.dumps(body)) == body


@FAST
@given(pair=invalid_schedule_requests(NOW))
def test_invalid_bodies_violate_the_schema(
    pair: tuple[object, str], schema_validator: Validator
) -> None:
    body, reason = pair
    errors = list(schema_validator("CalendarEventAddBot").iter_errors(body))
    assert errors, f"{reason}: {body!r:.200} passed the schema"
    assert reason
    json.dumps(body, allow_nan=False)  # every invalid body can still be sent as JSON


@FAST
@given(pair=invalid_schedule_requests(NOW))
def test_invalid_bodies_break_a_documented_constraint_every_way(pair: tuple[object, str]) -> None:
    body, reason = pair
    assert documented_violations(body), f"{reason}: {body!r:.120} may be accepted"


@FAST
@given(body=schedule_requests(NOW))
def test_valid_bodies_break_no_documented_constraint(body: dict[str, Any]) -> None:
    assert documented_violations(body) == []


def test_valid_bodies_shrink_to_the_smallest_request() -> None:
    body = find(schedule_requests(NOW), lambda b: True, settings=SHRINK)
    assert body == {"deduplication_key": "0", "bot_config": {}}


def _field(body: object, name: str) -> object:
    return body.get(name, "<missing>") if isinstance(body, dict) else "<no body>"


def _has_bad_metadata_value(body: object) -> bool:
    config = _field(body, "bot_config")
    metadata = config.get("metadata") if isinstance(config, dict) else None
    return isinstance(metadata, dict) and any(
        v is not None and not isinstance(v, str) for v in metadata.values()
    )


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("missing key", lambda b: _field(b, "deduplication_key") == "<missing>"),
        ("missing bot_config", lambda b: _field(b, "bot_config") == "<missing>"),
        ("blank key", lambda b: _field(b, "deduplication_key") == ""),
        ("over-long key", lambda b: len(str(_field(b, "deduplication_key"))) > 2000),
        ("non-string key", lambda b: type(_field(b, "deduplication_key")) in (int, list, dict)),
        ("bot_config an array", lambda b: isinstance(_field(b, "bot_config"), list)),
        ("non-string metadata values", _has_bad_metadata_value),
        ("body an array", lambda b: isinstance(b, list)),
        ("body an array around a valid body", lambda b: isinstance(b, list) and len(b) == 1),
        ("body a string", lambda b: isinstance(b, str)),
        ("body a number", lambda b: type(b) is int),
        ("body null", lambda b: b is None),
    ],
)
def test_every_invalid_case_is_reachable(
    description: str, condition: Callable[[object], bool]
) -> None:
    body, reason = find(invalid_schedule_requests(NOW), lambda p: condition(p[0]), settings=FIND)
    assert condition(body), description
    assert reason


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            lambda b: isinstance(b, dict) and "deduplication_key" not in b and "bot_config" in b,
            ({"bot_config": {}}, "deduplication_key is missing"),
        ),
        (lambda b: b is None, (None, "body is null, not an object")),
        (
            lambda b: isinstance(b, dict) and b.get("deduplication_key") == "",
            ({"deduplication_key": "", "bot_config": {}}, "deduplication_key is an empty string"),
        ),
    ],
)
def test_invalid_bodies_shrink_to_readable_examples(
    condition: Callable[[object], bool], expected: tuple[object, str]
) -> None:
    assert find(invalid_schedule_requests(NOW), lambda p: condition(p[0]), settings=SHRINK) == (
        expected
    )
