"""RFC 3339 timestamps: strict parsing (as JSON Schema's date-time), UTC formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from calbot.contracts.domain.timestamps import format_timestamp, out_of_range, parse_timestamp

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T12:00:00Z", NOON),
        ("2026-12-01t12:00:00z", NOON),
        ("2026-12-01 12:00:00Z", NOON),
        ("2026-12-01T13:00:00+01:00", NOON),
        ("2026-12-01T06:30:00-05:30", NOON),
        ("2026-12-01T12:00:00+00:00", NOON),
        ("2026-12-01T12:00:00.5Z", NOON.replace(microsecond=500_000)),
        ("2026-12-01T12:00:00.123456Z", NOON.replace(microsecond=123_456)),
        ("2026-12-01T12:00:00.123456789Z", NOON.replace(microsecond=123_456)),
        ("2026-12-01T12:00:00.000000001+01:00", NOON - timedelta(hours=1)),
        ("2026-12-31T23:59:60Z", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_valid_timestamps_parse_to_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01",
        "2026-12-01T12:00:00",
        "2026-12-01T12:00Z",
        "2026-12-01T12:00:00.Z",
        "2026-13-01T12:00:00Z",
        "2026-02-30T12:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T12:00:00+0100",
        "2026-12-01T12:00:00+25:00",
        " 2026-12-01T12:00:00Z",
        "2026-12-01T12:00:00Z ",
        "2026-12-01T12:00:00Z\n",
        "２０２６-12-01T12:00:00Z",
        "tomorrow",
        "",
        None,
        1_900_000_000,
        NOON,
        ["2026-12-01T12:00:00Z"],
    ],
)
def test_anything_else_is_none(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (NOON, "2026-12-01T12:00:00Z"),
        (NOON.replace(microsecond=120_000), "2026-12-01T12:00:00.120000Z"),
        (NOON.astimezone(timezone(timedelta(hours=-8))), "2026-12-01T12:00:00Z"),
        (datetime(2026, 12, 1, 13, tzinfo=timezone(timedelta(hours=1))), "2026-12-01T12:00:00Z"),
    ],
)
def test_format_is_utc_with_z_and_microseconds_only_when_present(
    moment: datetime, text: str
) -> None:
    assert format_timestamp(moment) == text


def test_format_and_parse_round_trip() -> None:
    for moment in (NOON, NOON.replace(microsecond=1), datetime(1999, 1, 1, tzinfo=UTC)):
        assert parse_timestamp(format_timestamp(moment)) == moment


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_a_moment_utc_cannot_hold_is_none_and_out_of_range(text: str) -> None:
    """Python raises OverflowError converting it to UTC; Django REST Framework answers 400
    "Datetime value out of range.", never a 500."""
    assert parse_timestamp(text) is None
    assert out_of_range(text)


def test_the_edges_utc_can_hold_parse_and_are_in_range() -> None:
    for text in ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59Z"):
        assert parse_timestamp(text) is not None
        assert not out_of_range(text)
    assert not out_of_range("tomorrow") and not out_of_range(None)
