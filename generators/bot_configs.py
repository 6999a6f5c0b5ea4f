"""``bot_config`` objects for Schedule Bot For Calendar Event, valid and invalid.

A valid config holds any subset of a few Create-Bot fields (possibly none: ``{}`` is what
Recall's own demo sends). ``bot_name``, ``join_at``, ``meeting_url`` and ``metadata`` are the
ones calbot checks; ``recording_config``, ``automatic_leave``, ``variant`` and ``chat`` are
opaque to calbot and carry realistic values, so a contract can see whether a second schedule
replaced the whole config or merged it into the old one.

Each field draws an edge of its documented shape about as often as a typical value: a bot_name
of 1 or 100 characters, metadata that is empty, all null or non-ASCII, empty nested objects and
the deep ``automatic_leave`` Recall documents (`DOCUMENTED_AUTOMATIC_LEAVE`).
"""

from __future__ import annotations

import copy
import functools
import json
import string
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from calbot.generators.events import _floor_minute, _rfc3339
from calbot.generators.keys import _kind
from calbot.generators.meeting_urls import meeting_url_strings

__all__ = [
    "BOT_CONFIG_FIELDS",
    "DOCUMENTED_AUTOMATIC_LEAVE",
    "DOCUMENTED_RECORDING_CONFIG",
    "bot_configs",
    "invalid_bot_configs",
]

BOT_CONFIG_FIELDS: tuple[str, ...] = (
    "bot_name",
    "join_at",
    "meeting_url",
    "metadata",
    "recording_config",
    "automatic_leave",
    "variant",
    "chat",
)
"""The fields `bot_configs` may set, in the order they appear."""

DOCUMENTED_RECORDING_CONFIG: dict[str, Any] = {"transcript": {"provider": {"meeting_captions": {}}}}
"""The recording_config of Recall's quickstart (https://docs.recall.ai/docs/quickstart).
Shared: copy it before changing it."""

DOCUMENTED_AUTOMATIC_LEAVE: dict[str, Any] = {
    "silence_detection": {"timeout": 3600, "activate_after": 1200},
    "bot_detection": {
        "using_participant_events": {"timeout": 600, "activate_after": 1200},
        "using_participant_names": {"timeout": 3600, "activate_after": 1200},
    },
    "everyone_left_timeout": {"timeout": 2, "activate_after": 0},
    "waiting_room_timeout": 1200,
    "noone_joined_timeout": 1200,
    "in_call_not_recording_timeout": 3600,
    "recording_permission_denied_timeout": 30,
}
"""The automatic_leave defaults Recall documents, in full
(https://docs.recall.ai/docs/automatic-leaving-behavior), which the Schedule Bot For Calendar
Event endpoint takes too (https://docs.recall.ai/docs/bot-detection). Shared: copy it before
changing it."""

_BOT_NAMES = ("Notetaker", "Meeting Recorder", "calbot", "Notetaker 🤖", "Protokoll-Bot Ü", "מקליט")
# Create Bot's bot_name is 1 to 100 characters.
_BOT_NAME_EDGES = ("N", "é", "会", "Notetaker-" * 10, "Protokoll " * 9 + "Bot Ü 🤖")
_METADATA_KEYS = ("customer_id", "event_id", "source")
# No blank values: whether Recall's metadata strings may be blank is not documented.
_METADATA_VALUES = ("c_123", "calbot", "é 😀")
_METADATA_EDGES: tuple[dict[str, str | None], ...] = (
    {},
    {"customer_id": None},
    {"customer_id": None, "event_id": None, "source": None},
    {"客户": "会议 é", "עסקה": "שלום"},
    {"customer_id": "c_123", "deal_id": None},
)
_RECORDING_CONFIGS: tuple[dict[str, Any], ...] = (
    DOCUMENTED_RECORDING_CONFIG,
    {"video_mixed_layout": "speaker_view"},
    {"video_mixed_layout": "gallery_view_v2"},
    {"include_bot_in_recording": {"audio": True}},
    {},
    {**DOCUMENTED_RECORDING_CONFIG, "video_mixed_layout": "speaker_view"},
)
_AUTOMATIC_LEAVE_EDGES: tuple[dict[str, Any], ...] = (
    {},
    DOCUMENTED_AUTOMATIC_LEAVE,
    {
        "bot_detection": {
            "using_participant_names": {
                "matches": ["notetaker", "recorder", "assistant"],
                "timeout": 60,
                "activate_after": 300,
            }
        }
    },
)
_CHAT_MESSAGES = ("This meeting is being recorded.", "Hi, I'm taking notes.")
_VARIANTS = ("web", "web_4_core")
_JOIN_WINDOW_MINUTES = 28 * 24 * 60


def _name_text() -> SearchStrategy[str]:
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(string.ascii_letters),
        st.text(alphabet=string.ascii_letters + string.digits + " ", max_size=40),
    )


# Strategies are built once and reused (per ``now`` for ``join_at``): Hypothesis validates a
# strategy on its first draw, which costs milliseconds for nested ones.
@functools.cache
def _metadata() -> SearchStrategy[dict[str, str | None]]:
    keys = st.one_of(
        st.sampled_from(_METADATA_KEYS),
        st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=16),
    )
    values = st.one_of(
        st.sampled_from(_METADATA_VALUES),
        st.builds(
            lambda first, rest: first + rest,
            st.sampled_from(string.ascii_letters + string.digits),
            st.text(alphabet=string.ascii_letters + string.digits + "-_ ", max_size=19),
        ),
        st.none(),
    )
    return st.dictionaries(keys, values, max_size=3)


