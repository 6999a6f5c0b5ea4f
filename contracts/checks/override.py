"""Override: scheduling again replaces the whole bot config, keeping one bot.

Source: https://docs.recall.ai/reference/calendar_events_bot_create
"""

from __future__ import annotations

from typing import Any

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import bot_ids, only_bot_id, read_bot, read_event, schedule_ok
from calbot.contracts.judges.behaviour import merged_metadata

FIRST_CONFIG: dict[str, Any] = {
    "bot_name": "calbot first config",
    "metadata": {"calbot_first_only": "dropped-on-override", "calbot_both": "old"},
    "automatic_leave": {"waiting_room_timeout": 1234},
    "recording_config": {"calbot_marker": "first-config-only"},
}
SECOND_CONFIG: dict[str, Any] = {
    "bot_name": "calbot second config",
    "metadata": {"calbot_both": "new"},
}


@check(
    "override",
    "replaces-whole-config",
    rule="override.replace",
    covers=("override.whole-config",),
)
def replaces_whole_config(ctx: Context) -> None:
    """A second schedule's bot_config replaces the first as a whole: nothing is merged."""
    event = ctx.event()
    key = ctx.key("override")
    first = {"deduplication_key": key, "bot_config": FIRST_CONFIG}
    if schedule_ok(ctx, event["id"], first, "first schedule") is None:
        return
    second = {"deduplication_key": key, "bot_config": SECOND_CONFIG}
    body = schedule_ok(ctx, event["id"], second, "second schedule (override)")
    if body is None:
        return
    bot_id = only_bot_id(ctx, body, "after the override")
    bot = read_bot(ctx, bot_id, "read the bot after the override") if bot_id else None
    if bot is None:
        return
    if bot.get("bot_name") != SECOND_CONFIG["bot_name"]:
        ctx.fail(
            "the bot does not carry the latest bot_name",
            expected=SECOND_CONFIG["bot_name"],
            actual=bot.get("bot_name"),
        )
    metadata = bot.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    if metadata.get("calbot_both") != "new":
        ctx.fail(
            "metadata was not replaced by the latest bot_config",
            expected={"calbot_both": "new"},
            actual=metadata,
        )
    kept = merged_metadata([FIRST_CONFIG], SECOND_CONFIG, metadata) or []
    merged = [f"metadata.{name}" for name in kept] + [
        name
        for name in ("automatic_leave", "recording_config")
        if bot.get(name) == FIRST_CONFIG[name]
    ]
    if merged:
        ctx.fail(
            "settings from the earlier bot_config survived the override (merged, not replaced)",
            expected="only the second bot_config's settings",
            actual={name: "kept from the first config" for name in merged},
            signature="override merged " + ",".join(merged),
        )


@check("override", "one-bot-per-event", rule="override.replace", covers=("override.one-bot",))
def one_bot_per_event(ctx: Context) -> None:
    """Re-scheduling an event leaves exactly one bot on it."""
    event = ctx.event()
    key = ctx.key("one")
    for round_ in (1, 2, 3):
        body = {"deduplication_key": key, "bot_config": {"bot_name": f"round {round_}"}}
        answer = schedule_ok(ctx, event["id"], body, f"schedule round {round_}")
        if answer is None:
            return
        only_bot_id(ctx, answer, f"schedule round {round_}")
    again = read_event(ctx, event["id"], "read the event")
    if again is not None and len(bot_ids(again)) != 1:
        ctx.fail(
            "the event has more than one bot after re-scheduling",
            expected="one bots[] item",
            actual={"bots": again.get("bots")},
        )
