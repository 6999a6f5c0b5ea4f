"""calbot.generators.keys: documented recipes, adversarial valid keys, invalid values."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from random import Random

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from calbot.generators import (
    DEDUP_RECIPES,
    MAX_DEDUP_KEY_LENGTH,
    adversarial_dedup_keys,
    dedup_keys,
    edge_dedup_keys,
    invalid_dedup_keys,
    recipe_dedup_keys,
)

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

START = "2026-12-01T17:00:00Z"
URL = "https://meet.google.com/abc-defg-hij"
_PARTS = {
    "start_time": re.escape(START),
    "meeting_url": re.escape(URL),
    "email_domain": r"[a-z]+(?:\.[a-z]+)+",
    "event_id": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "email": r"[a-z]+@[a-z]+(?:\.[a-z]+)+",
}


def recipe_pattern(template: str) -> re.Pattern[str]:
    """``template`` as a regex, with START and URL for the event's parts."""
    pieces = re.split(r"\{(\w+)\}", template)
    regex = "".join(_PARTS[p] if i % 2 else re.escape(p) for i, p in enumerate(pieces))
    return re.compile(regex + r"\Z")


def is_valid_key(key: object) -> bool:
    return isinstance(key, str) and 1 <= len(key) <= MAX_DEDUP_KEY_LENGTH and bool(key.strip())


def body_errors(validator: Validator, key: object) -> list[jsonschema.ValidationError]:
    body = {"deduplication_key": key, "bot_config": {}}
    return list(validator("CalendarEventAddBot").iter_errors(body))


# --- valid keys -------------------------------------------------------------------------------


@FAST
@given(key=dedup_keys())
def test_keys_are_valid_and_never_blank(key: str, schema_validator: Validator) -> None:
    assert is_valid_key(key)
    assert "\x00" not in key
    key.encode("utf-8")  # no lone surrogates: every key can be sent as JSON
    assert body_errors(schema_validator, key) == []


@FAST
@given(adversarial_dedup_keys())
def test_adversarial_keys_are_valid(key: str) -> None:
    assert is_valid_key(key)


@pytest.mark.parametrize("recipe", sorted(DEDUP_RECIPES))
@FAST
@given(data=st.data())
def test_recipe_keys_follow_their_template(recipe: str, data: st.DataObject) -> None:
    key = data.draw(recipe_dedup_keys(start_time=START, meeting_url=URL, recipes=[recipe]))
    assert recipe_pattern(DEDUP_RECIPES[recipe]).match(key), key


@pytest.mark.parametrize("recipe", sorted(DEDUP_RECIPES))
def test_every_recipe_is_reachable_from_dedup_keys(recipe: str) -> None:
    pattern = recipe_pattern(DEDUP_RECIPES[recipe])
    strategy = dedup_keys(start_time=START, meeting_url=URL)
    assert pattern.match(find(strategy, lambda k: bool(pattern.match(k)), settings=FIND))


def test_the_documented_recipe_is_the_recommended_one() -> None:
    assert DEDUP_RECIPES["deduplicate_all"].format(start_time=START, meeting_url=URL) == (
        f"{START}-{URL}"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ-https://",  # RFC 3339 "Z"
        r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z-https://",  # JS toISOString()
        r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00-https://",  # Python isoformat()
    ],
)
def test_start_times_come_in_the_formats_clients_send(pattern: str) -> None:
    regex = re.compile(pattern)
    assert regex.match(find(recipe_dedup_keys(), lambda k: bool(regex.match(k)), settings=FIND))


def is_rtl(key: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in key)


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("exactly 2000 characters", lambda k: len(k) == MAX_DEDUP_KEY_LENGTH),
        ("2000 non-ASCII characters", lambda k: len(k) == 2000 and k[-1] in "é😀中"),
        ("1 character", lambda k: len(k) == 1),
        ("1 non-ASCII character", lambda k: len(k) == 1 and not k.isascii()),
        ("non-ASCII", lambda k: not k.isascii()),
        ("emoji (astral)", lambda k: any(ord(c) > 0xFFFF for c in k)),
        ("right-to-left", is_rtl),
        ("leading whitespace", lambda k: k[0].isspace()),
        ("trailing whitespace", lambda k: k[-1].isspace()),
        ("inner whitespace", lambda k: any(c.isspace() for c in k.strip())),
        ("a tab or newline", lambda k: "\t" in k or "\n" in k),
        ("a backslash", lambda k: "\\" in k),
    ],
)
def test_every_adversarial_case_is_reachable(
    description: str, condition: Callable[[str], bool]
) -> None:
    key = find(adversarial_dedup_keys(), condition, settings=FIND)
    assert condition(key), description
    assert is_valid_key(key)


@FAST
@given(edge_dedup_keys())
def test_edge_keys_are_valid(key: str) -> None:
    assert is_valid_key(key)
    assert key == key.strip() or len(key) > 1  # a one-character key is never whitespace


