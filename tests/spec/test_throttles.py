from datetime import UTC, datetime

import pytest

from calbot.spec import load_spec
from calbot.spec.throttles import (
    RateLimit,
    RateLimitSyntaxError,
    documented_throttles,
    parse_rate_limit,
    parse_retry_after,
    throttle_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("600/60s", RateLimit(600, 60.0)),
        ("5/1s", RateLimit(5, 1.0)),
        ("20/4s", RateLimit(20, 4.0)),
        ("100/1m", RateLimit(100, 60.0)),
        ("60/min", RateLimit(60, 60.0)),
        ("10/500ms", RateLimit(10, 0.5)),
        ("3/2", RateLimit(3, 2.0)),
        (" 7 / 1h ", RateLimit(7, 3600.0)),
    ],
)
def test_parse_rate_limit(text: str, expected: RateLimit) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["", "600", "a/60s", "600/60parsecs", "0/1s", "5/0s", "-1/1s"])
def test_parse_rate_limit_rejects(text: str) -> None:
    with pytest.raises(RateLimitSyntaxError):
        parse_rate_limit(text)


def test_rate_limit_str_round_trips() -> None:
    assert str(RateLimit(600, 60.0)) == "600/60s"
    assert parse_rate_limit(str(RateLimit(20, 4.0))) == RateLimit(20, 4.0)


def test_the_fragment_documents_600_per_minute_for_post_and_delete() -> None:
    found = documented_throttles(load_spec())
    path = "/api/v2/calendar-events/{id}/bot/"
    assert found[("POST", path)] == RateLimit(600, 60.0)
    assert found[("DELETE", path)] == RateLimit(600, 60.0)
    assert found[("GET", "/api/v2/calendar-events/{id}/")] == RateLimit(300, 60.0)


def test_throttle_of_ignores_other_scopes_and_garbage() -> None:
    assert throttle_of({}) is None
    assert (
        throttle_of({"x-throttles": [{"scope_key": "bot_id", "limit": 5, "period": "min"}]}) is None
    )
    assert throttle_of({"x-throttles": ["nonsense", {"scope_key": "workspace_id"}]}) is None


NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("Wed, 25 Nov 2026 12:00:10 GMT", 10.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "-1", "soon", "1e3", "inf", "NaN", "30 seconds"])
def test_parse_retry_after_unusable(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None
