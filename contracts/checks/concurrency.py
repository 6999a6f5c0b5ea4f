"""Concurrency: schedules and unschedules sent in parallel end as some serial order of them.

Recall documents a 409 for parallel add/remove calls on events that share a deduplication key,
to be retried with backoff (https://docs.recall.ai/docs/scheduling-guide, "Handling 409s"):
the server serialises work on a key. So whatever the server does with parallel calls (take
them in any order, or refuse some with a 409 that calbot retries), the end state must be one a
serial order gives (`calbot.contracts.engine.serial`): one bot per key, one bot per event,
nothing lost. Every call's own answer is checked too: right after a schedule the event shows
one bot, with the key sent; right after an unschedule, none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from calbot.contracts.engine import parallel
from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.serial import Step, describe_any, serial_states, state_of
from calbot.contracts.engine.steps import bots_of, read_event, schedule_ok

EVENTS_SHARING_A_KEY = 4
RACING_KEYS = 4


def _body(key: str, name: str) -> dict[str, Any]:
    return {"deduplication_key": key, "bot_config": {"bot_name": name}}


def _call(step: Step, events: Sequence[dict[str, Any]]) -> parallel.Call:
    event_id = events[step.event]["id"]
    if step.kind == "unschedule":
        return parallel.unschedule(event_id)
    assert step.body is not None
    return parallel.schedule(event_id, dict(step.body))


def _race(
    ctx: Context, events: Sequence[dict[str, Any]], before: Sequence[Step], steps: Sequence[Step]
) -> None:
    """Run `before` one by one, then `steps` at once; judge each answer and the end state."""
    for step in before:
        assert step.body is not None
        what = step.describe() + " (before the race)"
        if schedule_ok(ctx, events[step.event]["id"], dict(step.body), what) is None:
            return
    responses = parallel.at_once(ctx.target, [_call(step, events) for step in steps])
    pairs = zip(steps, responses, strict=True)
    answered = [_judge_answer(ctx, step, response) for step, response in pairs]
    if not all(answered):
        return  # a call that failed says so; the end state would only repeat it
    bodies = [
        read_event(ctx, event["id"], f"read event {n} after the race")
        for n, event in enumerate(events, 1)
    ]
    if any(body is None for body in bodies):
        return
    shown = [body for body in bodies if body is not None]
    observed = state_of(shown, _read_names(ctx, shown))
    allowed = serial_states(len(events), before, steps)
    if observed not in allowed:
        ctx.fail(
            "calls sent in parallel ended in a state no serial order of them gives",
            expected=describe_any(allowed),
            actual=observed.describe(),
            signature=f"not serializable: {', '.join(step.kind for step in steps)}",
        )


def _judge_answer(ctx: Context, step: Step, response: httpx.Response) -> bool:
    """The answer to one parallel call: 200, showing the event right after the call."""
    what = f"{step.describe()} (in parallel)"
    if not ctx.expect_status(response, 200, what):
        return False
    body = ctx.json_object(response, what)
    if body is None:
        return False
    keys = [bot.get("deduplication_key") for bot in bots_of(body)]
    expected = [] if step.kind == "unschedule" else [(step.body or {}).get("deduplication_key")]
    if keys != expected:
        ctx.fail(
            f"{what}: the answer does not show the event as the call left it",
            expected={"bots[].deduplication_key": expected},
            actual={"bots[].deduplication_key": keys},
            response=response,
            signature=f"{step.kind} answer: {len(keys)} bots",
        )
    return True


def _read_names(ctx: Context, events: Sequence[dict[str, Any]]) -> dict[Any, Any]:
    """Each bot the events show, read: its bot_name (a bot shown but unreadable is a finding)."""
    names: dict[Any, Any] = {}
    for event in events:
        for bot in bots_of(event):
            bot_id = bot.get("bot_id")
            if not isinstance(bot_id, str) or bot_id in names:
                continue
            response = ctx.get_bot(bot_id)
            names[bot_id] = None
            if response.status_code != 200:
                ctx.fail(
                    "an event shows a bot that cannot be read after the parallel calls",
                    expected=f"GET /api/v1/bot/{bot_id}/ answers 200",
                    actual=response.status_code,
                    response=response,
                    signature="shown bot unreadable",
                )
                continue
            body = ctx.json_object(response, "read a bot after the parallel calls")
            names[bot_id] = body.get("bot_name") if body is not None else None
    return names


@check(
    "concurrency",
    "one-key-on-events-in-parallel",
    rule="concurrency.serializable",
    covers=("concurrency.same-key",),
)
def one_key_in_parallel(ctx: Context) -> None:
    """One deduplication key scheduled on several events at once gives them one shared bot."""
    events = [ctx.event() for _ in range(EVENTS_SHARING_A_KEY)]
    key = ctx.key("shared")
    steps = [
        Step("schedule", index, _body(key, f"calbot parallel {index + 1}"))
        for index in range(len(events))
    ]
    _race(ctx, events, (), steps)


@check(
    "concurrency",
    "keys-racing-on-one-event",
    rule="concurrency.serializable",
    covers=("concurrency.one-event",),
)
def keys_on_one_event(ctx: Context) -> None:
    """Several keys scheduled on one event at once leave one bot on it, of one of the keys."""
    event = ctx.event()
    steps = [
        Step("schedule", 0, _body(ctx.key(f"racing-{n}"), f"calbot racing key {n}"))
        for n in range(1, RACING_KEYS + 1)
    ]
    _race(ctx, [event], (), steps)


@check(
    "concurrency",
    "schedule-races-unschedule",
    rule="concurrency.serializable",
    covers=("concurrency.schedule-vs-unschedule",),
)
def schedule_races_unschedule(ctx: Context) -> None:
    """A schedule racing an unschedule ends in a serial state, on events sharing a key (the
    bot one lets go of, the other joins) and on one event."""
    held, joining = ctx.event(), ctx.event()
    key = ctx.key("shared")
    _race(
        ctx,
        [held, joining],
        [Step("schedule", 0, _body(key, "calbot held"))],
        [Step("unschedule", 0), Step("schedule", 1, _body(key, "calbot joining"))],
    )
    event = ctx.event()
    _race(
        ctx,
        [event],
        [Step("schedule", 0, _body(ctx.key("first"), "calbot first"))],
        [Step("schedule", 0, _body(ctx.key("second"), "calbot second")), Step("unschedule", 0)],
    )
