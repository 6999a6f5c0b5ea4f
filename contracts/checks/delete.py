"""Unscheduling: DELETE returns the event without its bot, idempotently.

Source: https://docs.recall.ai/reference/calendar_events_bot_destroy
"""

from __future__ import annotations

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import (
    bot_ids,
    only_bot_id,
    read_bot,
    read_event,
    schedule_ok,
    schedule_pair,
)


def _unschedule_ok(ctx: Context, event_id: str, what: str) -> None:
    response = ctx.unschedule(event_id)
    if not ctx.expect_status(response, 200, what):
        return
    body = ctx.json_object(response, what)
    if body is not None and bot_ids(body):
        ctx.fail(
            f"{what}: the returned event still has a bot",
            expected={"bots": []},
            actual={"bots": body.get("bots")},
            response=response,
        )


@check("delete", "removes-the-bot", rule="delete.unschedule", covers=("delete.removes",))
def removes_the_bot(ctx: Context) -> None:
    """DELETE answers 200 with the event and no bot; reading the event agrees."""
    event = ctx.event()
    body = {"deduplication_key": ctx.key("delete"), "bot_config": {}}
    if schedule_ok(ctx, event["id"], body, "schedule") is None:
        return
    _unschedule_ok(ctx, event["id"], "unschedule")
    after = read_event(ctx, event["id"], "read the event after unscheduling")
    if after is not None and bot_ids(after):
        ctx.fail("the event still has a bot after DELETE", expected=[], actual=bot_ids(after))


@check("delete", "idempotent", rule="delete.unschedule", covers=("delete.idempotent",))
def idempotent(ctx: Context) -> None:
    """Repeated DELETEs, and a DELETE on an event that never had a bot, all answer 200."""
    event = ctx.event()
    body = {"deduplication_key": ctx.key("twice"), "bot_config": {}}
    if schedule_ok(ctx, event["id"], body, "schedule") is None:
        return
    _unschedule_ok(ctx, event["id"], "first DELETE")
    _unschedule_ok(ctx, event["id"], "second DELETE")
    _unschedule_ok(ctx, ctx.event()["id"], "DELETE on an event without a bot")


@check(
    "delete",
    "shared-bot-survives",
    rule="delete.unschedule",
    covers=("delete.shared-bot-survives",),
)
def shared_bot_survives(ctx: Context) -> None:
    """Unscheduling one of two events that share a bot keeps the bot for the other."""
    pair = schedule_pair(ctx, ctx.key("shared"))
    if pair is None:
        return
    first, b = pair
    second = b
    shared = only_bot_id(ctx, b, "second event")
    if shared is None:
        return
    _unschedule_ok(ctx, first["id"], "unschedule the first event")
    other = read_event(ctx, second["id"], "read the second event")
    if other is not None and bot_ids(other) != [shared]:
        ctx.fail(
            "unscheduling one event took the shared bot from the other",
            expected={"bots[].bot_id": [shared]},
            actual={"bots[].bot_id": bot_ids(other)},
        )
    read_bot(ctx, shared, "read the shared bot after the first event let go of it")
