"""The one truncation helper: every cut text ends in "…" and keeps to its limit."""

from __future__ import annotations

from calbot.spec.text import ELLIPSIS, one_line, shorten, shorten_counting


def test_shorten_keeps_short_text_and_cuts_long_text_to_the_limit() -> None:
    assert shorten("abc", 3) == "abc"
    assert shorten("abcd", 3) == "ab" + ELLIPSIS
    assert len(shorten("x" * 500, 120)) == 120


def test_one_line_flattens_whitespace_before_cutting() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("a\n" + "b" * 200, 10) == "a bbbbbbb" + ELLIPSIS


def test_shorten_counting_says_how_much_was_left_out() -> None:
    assert shorten_counting("abc", 3) == "abc"
    assert shorten_counting("abcdef", 2) == "ab… [4 more characters]"
