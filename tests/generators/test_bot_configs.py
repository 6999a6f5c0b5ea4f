"""calbot.generators.bot_configs: valid and invalid ``bot_config`` objects."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from calbot.generators import BOT_CONFIG_FIELDS, bot_configs, invalid_bot_configs
from calbot.generators.bot_configs import DOCUMENTED_AUTOMATIC_LEAVE, DOCUMENTED_RECORDING_CONFIG
from calbot.spec.meeting_urls import parse_meeting_url

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
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


@FAST
@given(config=bot_configs(NOW))
def test_configs_satisfy_the_fragment(config: dict[str, Any], schema_validator: Validator) -> None:
    assert set(config) <= set(BOT_CONFIG_FIELDS)
    schema_validator("BotConfig").validate(config)
    body = {"deduplication_key": "k", "bot_config": config}
    schema_validator("CalendarEventAddBot").validate(body)
    assert json.loads(json.dumps(config)) == config


@FAST
@given(config=bot_configs(NOW))
def test_fields_have_the_documented_shapes(config: dict[str, Any]) -> None:
    if "bot_name" in config:
        assert 1 <= len(config["bot_name"]) <= 100  # Create Bot: minLength 1, maxLength 100
        assert config["bot_name"].strip()
    if "join_at" in config:
        assert RFC3339_Z.match(config["join_at"])
        join_at = datetime.fromisoformat(config["join_at"])
        assert NOW + timedelta(minutes=15) <= join_at <= NOW + timedelta(days=29)
    if "meeting_url" in config:
        assert parse_meeting_url(config["meeting_url"]) is not None
    if "metadata" in config:
        assert len(config["metadata"]) <= 3
        assert all(isinstance(k, str) and k for k in config["metadata"])
        assert all(v is None or isinstance(v, str) for v in config["metadata"].values())
    for opaque in ("recording_config", "automatic_leave", "variant", "chat"):
        if opaque in config:
            assert isinstance(config[opaque], dict)  # empty ones are an edge, on purpose
    for nested in ("variant", "chat"):
        if nested in config:
            assert config[nested]


def test_shrinks_to_the_empty_config() -> None:
    assert find(bot_configs(NOW), lambda c: True, settings=SHRINK) == {}


@pytest.mark.parametrize("field", BOT_CONFIG_FIELDS)
def test_every_field_is_reachable(field: str) -> None:
    assert field in find(bot_configs(NOW), lambda c: field in c, settings=FIND)


def test_a_full_config_is_reachable() -> None:
    config = find(bot_configs(NOW), lambda c: len(c) == len(BOT_CONFIG_FIELDS), settings=FIND)
    assert list(config) == list(BOT_CONFIG_FIELDS)


def test_null_metadata_values_are_reachable() -> None:
    config = find(bot_configs(NOW), lambda c: None in c.get("metadata", {}).values(), settings=FIND)
    assert None in config["metadata"].values()


# --- edges: drawn often, not only reachable ---------------------------------------------------

# Hypothesis runs each distinct example once, so a config drawn alone can come up as `{}` only
# a few times; the stateful check draws several configs per example, and so does this sample.
SAMPLE = settings(
    max_examples=60,
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _metadata(config: dict[str, Any]) -> dict[str, Any]:
    metadata = config.get("metadata")
    return metadata if isinstance(metadata, dict) else {"-": "absent"}


EDGES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "an empty config": lambda c: c == {},
    "metadata with a null value": lambda c: None in _metadata(c).values(),
    "metadata all null": lambda c: bool(_metadata(c)) and set(_metadata(c).values()) == {None},
    "empty metadata": lambda c: _metadata(c) == {},
    "non-ASCII metadata": lambda c: not json.dumps(_metadata(c), ensure_ascii=False).isascii(),
    "a one-character bot_name": lambda c: len(c.get("bot_name", "--")) == 1,
    "a bot_name near the 100 limit": lambda c: len(c.get("bot_name", "")) >= 97,
    "an empty nested object": lambda c: {} in (c.get("recording_config"), c.get("automatic_leave")),
    "the documented automatic_leave": lambda c: (
        c.get("automatic_leave") == DOCUMENTED_AUTOMATIC_LEAVE
    ),
    "the documented transcript": lambda c: "transcript" in c.get("recording_config", {}),
    "a list inside the config": lambda c: "matches" in json.dumps(c.get("automatic_leave", {})),
}


def test_edges_are_drawn_with_real_probability() -> None:
    """Of 300 configs, drawn 5 per example as the stateful check draws them (about 75 a run),
    each edge of the documented shapes is at least 2%: drawn, not only reachable."""
    drawn: list[dict[str, Any]] = []

    @SAMPLE
    @given(configs=st.lists(bot_configs(NOW), min_size=5, max_size=5))
    def draw(configs: list[dict[str, Any]]) -> None:
        drawn.extend(configs)

    draw()
    counts = {name: sum(1 for config in drawn if edge(config)) for name, edge in EDGES.items()}
    assert all(count >= len(drawn) // 50 for count in counts.values()), counts


def test_documented_constants_are_never_shared_with_a_draw() -> None:
    config = find(
        bot_configs(NOW),
        lambda c: c.get("automatic_leave") == DOCUMENTED_AUTOMATIC_LEAVE,
        settings=FIND,
    )
    assert config["automatic_leave"] is not DOCUMENTED_AUTOMATIC_LEAVE
    config["automatic_leave"]["silence_detection"]["timeout"] = 1
    assert DOCUMENTED_AUTOMATIC_LEAVE["silence_detection"]["timeout"] == 3600
    config = find(
        bot_configs(NOW),
        lambda c: c.get("recording_config") == DOCUMENTED_RECORDING_CONFIG,
        settings=FIND,
    )
    config["recording_config"]["transcript"]["provider"]["mutated"] = {}
    assert DOCUMENTED_RECORDING_CONFIG == {"transcript": {"provider": {"meeting_captions": {}}}}


@FAST
@given(config=bot_configs(NOW, exclude={"meeting_url", "join_at"}))
def test_excluded_fields_never_appear(config: dict[str, Any]) -> None:
    assert "meeting_url" not in config and "join_at" not in config


def test_drawn_configs_do_not_share_state() -> None:
    first = find(bot_configs(NOW), lambda c: "recording_config" in c, settings=SHRINK)
    first["recording_config"]["mutated"] = True
    second = find(bot_configs(NOW), lambda c: "recording_config" in c, settings=SHRINK)
    assert "mutated" not in second["recording_config"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fields"):
        bot_configs(NOW, exclude={"botname"})
    with pytest.raises(ValueError, match="timezone-aware"):
        bot_configs(datetime(2026, 11, 25, 12, 0))


# --- invalid ----------------------------------------------------------------------------------


@FAST
@given(pair=invalid_bot_configs())
def test_invalid_configs_violate_the_fragment(
    pair: tuple[object, str], schema_validator: Validator
) -> None:
    value, reason = pair
    assert reason.startswith("bot_config")
    assert list(schema_validator("BotConfig").iter_errors(value)), f"{reason}: {value!r}"
    body = {"deduplication_key": "k", "bot_config": value}
    assert list(schema_validator("CalendarEventAddBot").iter_errors(body))
    json.dumps(value, allow_nan=False)


def _metadata_value(value: object, kind: type) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("metadata"), dict):
        return False
    bad = [v for v in value["metadata"].values() if v is not None and not isinstance(v, str)]
    return any(type(v) is kind for v in bad)


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("array", lambda v: isinstance(v, list)),
        ("string", lambda v: isinstance(v, str)),
        ("config serialised as a JSON string", lambda v: isinstance(v, str) and "{" in v),
        ("integer", lambda v: type(v) is int),
        ("float", lambda v: type(v) is float),
        ("null", lambda v: v is None),
        ("boolean", lambda v: isinstance(v, bool)),
        ("metadata array", lambda v: isinstance(v, dict) and isinstance(v["metadata"], list)),
        ("metadata string", lambda v: isinstance(v, dict) and isinstance(v["metadata"], str)),
        ("metadata number", lambda v: isinstance(v, dict) and type(v["metadata"]) is int),
        ("metadata value boolean", lambda v: _metadata_value(v, bool)),
        ("metadata value list", lambda v: _metadata_value(v, list)),
        ("metadata value object", lambda v: _metadata_value(v, dict)),
    ],
)
def test_every_invalid_case_is_reachable(
    description: str, condition: Callable[[object], bool]
) -> None:
    value, reason = find(invalid_bot_configs(), lambda p: condition(p[0]), settings=FIND)
    assert condition(value), description
    assert reason


def test_invalid_reasons_name_the_problem() -> None:
    _, reason = find(invalid_bot_configs(), lambda p: isinstance(p[0], list), settings=SHRINK)
    assert reason == "bot_config is an array, not an object"
    value, reason = find(
        invalid_bot_configs(), lambda p: _metadata_value(p[0], bool), settings=SHRINK
    )
    assert isinstance(value, dict)
    (key,) = (k for k, v in value["metadata"].items() if isinstance(v, bool))
    assert reason == f"bot_config.metadata[{key!r}] is a boolean, not a string or null"
