"""Ended events: scheduling is refused with Recall's documented body, and nothing changes.

Source: https://docs.recall.ai/reference/calendar_events_bot_create

The edge is time: an event that ended a day ago and one that ended a moment ago (`MOMENT`
before calbot's clock) are both ended. A server whose clock reads behind calbot's could take
the second one for an event still in progress; its own `Date` header tells (`server_clock`).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp
from calbot.contracts.engine.registry import Context, Skip, check
from calbot.contracts.engine.steps import bot_ids, read_event
from calbot.contracts.judges.answers import ENDED_LITERALS, ended_body_differences

DOCUMENTED = "https://docs.recall.ai/reference/calendar_events_bot_create"

MOMENT = timedelta(seconds=5)
"""How long before calbot's clock the "moment ago" event ended. The clocks of NTP-synced
machines agree to well under a second; five seconds also covers the whole-second timestamps and
a loosely synced clock, and is far inside any grace period a server might wrongly allow (a
minute, say). A server whose clock reads further behind is found out by its `Date` header."""
DURATION = timedelta(minutes=30)


def ended_a_moment_ago(now: datetime, moment: timedelta = MOMENT) -> dict[str, str]:
    """State setup times of a 30-minute event that ended `moment` before `now` (whole
    seconds, rounded down: never later than that)."""
    end = now.astimezone(UTC).replace(microsecond=0) - moment
    return {"start_time": format_timestamp(end - DURATION), "end_time": format_timestamp(end)}


def server_clock(response: httpx.Response) -> datetime | None:
    """The server's clock when it answered, from its `Date` header (whole seconds, rounded
    down by the format), or None when it sent none or an unreadable one."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def documented_refusal(ctx: Context, response: httpx.Response, what: str) -> None:
    """A finding unless the answer is 400 with code, message and non_field_errors exactly as
    documented (other keys allowed: `ended_body_differences`, the passive verdict's judge too)."""
    if not ctx.expect_status(response, 400, what):
        return
    answer = ctx.json_object(response, "the ended-event answer")
    if answer is None:
        return
    wrong = ended_body_differences(answer)
    if wrong:
        ctx.fail(
            f"the ended-event body differs from Recall's documented one ({DOCUMENTED}): {what}",
            expected={name: ENDED_LITERALS[name] for name in wrong},
            actual=wrong,
            response=response,
            signature="ended body: " + ",".join(sorted(wrong)),
        )


def _body(ctx: Context, label: str, **config: Any) -> dict[str, Any]:
    return {"deduplication_key": ctx.key(label), "bot_config": config}


@check("ended", "refused-with-documented-body", rule="ended.refused", covers=("ended.long-ago",))
def refused_with_documented_body(ctx: Context) -> None:
    """400 with code, message and non_field_errors exactly as documented."""
    event = ctx.event("ended")
    response = ctx.schedule(event["id"], _body(ctx, "ended"))
    documented_refusal(ctx, response, "schedule on an ended event")


@check("ended", "nothing-changes", rule="ended.refused", covers=("ended.nothing-changes",))
def nothing_changes(ctx: Context) -> None:
    """A refused schedule leaves the ended event without a bot."""
    event = ctx.event("ended")
    before = bot_ids(event)
    ctx.schedule(event["id"], _body(ctx, "ended-unchanged", bot_name="x"))
    after = read_event(ctx, event["id"], "read the ended event")
    if after is not None and bot_ids(after) != before:
        ctx.fail(
            "scheduling on an ended event changed it",
            expected={"bots": before},
            actual={"bots": after.get("bots")},
        )


@check("ended", "refused-a-moment-after", rule="ended.refused", covers=("ended.moment-ago",))
def refused_a_moment_after(ctx: Context) -> None:
    """An event that ended seconds ago is refused too, with the documented body."""
    seconds = int(MOMENT.total_seconds())
    now = ctx.now()
    for _attempt in range(2):
        times = ended_a_moment_ago(now)
        event = ctx.event("ended", **times)
        response = ctx.schedule(event["id"], _body(ctx, "moment"))
        if response.status_code != 200:
            break
        end = parse_timestamp(times["end_time"])
        clock = server_clock(response)
        if clock is None or end is None or clock >= end:
            break  # accepted, though the event had ended by the server's own clock too
        # The server's clock reads more than the moment behind calbot's: by it, the event had
        # not ended yet. Once more, with an event that ended a moment before its clock.
        now = clock
    else:
        raise Skip(
            f"the server's clock (its Date header) reads more than {seconds} s behind calbot's "
            "twice: an event that ended a moment ago cannot be set up for it"
        )
    what = f"schedule on an event that ended {seconds} s ago (end_time {times['end_time']})"
    documented_refusal(ctx, response, what)