def is_bmp_non_ascii_at_limit(key: str) -> bool:
    """2000 characters, the last ones non-ASCII in the BMP: more than 2000 bytes in UTF-8,
    exactly 2000 code points and 2000 UTF-16 units."""
    tail = key[-100:]
    return len(key) == MAX_DEDUP_KEY_LENGTH and all(127 < ord(char) <= 0xFFFF for char in tail)


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("one ASCII character", lambda k: len(k) == 1 and k.isascii()),
        ("one non-ASCII character", lambda k: len(k) == 1 and not k.isascii()),
        ("inner whitespace", lambda k: any(c.isspace() for c in k.strip())),
        ("inner no-break space", lambda k: "\u00a0" in k.strip()),
        ("2000 BMP non-ASCII characters", is_bmp_non_ascii_at_limit),
        (
            "2000 characters, all non-ASCII",
            lambda k: len(k) == 2000 and not any(c.isascii() for c in k),
        ),
        ("a recipe padded to the limit", lambda k: len(k) == 2000 and "://" in k),
    ],
)
def test_every_edge_is_reachable(description: str, condition: Callable[[str], bool]) -> None:
    key = find(edge_dedup_keys(), condition, settings=FIND)
    assert condition(key), description


def test_bmp_keys_at_the_limit_are_too_many_bytes_but_not_too_many_utf16_units() -> None:
    key = find(edge_dedup_keys(), is_bmp_non_ascii_at_limit, settings=FIND)
    assert len(key.encode("utf-8")) > MAX_DEDUP_KEY_LENGTH
    assert len(key.encode("utf-16-le")) // 2 == MAX_DEDUP_KEY_LENGTH


EDGES: dict[str, Callable[[str], bool]] = {
    "one character": lambda k: len(k) == 1,
    "inner whitespace": lambda k: any(c.isspace() for c in k.strip()),
    "exactly 2000 characters": lambda k: len(k) == MAX_DEDUP_KEY_LENGTH,
    "2000 BMP non-ASCII characters": is_bmp_non_ascii_at_limit,
    "non-ASCII": lambda k: not k.isascii(),
    "a documented recipe": lambda k: "://" in k and len(k) < MAX_DEDUP_KEY_LENGTH,
}


def test_edges_are_drawn_with_real_probability() -> None:
    """Of 300 keys, drawn 3 per example as the stateful check draws them, each edge of the
    documented type is at least 3%: drawn, not only reachable."""
    drawn: list[str] = []

    @settings(FAST, max_examples=100, derandomize=True)
    @given(keys=st.lists(dedup_keys(), min_size=3, max_size=3))
    def draw(keys: list[str]) -> None:
        drawn.extend(keys)

    draw()
    counts = {name: sum(1 for key in drawn if edge(key)) for name, edge in EDGES.items()}
    assert all(count >= len(drawn) * 3 // 100 for count in counts.values()), counts


def test_dedup_keys_include_the_adversarial_ones() -> None:
    key = find(dedup_keys(), lambda k: len(k) == MAX_DEDUP_KEY_LENGTH, settings=FIND)
    assert len(key) == MAX_DEDUP_KEY_LENGTH


def test_shrinking_gives_a_short_readable_key() -> None:
    # Shrinking is a local search: from some starting points it stops in a recipe or unicode
    # key (still short), so check several fixed seeds instead of relying on one.
    seeded = settings(SHRINK, derandomize=False)
    keys = [
        find(dedup_keys(), lambda k: len(k) > 5, settings=seeded, random=Random(seed))
        for seed in range(10)
    ]
    assert all(len(key) <= 64 for key in keys), keys
    readable = [key for key in keys if len(key) <= 8 and key.isascii() and key.isprintable()]
    assert len(readable) >= 7, keys


def test_unknown_recipe_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown recipes"):
        recipe_dedup_keys(recipes=["per_user"])
    with pytest.raises(ValueError, match="unknown recipes"):
        recipe_dedup_keys(recipes=[])


# --- invalid keys -----------------------------------------------------------------------------


@FAST
@given(pair=invalid_dedup_keys())
def test_invalid_keys_violate_the_fragment(
    pair: tuple[object, str], schema_validator: Validator
) -> None:
    value, reason = pair
    assert not is_valid_key(value)
    assert reason.startswith("deduplication_key ")
    assert body_errors(schema_validator, value), f"{reason}: {value!r:.80} passed the schema"


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("empty string", lambda v: v == ""),
        ("2001 characters", lambda v: isinstance(v, str) and len(v) == 2001),
        ("over-long non-ASCII", lambda v: isinstance(v, str) and len(v) > 2000 and not v.isascii()),
        ("null", lambda v: v is None),
        ("list", lambda v: isinstance(v, list)),
        ("object", lambda v: isinstance(v, dict)),
        ("boolean", lambda v: isinstance(v, bool)),
    ],
)
def test_every_invalid_case_is_reachable(
    description: str, condition: Callable[[object], bool]
) -> None:
    value, reason = find(invalid_dedup_keys(), lambda p: condition(p[0]), settings=FIND)
    assert condition(value), description
    assert reason


def test_invalid_reasons_are_short_and_specific() -> None:
    value, reason = find(
        invalid_dedup_keys(), lambda p: isinstance(p[0], str) and len(p[0]) > 2000, settings=SHRINK
    )
    assert value == "x" * 2001
    assert reason == "deduplication_key has 2001 characters (maximum 2000)"
    _, reason = find(invalid_dedup_keys(), lambda p: p[0] is None, settings=FIND)
    assert reason == "deduplication_key is null, not a string"
