"""Rate limits: the budget syntax (`600/60s`), the fragment's `x-throttles`, and Retry-After."""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_BUDGET = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)?\s*$", re.IGNORECASE)
_PERIOD_NAMES = {"sec": "s", "second": "s", "min": "min", "minute": "min", "hour": "h", "day": "d"}


TRANSIENT_STATUSES: frozenset[int] = frozenset({409, 502, 503, 504, 507})
"""Answers Recall documents as transient, to be retried with backoff (Retry-After when given):
409 for parallel calls on one deduplication key, 502-504 load shedding, 507 an empty ad-hoc bot
pool (https://docs.recall.ai/reference/errors, https://docs.recall.ai/docs/scheduling-guide)."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`limit` requests per `period` seconds."""

    limit: int
    period: float

    def __str__(self) -> str:
        period = f"{self.period:g}"
        return f"{self.limit}/{period}s"


class RateLimitSyntaxError(ValueError):
    """A budget string that is not `N/PERIOD`."""


def parse_rate_limit(text: str) -> RateLimit:
    """Parse `N/PERIOD`: `600/60s`, `5/1s`, `20/4s`, `100/1m`, `10/500ms`, `60/min`, `3/2`."""
    match = _BUDGET.match(text)
    if not match:
        raise RateLimitSyntaxError(f"{text!r} is not N/PERIOD (for example 600/60s or 5/1s)")
    count, amount, unit = match.groups()
    unit = (unit or "s").lower()
    if unit not in _UNITS:
        known = ", ".join(sorted(_UNITS))
        raise RateLimitSyntaxError(f"{text!r}: unknown period unit {unit!r} (use one of {known})")
    period = float(amount or 1) * _UNITS[unit]
    limit = int(count)
    if limit < 1 or period <= 0:
        raise RateLimitSyntaxError(f"{text!r}: the limit and the period must be positive")
    return RateLimit(limit=limit, period=period)


_PERIOD_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def throttle_of(operation: Mapping[str, Any]) -> RateLimit | None:
    """The workspace-scoped budget an operation declares in Recall's `x-throttles`, if any."""
    for throttle in operation.get("x-throttles") or ():
        if not isinstance(throttle, Mapping) or throttle.get("scope_key") != "workspace_id":
            continue
        period = _PERIOD_NAMES.get(str(throttle.get("period")), str(throttle.get("period")))
        limit = throttle.get("limit")
        if isinstance(limit, int) and limit > 0 and period in _PERIOD_SECONDS:
            return RateLimit(limit=limit, period=_PERIOD_SECONDS[period])
    return None


def documented_throttles(document: Mapping[str, Any]) -> dict[tuple[str, str], RateLimit]:
    """Every `(METHOD, path template)` of the document that declares a workspace budget."""
    found: dict[tuple[str, str], RateLimit] = {}
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if isinstance(operation, Mapping) and (budget := throttle_of(operation)):
                found[(method.upper(), path)] = budget
    return found


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), None if unusable.

    Delta-seconds may carry a fraction (lenient; RFC 9110 says digits only). A date in the past
    means 0. Negative, non-finite and unparseable values give None.
    """
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
