"""Defaults: the bot's meeting URL and join_at come from the event unless bot_config gives them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from calbot.contracts.domain.timestamps import format_timestamp, parse_timestamp
from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import only_bot_id, schedule_ok
from calbot.contracts.judges.behaviour import Defaults, expected_defaults
from calbot.spec.meeting_urls import mismatches

# A form Recall's published Zoom pattern covers (zoom.us/j/<id> with pwd), so the Bot's object
# is documented: meeting_id 84315220467, meeting_password calbotPwd1.
OVERRIDE_URL = "https://us02web.zoom.us/j/84315220467?pwd=calbotPwd1"


def _scheduled_bot(
    ctx: Context, config: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], httpx.Response] | None:
    """The event, the schedule answer, the bot and the response that read it (or None)."""
    event = ctx.event()
    body = schedule_ok(
        ctx,
        event["id"],
        {"deduplication_key": ctx.key("defaults"), "bot_config": config},
        "schedule",
    )
    if body is None:
        return None
    bot_id = only_bot_id(ctx, body, "schedule")
    if bot_id is None:
        return None
    response = ctx.get_bot(bot_id)
    if not ctx.expect_status(response, 200, "read the bot"):
        return None
    bot = ctx.json_object(response, "read the bot")
    return (event, body, bot, response) if bot is not None else None


def _same_time(
    ctx: Context, what: str, expected: str, actual: object, response: httpx.Response
) -> None:
    want, got = parse_timestamp(expected), parse_timestamp(actual)
    if want is None or got != want:
        ctx.fail(
            f"{what} is not {expected}",
            expected=expected,
            actual=actual,
            response=response,
            signature=what,
        )


def _same_url(  # noqa: PLR0917
    ctx: Context,
    what: str,
    defaults: Defaults,
    bot: dict[str, Any],
    entry: dict[str, Any],
    response: httpx.Response,
) -> None:
    url = defaults.meeting_url
    if url is None:
        return  # the event has no meeting URL, and bot_config gave none
    problems = mismatches(bot.get("meeting_url"), url)
    if problems:
        ctx.fail(
            f"{what}: the bot's meeting_url object does not match {url}",
            expected=f"the object Recall's published pattern gives for {url}",
            actual={"sent": url, "meeting_url": bot.get("meeting_url"), "problems": problems},
            response=response,
            signature=f"{what}: meeting_url object",
        )
    if not defaults.joins(entry.get("meeting_url")):
        ctx.fail(
            f"{what}: bots[].meeting_url is not the URL the bot joins",
            expected=url,
            actual=entry.get("meeting_url"),
            signature=f"{what}: bots[].meeting_url",
        )


@check("defaults", "from-the-event", rule="defaults.from-event", covers=("defaults.from-event",))
def from_the_event(ctx: Context) -> None:
    """With an empty bot_config the bot joins the event's meeting URL at its start time."""
    scheduled = _scheduled_bot(ctx, {})
    if scheduled is None:
        return
    event, body, bot, response = scheduled
    defaults = expected_defaults({}, event.get("meeting_url"), event.get("start_time"))
    if not defaults.joins_at(bot.get("join_at")):
        what = "the bot's join_at (default: the event's start_time)"
        ctx.fail(
            f"{what} is not {event['start_time']}",
            expected=event["start_time"],
            actual=bot.get("join_at"),
            response=response,
            signature=what,
        )
    _same_url(ctx, "default meeting URL", defaults, bot, body["bots"][0], response)


@check(
    "defaults",
    "bot-config-meeting-url-wins",
    rule="defaults.from-event",
    covers=("defaults.config-link-wins",),
)
def bot_config_meeting_url_wins(ctx: Context) -> None:
    """A meeting_url given in bot_config overrides the event's."""
    scheduled = _scheduled_bot(ctx, {"meeting_url": OVERRIDE_URL})
    if scheduled is None:
        return
    event, body, bot, response = scheduled
    defaults = expected_defaults(
        {"meeting_url": OVERRIDE_URL}, event.get("meeting_url"), event.get("start_time")
    )
    _same_url(ctx, "bot_config.meeting_url", defaults, bot, body["bots"][0], response)


@check(
    "defaults",
    "bot-config-join-at-wins",
    rule="defaults.join-at-override",
    covers=("defaults.config-join-at-wins",),
)
def bot_config_join_at_wins(ctx: Context) -> None:
    """A join_at given in bot_config overrides the event's start time (SHOULD: docs disagree)."""
    join_at = format_timestamp(ctx.now().replace(microsecond=0) + timedelta(days=6, minutes=7))
    scheduled = _scheduled_bot(ctx, {"join_at": join_at})
    if scheduled is None:
        return
    _event, _body, bot, response = scheduled
    what = "the bot's join_at (given in bot_config)"
    _same_time(ctx, what, join_at, bot.get("join_at"), response)
