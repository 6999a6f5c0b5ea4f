"""The one masker masks secrets, not letters: seen credentials as whole tokens and only from
`MIN_SECRET` characters, configured short keys as whole tokens, and an index of seen keys
that grows and shrinks one key at a time."""

from __future__ import annotations

import pytest

from calbot.contracts.masking import MASK, MIN_SECRET, Masker, Seen, credential, mask

KEY = "sk-proxy-test-key-123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/api/v2/calendar-events/{KEY}/bot/", "/api/v2/calendar-events/****/bot/"),
        (f"/x/?api_key={KEY}&b=1", "/x/?api_key=****&b=1"),
        (f'{{"a": "{KEY}"}}', '{"a": "****"}'),
        (f"rejected key {KEY}.", "rejected key ****."),
        (f"GET /a-path-with-the-{KEY}", "GET /a-path-with-the-****"),
        (f"x{KEY}", f"x{KEY}"),  # inside a longer run of letters: not the key
        (f"{KEY}4", f"{KEY}4"),
        ("sk-proxy-test-key-12", "sk-proxy-test-key-12"),
        (f"{KEY}{KEY}", f"{KEY}{KEY}"),
        (f"{KEY}-{KEY}", "****-****"),
    ],
)
def test_a_seen_key_is_masked_where_it_is_a_whole_token(text: str, expected: str) -> None:
    assert Masker(seen=[KEY]).text(text) == expected


def test_a_short_seen_key_masks_no_letters_only_a_value_that_is_exactly_it() -> None:
    masker = Masker(seen=["e", "s" * (MIN_SECRET - 1)])
    path = "/api/v2/calendar-events/e/bot/"
    assert masker.text(path) == path
    assert masker.text("a sssssss b") == "a sssssss b"
    assert masker.value("e") == MASK and masker.value("f") == "f"


def test_a_configured_short_key_masks_only_whole_tokens() -> None:
    assert mask("/api/v2/calendar-events/e/", ["e"]) == "/api/v2/calendar-events/****/"
    assert mask("calendar-events", ["e"]) == "calendar-events"
    assert mask("long-secret-value inside xlong-secret-valuex", ["long-secret-value"]) == (
        "**** inside x****x"  # a configured key of 8 or more: wherever it occurs
    )


def test_seen_keys_are_also_masked_percent_encoded() -> None:
    secret = "sk/live+abcdefgh"
    assert Masker(seen=[secret]).text("q=sk%2Flive%2Babcdefgh&r=1") == "q=****&r=1"


def test_the_index_grows_and_shrinks_one_key_at_a_time() -> None:
    seen = Seen()
    for key in (KEY, "another-key-0000", "short"):
        seen.add(key)
    before = Masker(seen=seen)
    seen.discard(KEY)
    after = Masker(seen=seen)
    assert before.text(KEY) == MASK and after.text(KEY) == KEY  # a snapshot each
    assert after.text("another-key-0000") == MASK and after.value("short") == MASK
    seen.discard("never-added")
    assert not any(KEY in forms for forms in seen.anchored.values())


def test_overlapping_occurrences_are_one_mask() -> None:
    assert Masker(seen=["--------"]).text("a --------- b") == "a **** b"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (f"Token {KEY}", KEY),
        (f"Bearer {KEY}", KEY),
        (f"bearer  {KEY} ", KEY),
        (KEY, KEY),
        ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("Token a b", None),
        ("", None),
        (None, None),
    ],
)
def test_the_credential_of_any_scheme(header: str | None, key: str | None) -> None:
    assert credential(header) == key
