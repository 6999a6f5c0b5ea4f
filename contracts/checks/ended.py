"""Ended events: scheduling is refused with Recall's documented body, and nothing changes."""

from __future__ import annotations

from calbot.contracts.domain.model import ENDED_MESSAGE, INVALID_DATA_MESSAGE
from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import bot_ids, read_event

DOCUMENTED = "https://docs.recall.ai/reference/calendar_events_bot_create"


@check("ended", "refused-with-documented-body", rule="ended.refused", covers=("ended.long-ago",))
def refused_with_documented_body(ctx: Context) -> None:
    """400 with code, message and non_field_errors exactly as documented."""
    event = ctx.event("ended")
    body = {"deduplication_key": ctx.key("ended"), "bot_config": {}}
    response = ctx.schedule(event["id"], body)
    if not ctx.expect_status(response, 400, "schedule on an ended event"):
        return
    answer = ctx.json_object(response, "the ended-event answer")
    if answer is None:
        return
    literal = {
        "code": "invalid_request_data",
        "message": INVALID_DATA_MESSAGE,
        "errors.non_field_errors": [ENDED_MESSAGE],
    }
    errors = answer.get("errors")
    if not isinstance(errors, dict):
        errors = {}
    got = {
        "code": answer.get("code"),
        "message": answer.get("message"),
        "errors.non_field_errors": errors.get("non_field_errors"),
    }
    wrong = {name: got[name] for name in literal if got[name] != literal[name]}
    if wrong:
        ctx.fail(
            f"the ended-event body differs from Recall's documented one ({DOCUMENTED})",
            expected={name: literal[name] for name in wrong},
            actual=wrong,
            response=response,
            signature="ended body: " + ",".join(sorted(wrong)),
        )


@check("ended", "nothing-changes", rule="ended.refused", covers=("ended.nothing-changes",))
def nothing_changes(ctx: Context) -> None:
    """A refused schedule leaves the ended event without a bot."""
    event = ctx.event("ended")
    before = bot_ids(event)
    key = ctx.key("ended-unchanged")
    ctx.schedule(event["id"], {"deduplication_key": key, "bot_config": {"bot_name": "x"}})
    after = read_event(ctx, event["id"], "read the ended event")
    if after is not None and bot_ids(after) != before:
        ctx.fail(
            "scheduling on an ended event changed it",
            expected={"bots": before},
            actual={"bots": after.get("bots")},
        )
