"""Request bodies for ``POST /api/v2/calendar-events/{id}/bot/`` (``CalendarEventAddBot``).

Every body from `schedule_requests` satisfies the fragment's schema and every body from
`invalid_schedule_requests` violates it (calbot's tests check both with jsonschema). An
invalid body may be ``None``: send it as the JSON text ``null`` (with httpx, ``content=b"null"``
and a JSON content type, because ``json=None`` sends no body at all).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from calbot.generators.bot_configs import bot_configs, invalid_bot_configs
from calbot.generators.events import _floor_minute
from calbot.generators.keys import _kind, dedup_keys, invalid_dedup_keys

__all__ = ["invalid_schedule_requests", "schedule_requests"]


def _body(key: object, config: object) -> dict[str, Any]:
    return {"deduplication_key": key, "bot_config": config}


def schedule_requests(now: datetime) -> SearchStrategy[dict[str, Any]]:
    """Valid bodies ``{"deduplication_key": ..., "bot_config": ...}``.

    Keys come from `dedup_keys`, configs from `bot_configs` (``now`` is timezone-aware).
    Shrinks to ``{"deduplication_key": "0", "bot_config": {}}``.
    """
    return _schedule_requests(_floor_minute(now))


# Built once per minute of ``now`` and reused: Hypothesis validates a strategy on its first
# draw, which costs milliseconds for nested ones.
@functools.lru_cache(maxsize=64)
def _schedule_requests(base: datetime) -> SearchStrategy[dict[str, Any]]:
    return st.builds(_body, dedup_keys(), bot_configs(base))


def _not_an_object(body: object) -> tuple[object, str]:
    return body, f"body is {_kind(body)}, not an object"


def invalid_schedule_requests(now: datetime) -> SearchStrategy[tuple[object, str]]:
    """``(body, reason)``: bodies every reading refuses, each with one thing wrong.

    Each breaks a constraint Recall documents, as sent and as Django REST Framework reads it
    (`calbot.spec.evidence.documented_violations` is never empty for them).

    A missing ``deduplication_key`` or ``bot_config`` (or both), a bad key (`invalid_dedup_keys`:
    empty, over 2000 characters, not a string), a bad config (`invalid_bot_configs`: not an
    object, ``metadata`` not an object or with non-string values), or a body that is not an
    object (array, string, number, boolean, null; the array and the string may wrap a valid
    body, as buggy clients send them).
    """
    return _invalid_schedule_requests(_floor_minute(now))


@functools.lru_cache(maxsize=64)
def _invalid_schedule_requests(base: datetime) -> SearchStrategy[tuple[object, str]]:
    keys = dedup_keys()
    configs = bot_configs(base)
    valid = _schedule_requests(base)
    return st.one_of(
        configs.map(lambda config: ({"bot_config": config}, "deduplication_key is missing")),
        keys.map(lambda key: ({"deduplication_key": key}, "bot_config is missing")),
        st.just(({}, "deduplication_key and bot_config are missing")),
        st.builds(
            lambda bad, config: (_body(bad[0], config), bad[1]), invalid_dedup_keys(), configs
        ),
        st.builds(lambda key, bad: (_body(key, bad[0]), bad[1]), keys, invalid_bot_configs()),
        st.one_of(
            st.just([]),
            valid.map(lambda body: [body]),
            valid.map(json.dumps),
            st.integers(-(2**53), 2**53),
            st.none(),
            st.booleans(),
        ).map(_not_an_object),
    )
