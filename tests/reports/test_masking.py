"""Secrets never reach a report: the masking functions, then every format end to end."""

from __future__ import annotations

import json

import pytest

from calbot.contracts.results import RunResult, Status
from calbot.reports import FORMATS, render
from calbot.reports.masking import MASK, Masker, mask_result, mask_text

KEY = "sk_live_9f8e7d6c5b4a3210"  # the conftest's API_KEY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Token sk_live_abc", "Authorization: Token ****"),
        ("authorization: bearer a.b.c", "authorization: bearer ****"),
        ("Authorization: sk_live_abc and then 401", "Authorization: **** and then 401"),
        (
            "curl -H 'Authorization: Token abc' -d '{}'",
            "curl -H 'Authorization: Token ****' -d '{}'",
        ),
        ('curl -H "Authorization: Token abc"', 'curl -H "Authorization: Token ****"'),
        ('{"Authorization": "Token abc", "n": 1}', '{"Authorization": "Token ****", "n": 1}'),
        ("{'authorization': 'abc'}", "{'authorization': '****'}"),
        ("Proxy-Authorization: Basic dXNlcjpw", "Proxy-Authorization: Basic ****"),
        ("Authorization: Token abc&x=1", "Authorization: Token ****&x=1"),
        ("the Authorization header was missing", "the Authorization header was missing"),
        ("Authorization: Token ****", "Authorization: Token ****"),
    ],
)
def test_authorization_credentials_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_secrets_are_masked_as_written_and_percent_encoded() -> None:
    secret = "sk/live+abc"
    text = f"key={secret}&q=sk%2Flive%2Babc, then {secret}"
    assert mask_text(text, [secret]) == "key=****&q=****, then ****"
    assert mask_text("nothing here", [secret, ""]) == "nothing here"


def test_longer_secrets_win_over_their_prefixes() -> None:
    assert mask_text("abcdef abc", ["abc", "abcdef"]) == "**** ****"


def test_dedup_keys_are_shown_as_sent() -> None:
    text = '{"deduplication_key": "sk_live-looking-key-123"}'
    assert mask_text(text, [KEY]) == text


def test_headers_keep_only_the_scheme() -> None:
    masker = Masker([KEY])
    assert masker.header("Authorization", f"Token {KEY}") == "Token ****"
    assert masker.header("authorization", "opaque-value") == MASK
    assert masker.header("X-Request-Id", f"id-{KEY}") == "id-****"


def test_mask_result_keeps_statuses_and_does_not_touch_the_original(result: RunResult) -> None:
    result.checks[0].findings[0].message = f"echoed {KEY}"
    masked = mask_result(result, [KEY, "passed", "must"])
    assert [c.status for c in masked.checks] == [c.status for c in result.checks]
    assert masked.checks[0].findings[0].message == "echoed ****"
    assert result.checks[0].findings[0].message == f"echoed {KEY}"
    assert masked.checks[0].findings[0].exchanges[0].request_headers["Authorization"] == (
        "Token ****"
    )


def test_the_secret_result_really_holds_the_key(secret_result: RunResult) -> None:
    assert json.dumps(secret_result.to_dict()).count(KEY) > 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_shows_the_key(secret_result: RunResult, fmt: str) -> None:
    text = render(secret_result, fmt, secrets=[KEY])
    assert KEY not in text
    assert "sk_live_9f8e" not in text  # not even a cut-off piece
    assert "Token ****" in text
    assert "team-standup-2026-11-24" in text  # the dedup key is not a secret


@pytest.mark.parametrize("fmt", FORMATS)
def test_key_cut_by_an_excerpt_is_still_masked(secret_result: RunResult, fmt: str) -> None:
    body = "a" * 3990 + KEY + "b" * 500  # an excerpt ends inside the key
    for check in secret_result.checks:
        for finding in check.findings:
            for exchange in finding.exchanges:
                exchange.response_body = body
    assert "sk_live" not in render(secret_result, fmt, secrets=[KEY])


@pytest.mark.parametrize("fmt", FORMATS)
def test_authorization_masked_without_configured_secrets(
    secret_result: RunResult, fmt: str
) -> None:
    text = render(secret_result, fmt)
    assert f"Token {KEY}" not in text
    assert "Token ****" in text


def test_json_report_still_reads_back_when_masked(secret_result: RunResult) -> None:
    data = json.loads(render(secret_result, "json", secrets=[KEY]))
    back = RunResult.from_dict(data)
    assert back.checks[0].status is Status.FAILED
    assert back.target.endswith("api_key=****")


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_why_a_behaviour_was_not_exercised_is_masked(secret_result: RunResult, fmt: str) -> None:
    """A coverage reason quotes a check's skip reason, which may quote what the user gave."""
    text = render(secret_result, fmt, secrets=[KEY])
    assert "state URL refused key ****" in text
    assert KEY not in text


def test_mask_result_masks_the_coverage(secret_result: RunResult) -> None:
    masked = mask_result(secret_result, [KEY])
    assert masked.coverage[5].reason == "override::replace skipped: state URL refused key ****"
    assert KEY in (secret_result.coverage[5].reason or "")  # the original is left alone
