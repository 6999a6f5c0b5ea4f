"""RFC 3339 timestamps, strictly parsed (as JSON Schema's `date-time`) and formatted in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string, or None (dates, naive times, garbage,
    and moments UTC cannot hold: `0001-01-01T00:00:00+01:00`, see `out_of_range`)."""
    parsed = _parse(value)
    if parsed is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def out_of_range(value: object) -> bool:
    """A well-formed RFC 3339 timestamp whose moment falls before year 1 or after 9999 in UTC
    (Django REST Framework answers "Datetime value out of range." for it)."""
    parsed = _parse(value)
    if parsed is None:
        return False
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _parse(value: object) -> datetime | None:
    """An aware datetime, in its own offset, from an RFC 3339 string, or None."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.upper().replace(" ", "T")
    if text[17:19] == "60":  # a leap second (RFC 3339 allows it; Python does not)
        text = text[:17] + "59" + text[19:]
    whole, _, rest = text.partition(".")
    if rest:  # Python takes at most 6 fractional digits
        digits = re.match(r"\d+", rest)
        fraction = digits.group(0) if digits else ""
        text = f"{whole}.{fraction[:6].ljust(6, '0')}{rest[len(fraction) :]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def format_timestamp(moment: datetime) -> str:
    """`2026-12-01T17:00:00Z` (with microseconds only when there are any)."""
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
