"""The concurrency contract: parallel calls really overlap, in-process too; a correct server
passes, also one that answers 409 to parallel calls (documented, retried); the serial states
are every order's and only those."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.domain.operations import EVENT
from calbot.contracts.engine import parallel
from calbot.contracts.engine.serial import State, Step, describe_any, serial_states, state_of
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.results import RunResult, Status
from calbot.server import ServerConfig, create_app
from calbot.spec.states import STATES_PATH
from calbot.spec.throttles import RateLimit

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


def body(key: str, name: str) -> dict[str, Any]:
    return {"deduplication_key": key, "bot_config": {"bot_name": name}}


# --- parallel sends -------------------------------------------------------------------------


class Overlap:
    """An ASGI app around the reference server that counts the requests in progress at once."""

    def __init__(self, inner: ASGI, pause: float = 0.05) -> None:
        self.inner, self.pause = inner, pause
        self.now = self.peak = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.pause)
            await self.inner(scope, receive, send)
        finally:
            self.now -= 1


def test_calls_sent_at_once_are_in_progress_together_in_process() -> None:
    """SyncASGITransport runs each call on its loop as it comes: threads really interleave."""
    # Each call stays in progress 0.5 s: on a loaded machine a thread may wait 50 ms and more
    # for its time slice after the barrier, and the calls would overlap only in part.
    app = Overlap(create_app(ServerConfig(rate_limit=BUILTIN_BUDGET)), pause=0.5)
    target = Target(TargetConfig(app=app, rate_limit=BUILTIN_BUDGET))
    calls = [parallel.Call("GET", EVENT.format(id=f"missing-{n}")) for n in range(5)]
    responses = parallel.at_once(target, calls)
    assert [r.status_code for r in responses] == [404] * 5
    assert [r.request.url.path for r in responses] == [c.path for c in calls]  # in call order
    assert app.peak == 5
    assert target.activity.requests == 5


def test_calls_wait_for_room_in_the_budget_and_then_go_together() -> None:
    budget = RateLimit(3, 0.5)
    app = Overlap(create_app(ServerConfig(rate_limit=budget)))
    target = Target(TargetConfig(app=app, rate_limit=budget))
    target.send("GET", EVENT.format(id="first"))
    calls = [parallel.Call("GET", EVENT.format(id=f"missing-{n}")) for n in range(3)]
    assert [r.status_code for r in parallel.at_once(target, calls)] == [404] * 3
    assert app.peak == 3  # none of the three waited for the budget alone
    assert target.throttled_waits == 0


# --- the contract ---------------------------------------------------------------------------


def run(app: Any) -> RunResult:
    return run_conformance(
        Conformance(
            app=app,
            state_url=STATES_PATH,
            rate_limit=BUILTIN_BUDGET,
            contracts=["concurrency"],
            seed=1,
        )
    )


def describe(result: RunResult) -> str:
    return "\n".join(
        f"{c.id} {c.status.value} {c.reason or ''} {[f.message for f in c.findings]}"
        for c in result.checks
    )


def test_the_reference_server_passes() -> None:
    result = run(create_app(ServerConfig(rate_limit=BUILTIN_BUDGET)))
    assert [c.status for c in result.checks] == [Status.PASSED] * 3, describe(result)
    exercised = {name for c in result.checks for name in c.exercised}
    assert exercised == {
        "concurrency.same-key",
        "concurrency.one-event",
        "concurrency.schedule-vs-unschedule",
    }


class Conflicting:
    """The reference server, answering 409 to a call on an event or key another call is busy
    with (as Recall documents for parallel calls on events sharing a key)."""

    def __init__(self, inner: ASGI) -> None:
        self.inner = inner
        self.busy: set[str] = set()
        self.conflicts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.endswith("/bot/") or "calendar-events" not in path:
            await self.inner(scope, receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            key = json.loads(raw).get("deduplication_key") if raw else None
        except ValueError:
            key = None
        claims = {path} | ({f"key:{key}"} if isinstance(key, str) else set())
        if claims & self.busy:
            self.conflicts += 1
            await _answer(send, 409, b'{"detail": "A parallel call is in progress."}')
            return
        self.busy |= claims
        try:
            await asyncio.sleep(0.03)
            sent = False

            async def replay() -> MutableMapping[str, Any]:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}

            await self.inner(scope, replay, send)
        finally:
            self.busy -= claims


async def _answer(send: Send, status: int, payload: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def test_a_server_answering_409_to_parallel_calls_passes_and_the_retries_are_counted() -> None:
    app = Conflicting(create_app(ServerConfig(rate_limit=BUILTIN_BUDGET)))
    result = run(app)
    assert [c.status for c in result.checks] == [Status.PASSED] * 3, describe(result)
    assert app.conflicts > 0
    assert sum(c.retried.get("409", 0) for c in result.checks) == app.conflicts


# --- serial states --------------------------------------------------------------------------


def test_one_key_on_several_events_has_one_shared_bot_named_by_the_call_taken_last() -> None:
    steps = [Step("schedule", n, body("k", f"n{n}")) for n in range(3)]
    states = serial_states(3, (), steps)
    assert {state.bots for state in states} == {(((0, 1, 2), "k", f"n{n}"),) for n in range(3)}
    text = describe_any(states)
    assert text == "events 1, 2, 3 share one bot (key 'k', named 'n0' or 'n1' or 'n2')"


def test_an_unschedule_racing_a_joining_schedule_keeps_the_joiner_its_bot_either_way() -> None:
    before = [Step("schedule", 0, body("k", "held"))]
    steps = [Step("unschedule", 0), Step("schedule", 1, body("k", "joining"))]
    states = serial_states(2, before, steps)
    assert states == {State(2, (((1,), "k", "joining"),))}
    assert describe_any(states) == "event 2 has a bot (key 'k', named 'joining'); event 1: no bot"


def test_a_schedule_racing_an_unschedule_on_one_event_ends_with_either() -> None:
    before = [Step("schedule", 0, body("k1", "first"))]
    steps = [Step("schedule", 0, body("k2", "second")), Step("unschedule", 0)]
    states = serial_states(1, before, steps)
    assert states == {State(1, ()), State(1, (((0,), "k2", "second"),))}
    assert describe_any(states).startswith("one of: ")


def test_the_state_shown_groups_events_by_bot_id_and_keeps_every_bot() -> None:
    events = [
        {"bots": [{"bot_id": "b1", "deduplication_key": "k"}]},
        {"bots": [{"bot_id": "b1", "deduplication_key": "k"}, {"deduplication_key": "x"}]},
        {"bots": None},
    ]
    state = state_of(events, {"b1": "name"})
    assert state == State(3, (((0, 1), "k", "name"), ((1,), "x", None)))
    assert "event 3: no bot" in state.describe()
