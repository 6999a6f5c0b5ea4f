"""Deduplication keys: the documented recipes, adversarial valid keys, and invalid values.

A valid key is a string of 1 to 2000 characters (code points, as JSON Schema and Python count
them) that is not blank. Whitespace-only keys are a grey zone (a Django REST Framework server
trims them to "" and refuses them) and are never generated; neither are control characters or
lone surrogates. Keys with leading or trailing whitespace are generated: a DRF server may trim
them, so a contract should not assume that " k" and "k" are different keys.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable
from datetime import UTC, datetime

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from calbot.generators.meeting_urls import meeting_url_strings
from calbot.spec.fields import MAX_KEY_LENGTH as MAX_DEDUP_KEY_LENGTH

__all__ = [
    "DEDUP_RECIPES",
    "MAX_DEDUP_KEY_LENGTH",
    "adversarial_dedup_keys",
    "dedup_keys",
    "edge_dedup_keys",
    "invalid_dedup_keys",
    "recipe_dedup_keys",
]

DEDUP_RECIPES: dict[str, str] = {
    # https://docs.recall.ai/docs/scheduling-guide: "deduplicate all" is the recommended one.
    "deduplicate_all": "{start_time}-{meeting_url}",
    "per_email_domain": "{start_time}-{meeting_url}-{email_domain}",
    "no_deduplication": "{start_time}-{meeting_url}-{event_id}",
    # Recall's newer sample app (`one_bot_per` = meeting / email_domain / user).
    "sample_app_meeting": "{meeting_url}-{start_time}",
    "sample_app_email_domain": "{email_domain}-{meeting_url}-{start_time}",
    "sample_app_user": "{email}-{meeting_url}-{start_time}",
}
"""Key recipes as `str.format` templates over ``start_time``, ``meeting_url``, ``email_domain``,
``event_id`` and ``email``, e.g. ``DEDUP_RECIPES["deduplicate_all"].format(start_time=...,
meeting_url=...)``."""

_PLAIN = string.ascii_letters + string.digits + "-_:."
_PUNCTUATION = "\"'\\/%&?#{}[]<>;:=+*|~`^$@!,"
# Non-whitespace pieces: accented Latin, CJK, emoji (one code point, a ZWJ sequence, a flag),
# right-to-left Hebrew and Arabic (and a right-to-left mark), a combining accent. Each piece is
# at most 5 code points, so that shrinking leaves this branch for a plain key.
_UNICODE_PIECES = (
    "é",
    "ü",
    "ß",
    "中",
    "会议",
    "日本語",
    "😀",
    "🎉",
    "👩\u200d💻",
    "🇩🇪",
    "שלום",
    "مرحبا",
    "\u200fש",
    "e\u0301",
    "-",
    "a",
)
_ONE_CHARACTER = ("a", "0", "-", "é", "😀", "ש", "中", "\\", '"', "%")
_WHITESPACE = (" ", "\t", "\n", "\u00a0", "  ")
# Fillers of one code point each (in UTF-16, the emoji is two units, a trap for JS servers).
_FILLERS = ("x", "é", "😀", "中")
# Non-ASCII fillers every count agrees on (code points, UTF-16 units: one each) but bytes (two
# or three each in UTF-8): a key of 2000 of them is at the limit, not over it.
_BMP_FILLERS = ("é", "ж", "λ", "中")
_INNER_WHITESPACE = (" ", "  ", "\t", " - ", "\u00a0")
_EMAIL_DOMAINS = ("example.com", "acme.io", "mail.example.org")


def _plain_keys(max_size: int = 64) -> SearchStrategy[str]:
    return st.text(alphabet=_PLAIN, min_size=1, max_size=max_size)


def _timestamps() -> SearchStrategy[str]:
    """Event start times as clients format them: RFC 3339 "Z", JS toISOString, Python isoformat."""
    moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda dt: dt.replace(second=0, microsecond=0, tzinfo=UTC)
    )
    styles = st.sampled_from(
        [
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%dT%H:%M:%S.000Z",
            "%Y-%m-%dT%H:%M:%S+00:00",
        ]
    )
    return st.builds(lambda moment, style: moment.strftime(style), moments, styles)


def recipe_dedup_keys(
    *,
    start_time: str | None = None,
    meeting_url: str | None = None,
    recipes: Iterable[str] | None = None,
) -> SearchStrategy[str]:
    """Keys built with the documented recipes (`DEDUP_RECIPES`).

    ``start_time`` and ``meeting_url`` fix those parts (e.g. to an event's); otherwise they are
    generated. ``recipes`` limits the recipes used (names from `DEDUP_RECIPES`).
    """
    names = tuple(DEDUP_RECIPES if recipes is None else recipes)
    unknown = sorted(set(names) - set(DEDUP_RECIPES))
    if unknown or not names:
        raise ValueError(f"unknown recipes {unknown}; expected names from {list(DEDUP_RECIPES)}")
    return _recipe_keys(start_time, meeting_url, names)


# The strategies are built once per argument tuple and reused: Hypothesis validates a strategy
# on its first draw, which costs milliseconds for nested ones.
@functools.cache
def _recipe_keys(
    start_time: str | None, meeting_url: str | None, names: tuple[str, ...]
) -> SearchStrategy[str]:
    domains = st.one_of(
        st.sampled_from(_EMAIL_DOMAINS),
        st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12).map(
            lambda label: f"{label}.com"
        ),
    )
    locals_ = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12)
    return st.builds(
        lambda recipe, values: DEDUP_RECIPES[recipe].format(**values),
        st.sampled_from(names),
        st.fixed_dictionaries(
            {
                "start_time": _timestamps() if start_time is None else st.just(start_time),
                "meeting_url": (
                    meeting_url_strings() if meeting_url is None else st.just(meeting_url)
                ),
                "email_domain": domains,
                "event_id": st.uuids().map(str),
                "email": st.builds(lambda local, domain: f"{local}@{domain}", locals_, domains),
            }
        ),
    )


def _pad(prefix: str, filler: str) -> str:
    """``prefix`` filled up to exactly `MAX_DEDUP_KEY_LENGTH` characters."""
    return (prefix + filler * MAX_DEDUP_KEY_LENGTH)[:MAX_DEDUP_KEY_LENGTH]


def _with_whitespace(core: str, other: str, space: str, where: str) -> str:
    if where == "leading":
        return space + core
    if where == "trailing":
        return core + space
    if where == "inner":
        return core + space + other
    return space + core + space + other + space


def adversarial_dedup_keys() -> SearchStrategy[str]:
    """Valid keys that break naive servers: unicode, 2000 characters, whitespace, 1 character.

    Unicode keys hold non-ASCII letters, CJK, emoji (including ZWJ sequences and flags) and
    right-to-left text; 2000-character keys are exactly at the limit, also with multi-byte and
    astral fillers; whitespace keys have leading, trailing or inner spaces, tabs, newlines or
    no-break spaces around a non-blank core; punctuation keys hold quotes, backslashes, ``%``,
    ``&``, ``#`` and braces.
    """
    return _adversarial_keys()


@functools.cache
def _adversarial_keys() -> SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_ONE_CHARACTER),
        st.lists(st.sampled_from(_UNICODE_PIECES), min_size=1, max_size=8).map("".join),
        st.text(alphabet=_PUNCTUATION + "ab", min_size=1, max_size=40),
        st.builds(
            _with_whitespace,
            _plain_keys(20),
            _plain_keys(20),
            st.sampled_from(_WHITESPACE),
            st.sampled_from(["leading", "trailing", "inner", "all"]),
        ),
        st.builds(
            _pad,
            st.one_of(_plain_keys(), recipe_dedup_keys(recipes=["deduplicate_all"])),
            st.sampled_from(_FILLERS),
        ),
    )


def edge_dedup_keys() -> SearchStrategy[str]:
    """Valid keys at the edges of the documented type: one character (ASCII or not), inner
    whitespace (DRF trims only the surrounding kind), and exactly 2000 characters that are
    non-ASCII but in the Basic Multilingual Plane (a server counting UTF-8 bytes refuses them;
    one counting code points or UTF-16 units accepts them)."""
    return _edge_keys()


@functools.cache
def _edge_keys() -> SearchStrategy[str]:
    def inner(first: str, space: str, second: str) -> str:
        return first + space + second

    return st.one_of(
        st.sampled_from(_ONE_CHARACTER),
        st.builds(inner, _plain_keys(20), st.sampled_from(_INNER_WHITESPACE), _plain_keys(20)),
        st.builds(
            inner,
            st.sampled_from(_UNICODE_PIECES),
            st.sampled_from(_INNER_WHITESPACE),
            st.one_of(_plain_keys(20), st.sampled_from(_UNICODE_PIECES)),
        ),
        st.builds(
            _pad,
            st.one_of(st.just(""), _plain_keys(), recipe_dedup_keys(recipes=["deduplicate_all"])),
            st.sampled_from(_BMP_FILLERS),
        ),
    )


def dedup_keys(
    *, start_time: str | None = None, meeting_url: str | None = None
) -> SearchStrategy[str]:
    """Valid deduplication keys: short plain keys, the documented recipes, adversarial keys
    and the type's edges (`edge_dedup_keys`), each about as often as the others.

    ``start_time`` and ``meeting_url`` are passed to `recipe_dedup_keys`. Every key satisfies
    the fragment (a string of 1 to 2000 characters) and is not blank. Shrinks to a short plain
    ASCII key such as ``"0"``.
    """
    return _dedup_keys(start_time, meeting_url)


@functools.cache
def _dedup_keys(start_time: str | None, meeting_url: str | None) -> SearchStrategy[str]:
    return st.one_of(
        _plain_keys(),
        recipe_dedup_keys(start_time=start_time, meeting_url=meeting_url),
        _adversarial_keys(),
        _edge_keys(),
    )


def _kind(value: object) -> str:
    """The JSON type of ``value`` with an article: "null", "an integer", "an object", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _not_a_string(value: object) -> tuple[object, str]:
    return value, f"deduplication_key is {_kind(value)}, not a string"


def _too_long(length: int, filler: str) -> tuple[object, str]:
    key = filler * length
    return key, (f"deduplication_key has {length} characters (maximum {MAX_DEDUP_KEY_LENGTH})")


def invalid_dedup_keys() -> SearchStrategy[tuple[object, str]]:
    """``(value, reason)``: values every reading refuses as a ``deduplication_key``.

    The empty string, strings of 2001 or more characters (of non-whitespace fillers, so trimming
    does not save them), and non-strings Django REST Framework's ``CharField`` refuses too
    (boolean, null, array, object). Integers and numbers are not generated: DRF turns them into
    strings, so a conformant server may accept them.
    """
    return _invalid_keys()


@functools.cache
def _invalid_keys() -> SearchStrategy[tuple[object, str]]:
    integers = st.integers(-(2**53), 2**53)  # exact in every JSON parser
    json_scalars = st.one_of(st.none(), integers, st.text(alphabet=_PLAIN, max_size=5))
    return st.one_of(
        st.just(("", "deduplication_key is an empty string")),
        st.builds(
            _too_long,
            st.integers(MAX_DEDUP_KEY_LENGTH + 1, MAX_DEDUP_KEY_LENGTH + 100),
            st.sampled_from(_FILLERS),
        ),
        st.one_of(
            st.none(),
            st.lists(json_scalars, max_size=3),
            st.dictionaries(st.text(alphabet=_PLAIN, max_size=5), json_scalars, max_size=3),
            st.booleans(),
        ).map(_not_a_string),
    )
