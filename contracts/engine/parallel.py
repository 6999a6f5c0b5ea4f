"""Send API requests at once, from threads, to see what a server makes of parallel calls.

Each call goes through `Target.send` as any other request: paced, a 429 waited out, a
documented transient answer (409 for parallel calls on one deduplication key) retried. So
that the calls really overlap, the pacer is first given room for all of them (none waits for
the budget once released), and the threads start together behind a barrier.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.target import Target

BARRIER_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Call:
    """One API request to send in parallel with others."""

    method: str
    path: str
    body: Any = None

    def send(self, target: Target) -> httpx.Response:
        if self.body is None:
            return target.send(self.method, self.path)
        return target.send(self.method, self.path, json=self.body)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def schedule(event_id: str, body: dict[str, Any]) -> Call:
    return Call("POST", EVENT_BOT.format(id=event_id), body)


def unschedule(event_id: str) -> Call:
    return Call("DELETE", EVENT_BOT.format(id=event_id))


def at_once(target: Target, calls: Sequence[Call]) -> list[httpx.Response]:
    """Send `calls` in parallel; their responses, in the order of `calls`.

    An exception in any call (the target unreachable, Ctrl-C) is raised here once all
    threads have finished."""
    if not calls:
        return []
    _make_room(target, calls)
    barrier = threading.Barrier(len(calls))

    def send(call: Call) -> httpx.Response:
        barrier.wait(BARRIER_TIMEOUT)
        return call.send(target)

    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="calbot-parallel") as pool:
        futures = [pool.submit(send, call) for call in calls]
        errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]


def _make_room(target: Target, calls: Sequence[Call]) -> None:
    """Wait until the pacer lets every call go at once."""
    wanted = Counter(target.operation_of(call.method, call.path) for call in calls)
    for operation, count in wanted.items():
        if operation is None:
            continue
        wait = target.pacer.until_room(operation, count)
        if wait > 0:
            with target.activity.waiting(wait, "room in the budget for parallel requests"):
                target.sleep(wait)


__all__ = ["Call", "at_once", "schedule", "unschedule"]
