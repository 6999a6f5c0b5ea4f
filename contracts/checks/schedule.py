"""Scheduling through an event's life: events that have not ended are accepted, deleted ones
keep no bot.

Sources: https://docs.recall.ai/reference/calendar_events_bot_create (only an event that has
ended is refused), https://docs.recall.ai/docs/creating-and-scheduling-bots and
https://docs.recall.ai/docs/scheduling-bots-best-practices (a bot joining within 10 minutes is
an ad-hoc one; a 507 while the pool is empty is retried, as `Target.send` does),
https://docs.recall.ai/docs/scheduling-guide (Recall removes the bots of a deleted event).
"""

from __future__ import annotations

import time
from datetime import UTC, timedelta
from typing import Any

import httpx

from calbot.contracts.domain.model import ENDED_MESSAGE
from calbot.contracts.domain.timestamps import format_timestamp
from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import bot_ids, no_server_error, only_bot_id, schedule_ok

SOON = (timedelta(minutes=1), timedelta(minutes=9))
"""How far ahead the starting-soon events start: in a minute, and just inside the 10 minutes
that make a bot an ad-hoc one. Skew between the clocks does not matter: started or not, an
event that has not ended must be accepted."""
DURATION = timedelta(minutes=30)
SETTLE = 2.0
"""Seconds to wait before reading a deleted event a second time, when the first read still
shows a bot: Recall may remove it asynchronously."""
GONE = (404, 410)
"""Answers to reading a deleted event that say it has no bot to show."""


def _body(ctx: Context, label: str) -> dict[str, Any]:
    return {"deduplication_key": ctx.key(label), "bot_config": {}}


def refused_as_ended(response: httpx.Response) -> bool:
    """Whether the answer is a 4xx that gives Recall's ended-event message."""
    if not 400 <= response.status_code < 500:
        return False
    try:
        return _mentions(response.json(), ENDED_MESSAGE)
    except ValueError:
        return ENDED_MESSAGE in response.text


def _mentions(value: object, text: str) -> bool:
    if isinstance(value, str):
        return value == text
    if isinstance(value, dict):
        return any(_mentions(item, text) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, text) for item in value)
    return False


@check(
    "schedule",
    "in-progress-not-refused-as-ended",
    rule="ended.in-progress",
    covers=("ended.in-progress",),
)
def in_progress_not_refused_as_ended(ctx: Context) -> None:
    """An event that started 10 minutes ago and ends in 50 is not refused as ended."""
    event = ctx.event("in_progress")
    what = "schedule on an event in progress"
    response = ctx.schedule(event["id"], _body(ctx, "in-progress"))
    if refused_as_ended(response):
        ctx.fail(
            f"{what} (start_time {event.get('start_time')}, end_time {event.get('end_time')}): "
            "refused as ended",
            expected="any answer but the ended-event refusal: the event has not ended",
            actual=f"{response.status_code} {response.text[:300]}",
            response=response,
            signature="in progress refused as ended",
        )
        return
    no_server_error(ctx, response, what)


@check(
    "schedule",
    "starting-soon-accepted",
    rule="schedule.accepted",
    covers=("schedule.starting-soon",),
)
def starting_soon_accepted(ctx: Context) -> None:
    """Events starting in a minute and in 9 minutes (ad-hoc bots) are scheduled: 200, a bot."""
    now = ctx.now().astimezone(UTC).replace(microsecond=0)
    for ahead in SOON:
        start = now + ahead
        event = ctx.event(
            "upcoming",
            start_time=format_timestamp(start),
            end_time=format_timestamp(start + DURATION),
        )
        minutes = int(ahead.total_seconds() // 60)
        what = f"schedule on an event starting in {minutes} min ({format_timestamp(start)})"
        answer = schedule_ok(ctx, event["id"], _body(ctx, f"soon-{minutes}"), what)
        if answer is not None:
            only_bot_id(ctx, answer, what)


def _bots_shown(ctx: Context, event_id: str, what: str) -> list[Any]:
    """The bots the deleted event shows when read back; none when it reads as gone."""
    response = ctx.get_event(event_id)
    if response.status_code in GONE or not no_server_error(ctx, response, what):
        return []
    if response.status_code != 200:
        return []  # any other answer is the server's to choose; it shows no bot
    body = ctx.json_object(response, what)
    return bot_ids(body) if body is not None else []


@check(
    "schedule",
    "deleted-event-keeps-no-bot",
    rule="deleted.no-bot",
    covers=("deleted.no-bot",),
)
def deleted_event_keeps_no_bot(ctx: Context) -> None:
    """Scheduling on a deleted event, refused or accepted, leaves it without a bot."""
    event = ctx.event("deleted")
    response = ctx.schedule(event["id"], _body(ctx, "deleted"))
    no_server_error(ctx, response, "schedule on a deleted event")
    bots = _bots_shown(ctx, event["id"], "read the deleted event")
    if bots:
        time.sleep(SETTLE)
        bots = _bots_shown(ctx, event["id"], f"read the deleted event again, {SETTLE:g} s later")
    if bots:
        ctx.fail(
            f"the deleted event still has a bot {SETTLE:g} s after the schedule was answered "
            f"{response.status_code} (Recall removes the bots of deleted events)",
            expected={"bots": []},
            actual={"bots[].bot_id": bots},
            signature="deleted event keeps a bot",
        )
