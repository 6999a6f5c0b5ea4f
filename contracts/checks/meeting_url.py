"""meeting_url shapes: a string on events and bots[], the per-platform object on the Bot.

Only link forms Recall's published patterns cover are sent to the Bot check
(https://docs.recall.ai/docs/meeting-urls); for other forms calbot knows (GoTo's
meet.goto.com and global.gotomeeting.com) either a parsed object or null is conformant, so
they are not checked at all.
"""

from __future__ import annotations

from typing import Any

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import only_bot_id, read_event, schedule_ok
from calbot.contracts.judges.meeting_urls import bot_meeting_url_problems, meeting_urls_not_strings
from calbot.spec.meeting_urls import example_urls, is_documented_form


def _event_strings(ctx: Context, event: dict[str, Any], where: str) -> None:
    for wrong in meeting_urls_not_strings(event):
        field = f"{where}: {wrong.field}"
        ctx.fail(
            f"{field} is not a string",
            expected=wrong.expected,
            actual=wrong.value,
            signature=f"{field} type {type(wrong.value).__name__}",
        )


@check(
    "meeting_url",
    "string-on-events",
    rule="meeting_url.event-string",
    covers=("meeting_url.event-string",),
)
def string_on_events(ctx: Context) -> None:
    """CalendarEvent.meeting_url and bots[].meeting_url are strings in every answer."""
    event = ctx.event()
    body = {"deduplication_key": ctx.key("shape"), "bot_config": {}}
    scheduled = schedule_ok(ctx, event["id"], body, "schedule")
    if scheduled is None:
        return
    _event_strings(ctx, scheduled, "schedule answer")
    read = read_event(ctx, event["id"], "read the event")
    if read is not None:
        _event_strings(ctx, read, "event read")


def _url_cases() -> list[tuple[str, str]]:
    """One or two real link forms per platform, of the forms Recall's patterns cover."""
    cases = []
    for platform, urls in example_urls().items():
        documented = [url for url in urls if is_documented_form(url)]
        cases += [(platform, url) for url in documented[:2]]
    return cases


@check(
    "meeting_url",
    "object-on-the-bot",
    rule="meeting_url.bot-object",
    covers=("meeting_url.bot-object",),
)
def object_on_the_bot(ctx: Context) -> None:
    """For each platform's published link forms, the Bot's meeting_url is its object, matching."""
    event = ctx.event()
    for platform, url in _url_cases():
        body = {"deduplication_key": ctx.key(platform), "bot_config": {"meeting_url": url}}
        scheduled = schedule_ok(ctx, event["id"], body, f"schedule a {platform} URL")
        if scheduled is None:
            continue
        bot_id = only_bot_id(ctx, scheduled, f"schedule a {platform} URL")
        if bot_id is None:
            continue
        response = ctx.get_bot(bot_id)
        bot = (
            ctx.json_object(response, f"read a {platform} bot")
            if ctx.expect_status(response, 200, f"read a {platform} bot")
            else None
        )
        if bot is None:
            continue
        value = bot.get("meeting_url")
        wrong = bot_meeting_url_problems(value, url)
        if wrong is None:
            continue
        if wrong.shape:
            ctx.fail(
                f"the Bot's meeting_url for the {platform} link {url} is not the per-platform "
                "object",
                expected=f"a {platform} meeting_url object (https://docs.recall.ai/docs/meeting-urls)",
                actual={"sent": url, "meeting_url": value, "problems": wrong.problems[:3]},
                response=response,
                signature=f"bot meeting_url shape {platform} {type(value).__name__}",
            )
        else:
            ctx.fail(
                f"the Bot's meeting_url object does not match the {platform} link {url}",
                expected=url,
                actual={"sent": url, "meeting_url": value, "problems": wrong.problems},
                response=response,
                signature=f"bot meeting_url mismatch {platform}",
            )