@functools.cache
def _fields_without_join_at() -> dict[str, SearchStrategy[Any]]:
    timeouts = st.integers(60, 3600)
    return {
        "bot_name": st.one_of(
            st.sampled_from(_BOT_NAMES), _name_text(), st.sampled_from(_BOT_NAME_EDGES)
        ),
        "meeting_url": meeting_url_strings(),
        "metadata": st.one_of(_metadata(), st.sampled_from(_METADATA_EDGES).map(copy.deepcopy)),
        "recording_config": st.sampled_from(_RECORDING_CONFIGS).map(copy.deepcopy),
        "automatic_leave": st.one_of(
            st.fixed_dictionaries(
                {"waiting_room_timeout": timeouts},
                optional={
                    "noone_joined_timeout": timeouts,
                    "everyone_left_timeout": st.fixed_dictionaries(
                        {"timeout": st.integers(2, 600), "activate_after": st.integers(0, 1200)}
                    ),
                },
            ),
            st.sampled_from(_AUTOMATIC_LEAVE_EDGES).map(copy.deepcopy),
        ),
        "variant": st.fixed_dictionaries(
            {"zoom": st.sampled_from(_VARIANTS)},
            optional={
                "google_meet": st.sampled_from(_VARIANTS),
                "microsoft_teams": st.sampled_from(_VARIANTS),
            },
        ),
        "chat": st.builds(
            lambda message: {"on_bot_join": {"send_to": "everyone", "message": message}},
            st.sampled_from(_CHAT_MESSAGES),
        ),
    }


def _join_at(base: datetime) -> SearchStrategy[str]:
    # More than 10 minutes ahead makes a "scheduled" bot, not an ad-hoc one
    # (https://docs.recall.ai/docs/creating-and-scheduling-bots).
    return st.integers(0, _JOIN_WINDOW_MINUTES).map(
        lambda minutes: _rfc3339(base + timedelta(minutes=16 + minutes))
    )


def _in_field_order(config: dict[str, Any]) -> dict[str, Any]:
    return {name: config[name] for name in BOT_CONFIG_FIELDS if name in config}


def bot_configs(now: datetime, *, exclude: Collection[str] = ()) -> SearchStrategy[dict[str, Any]]:
    """Valid ``bot_config`` objects: any subset of `BOT_CONFIG_FIELDS`, shrinking to ``{}``.

    ``join_at`` is an RFC 3339 UTC time (``2026-12-01T17:15:00Z``) 15 minutes to 28 days after
    ``now`` (timezone-aware). ``metadata`` maps a few keys to strings or null. ``exclude``
    names fields never to set, e.g. ``{"meeting_url", "join_at"}`` to see the event's defaults.
    Fields appear in the order of `BOT_CONFIG_FIELDS`.
    """
    unknown = sorted(set(exclude) - set(BOT_CONFIG_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {unknown}; expected names from {BOT_CONFIG_FIELDS}")
    return _bot_configs(_floor_minute(now), frozenset(exclude))


@functools.lru_cache(maxsize=64)
def _bot_configs(base: datetime, exclude: frozenset[str]) -> SearchStrategy[dict[str, Any]]:
    fields = {**_fields_without_join_at(), "join_at": _join_at(base)}
    optional = {name: fields[name] for name in BOT_CONFIG_FIELDS if name not in exclude}
    return st.fixed_dictionaries({}, optional=optional).map(_in_field_order)


# --- invalid ---------------------------------------------------------------------------------

_INTEGERS = st.integers(-(2**53), 2**53)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def _not_an_object(value: object) -> tuple[object, str]:
    return value, f"bot_config is {_kind(value)}, not an object"


def _metadata_not_an_object(value: object) -> tuple[object, str]:
    return {"metadata": value}, f"bot_config.metadata is {_kind(value)}, not an object"


def _bad_metadata_value(
    valid: dict[str, str | None], key: str, value: object
) -> tuple[object, str]:
    metadata: dict[str, object] = {**valid, key: value}
    reason = f"bot_config.metadata[{key!r}] is {_kind(value)}, not a string or null"
    return {"metadata": metadata}, reason


def invalid_bot_configs() -> SearchStrategy[tuple[object, str]]:
    """``(value, reason)``: ``bot_config`` values the fragment refuses.

    Non-objects (array, string, number, null, boolean; the string may be a config serialised
    twice), ``metadata`` that is not an object (array, string, number, boolean), and
    ``metadata`` with a value Django REST Framework refuses as a string (boolean, array,
    object) next to valid entries. Not generated, because a conformant server may accept them:
    ``metadata: null`` (null for an optional field may mean "not given") and integer or number
    values (DRF turns them into strings).
    """
    return _invalid_bot_configs()


@functools.cache
def _invalid_bot_configs() -> SearchStrategy[tuple[object, str]]:
    small_json = st.one_of(st.none(), _INTEGERS, st.text(alphabet=string.ascii_letters, max_size=5))
    non_objects = st.one_of(
        st.lists(small_json, max_size=3),
        st.one_of(
            st.text(alphabet=string.ascii_letters, max_size=10),
            st.just(json.dumps({"bot_name": "Notetaker"})),
        ),
        _INTEGERS,
        _FLOATS,
        st.none(),
        st.booleans(),
    )
    bad_metadata = st.one_of(
        st.lists(small_json, max_size=3),
        st.text(alphabet=string.ascii_letters, max_size=10),
        _INTEGERS,
        st.booleans(),
    )
    bad_values = st.one_of(
        st.booleans(),
        st.lists(small_json, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b"]), small_json, max_size=2),
    )
    return st.one_of(
        non_objects.map(_not_an_object),
        bad_metadata.map(_metadata_not_an_object),
        st.builds(_bad_metadata_value, _metadata(), st.sampled_from(_METADATA_KEYS), bad_values),
    )
