"""Deduplication: events scheduled with one key share one bot.

Source: https://docs.recall.ai/docs/scheduling-guide
"""

from __future__ import annotations

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import (
    bot_ids,
    only_bot_id,
    read_event,
    schedule_ok,
    schedule_pair,
)


@check("dedup", "same-key-same-bot", rule="dedup.shared-bot", covers=("dedup.across-events",))
def same_key_same_bot(ctx: Context) -> None:
    """Two events scheduled with the same deduplication_key show the same bot_id."""
    key = ctx.key("shared")
    pair = schedule_pair(ctx, key)
    if pair is None:
        return
    a, b = pair
    bot_a, bot_b = only_bot_id(ctx, a, "first event"), only_bot_id(ctx, b, "second event")
    if bot_a and bot_b and bot_a != bot_b:
        ctx.fail(
            "two events scheduled with one deduplication_key got different bots",
            expected=f"the same bot_id on both events (key {key!r})",
            actual={"first": bot_a, "second": bot_b},
        )
    again = read_event(ctx, a["id"], "read the first event again")
    if again is not None and bot_a and bot_ids(again) != [bot_a]:
        ctx.fail(
            "the first event lost its bot when a second event joined it",
            expected=[bot_a],
            actual=bot_ids(again),
        )


@check(
    "dedup",
    "different-keys-different-bots",
    rule="dedup.shared-bot",
    covers=("dedup.different-keys",),
)
def different_keys_different_bots(ctx: Context) -> None:
    """Events scheduled with different keys get different bots."""
    first, second = ctx.event(), ctx.event()
    a = schedule_ok(ctx, first["id"], {"deduplication_key": ctx.key("a"), "bot_config": {}}, "a")
    b = schedule_ok(ctx, second["id"], {"deduplication_key": ctx.key("b"), "bot_config": {}}, "b")
    if a is None or b is None:
        return
    bot_a, bot_b = only_bot_id(ctx, a, "first event"), only_bot_id(ctx, b, "second event")
    if bot_a and bot_a == bot_b:
        ctx.fail(
            "two events scheduled with different deduplication keys share one bot",
            expected="different bot_ids",
            actual={"first": bot_a, "second": bot_b},
        )


@check("dedup", "key-echoed-on-bots", rule="dedup.shared-bot", covers=("dedup.key-echoed",))
def key_echoed(ctx: Context) -> None:
    """The event's bots[] item carries the deduplication_key it was scheduled with."""
    event = ctx.event()
    key = ctx.key("echo")
    body = schedule_ok(ctx, event["id"], {"deduplication_key": key, "bot_config": {}}, "schedule")
    if body is None or only_bot_id(ctx, body, "schedule") is None:
        return
    shown = body["bots"][0].get("deduplication_key")
    if shown != key:
        ctx.fail("bots[].deduplication_key is not the key sent", expected=key, actual=shown)
