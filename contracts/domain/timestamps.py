"""RFC 3339 timestamps, strictly parsed (as JSON Schema's `date-time`) and formatted in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string, or None (dates, naive times, garbage)."""
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
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


def format_timestamp(moment: datetime) -> str:
    """`2026-12-01T17:00:00Z` (with microseconds only when there are any)."""
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
