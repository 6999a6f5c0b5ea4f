"""How calbot retries a documented transient answer, as its client rules demand of clients.

Recall documents 409 (parallel calls on one deduplication key), 502-504 (load shedding) and 507
(the ad-hoc bot pool is empty) as answers to retry: after `Retry-After` when the answer gives
one, with exponential backoff otherwise. calbot's own requests do the same, bounded by a number
of tries and by `max_wait` seconds of waiting per request, so that a correct server using these
answers is never judged by them; only an answer that persists past the bound is a finding.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import httpx

from calbot.contracts.results import describe_retries  # its home: beside the result model
from calbot.spec.throttles import TRANSIENT_STATUSES, parse_retry_after

MAX_TRANSIENT_TRIES = 6
"""Tries in all (the first and five retries) before a transient answer counts as persisting."""
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 8.0
MALFORMED_TRANSIENT: frozenset[int] = frozenset({409})
"""Retried for a body calbot knows is malformed: a 5xx for it is a failure, not transient."""
PERSISTED = "calbot.persisted"
"""`httpx.Response.extensions` key of a transient answer returned after the bound: a `Persisted`."""


@dataclass(frozen=True, slots=True)
class Persisted:
    """A transient answer calbot retried until its bound without getting another answer."""

    status: int
    tries: int
    waited: float
    why: str  # what ended the retries: the tries ran out, or a Retry-After past the wait bound

    def describe(self) -> str:
        return (
            f"the server answered {self.status} on all {self.tries} tries "
            f"({self.waited:.1f} s of waiting; {self.why})"
        )


def backoff(retry: int) -> float:
    """Seconds before the `retry`-th retry (1, 2, ...) when the answer gives no Retry-After."""
    return float(min(FIRST_BACKOFF * 2.0 ** (retry - 1), MAX_BACKOFF))


def next_wait(response: httpx.Response, retry: int, waited: float, max_wait: float) -> float | str:
    """The wait before the `retry`-th retry of a transient `response`, or why there is none."""
    if retry >= MAX_TRANSIENT_TRIES:
        return f"calbot retries a transient answer at most {MAX_TRANSIENT_TRIES - 1} times"
    told = parse_retry_after(response.headers.get("retry-after"))
    wait = backoff(retry) if told is None else told
    if waited + wait > max_wait:
        return f"waiting {wait:g} s more would pass the {max_wait:g} s calbot waits for one request"
    return wait


def persisted(response: httpx.Response) -> Persisted | None:
    """The `Persisted` mark of a response, when calbot gave up retrying it."""
    mark = response.extensions.get(PERSISTED)
    return mark if isinstance(mark, Persisted) else None


class Retries:
    """Transient answers calbot retried, by status (thread-safe: concurrent checks share it)."""

    def __init__(self) -> None:
        self._counts: Counter[int] = Counter()
        self._lock = threading.Lock()

    def add(self, status: int) -> None:
        with self._lock:
            self._counts[status] += 1

    def snapshot(self) -> Counter[int]:
        with self._lock:
            return Counter(self._counts)

    def since(self, before: Counter[int]) -> dict[int, int]:
        """The retries counted since `before` (a snapshot), by status."""
        now = self.snapshot()
        return {
            status: now[status] - before[status]
            for status in sorted(now)
            if now[status] > before[status]
        }


__all__ = [
    "MALFORMED_TRANSIENT",
    "MAX_TRANSIENT_TRIES",
    "TRANSIENT_STATUSES",
    "Persisted",
    "Retries",
    "backoff",
    "describe_retries",
    "next_wait",
    "persisted",
]
