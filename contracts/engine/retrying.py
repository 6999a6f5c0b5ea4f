"""How calbot retries a documented transient answer, as its client rules demand of clients.

Recall documents 409 (parallel calls on one deduplication key), 502-504 (load shedding) and 507
(the ad-hoc bot pool is empty) as answers to retry: after `Retry-After` when the answer gives
one, with exponential backoff otherwise. calbot's own requests do the same, bounded by a number
of tries and by `max_wait` seconds of waiting per request, so that a correct server using these
answers is never judged by them; only an answer that persists past the bound is a finding.

A `Transient` policy says which answers a request retries and how far. The default retries all
five up to the bound and marks one that persists (`persisted`). For a body calbot knows is
malformed (`MALFORMED_TRANSIENT`) a 5xx is asked once more: a load shedder's answer clears on
one retry, a crash answers the same again, and that second answer is returned unmarked, for the
check to judge as a 5xx.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

import httpx

from calbot.contracts.results import describe_retries  # its home: beside the result model
from calbot.spec.throttles import TRANSIENT_STATUSES, parse_retry_after

MAX_TRANSIENT_TRIES = 6
"""Tries in all (the first and five retries) before a transient answer counts as persisting."""
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 8.0
PERSISTED = "calbot.persisted"
"""`httpx.Response.extensions` key of a transient answer returned after the bound: a `Persisted`."""


@dataclass(frozen=True, slots=True)
class Transient:
    """Which answers one request retries: `retried` up to the bound (a persisting one comes
    back marked), `rechecked` once only (a repeated one comes back unmarked: the server's
    answer, not a transient one)."""

    retried: frozenset[int] = TRANSIENT_STATUSES
    rechecked: frozenset[int] = frozenset()

    @classmethod
    def of(cls, statuses: Collection[int] | Transient) -> Transient:
        """A policy from a policy or a plain set of statuses (each retried up to the bound)."""
        return statuses if isinstance(statuses, Transient) else cls(frozenset(statuses))

    def __contains__(self, status: object) -> bool:
        return status in self.retried or status in self.rechecked

    def tries(self, status: int, answers: list[int]) -> tuple[int, int]:
        """For the latest of transient `answers` (`status`): which try of its kind it answered,
        and how many tries its kind gets (rechecked answers count among themselves)."""
        if self.marks(status):
            return len(answers), MAX_TRANSIENT_TRIES
        return sum(1 for answer in answers if not self.marks(answer)), 2

    def marks(self, status: int) -> bool:
        """Whether an answer of `status` that persists is marked (a finding of its own rule)."""
        return status in self.retried


TRANSIENT = Transient()
"""The default: every documented transient answer retried up to the bound."""
MALFORMED_TRANSIENT = Transient(
    retried=frozenset({409}), rechecked=TRANSIENT_STATUSES - frozenset({409})
)
"""For a body calbot knows is malformed: a 409 is retried as always; a 5xx is asked once more,
since load shedding may answer any request, and a 5xx that repeats is a failure, not transient."""


@dataclass(frozen=True, slots=True)
class Persisted:
    """A transient answer calbot retried until its bound without getting another answer."""

    status: int
    tries: int
    waited: float
    why: str  # what ended the retries: the tries ran out, or a wait past the longest allowed
    statuses: tuple[int, ...] = ()  # every answer, in order, when they were not all `status`

    def describe(self) -> str:
        answered = (
            ", ".join(str(status) for status in self.statuses)
            if len(set(self.statuses)) > 1
            else str(self.status)
        )
        tries = "its only try" if self.tries == 1 else f"all {self.tries} tries"
        return f"the server answered {answered} on {tries} ({self.waited:.1f} s waited; {self.why})"


def backoff(retry: int) -> float:
    """Seconds before the `retry`-th retry (1, 2, ...) when the answer gives no Retry-After."""
    return float(min(FIRST_BACKOFF * 2.0 ** (retry - 1), MAX_BACKOFF))


def next_wait(
    response: httpx.Response,
    tries: int,
    waited: float,
    max_wait: float,
    most: int = MAX_TRANSIENT_TRIES,
    *,
    max_wait_named: str = "max_wait",
) -> float | str:
    """The wait before retrying a transient `response`, the answer to try number `tries`
    (1, 2, ...), after `waited` seconds of waiting; or why calbot retries no more."""
    if tries >= most:
        return (
            f"calbot retries a transient answer at most {most - 1} "
            f"{'time' if most == 2 else 'times'}"
        )
    told = parse_retry_after(response.headers.get("retry-after"))
    wait = backoff(tries) if told is None else told
    if waited + wait > max_wait:
        why = "as its Retry-After asks" if told is not None else "of backoff"
        return (
            f"waiting {wait:g} s more, {why}, would pass the {max_wait:g} s calbot waits for "
            f"one request ({max_wait_named})"
        )
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
    "TRANSIENT",
    "TRANSIENT_STATUSES",
    "Persisted",
    "Retries",
    "Transient",
    "backoff",
    "describe_retries",
    "next_wait",
    "persisted",
]
