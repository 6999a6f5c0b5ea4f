"""meeting_url shapes: a string on events and bots[], the per-platform object on the Bot.

Only link forms Recall's published patterns cover are sent to the Bot check
(https://docs.recall.ai/docs/meeting-urls); for other forms calbot knows (GoTo's
meet.goto.com and global.gotomeeting.com) either a parsed object or null is conformant, so
they are not checked at all.
"""

from __future__ import annotations

from typing import Any

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import bots_of, only_bot_id, read_event, schedule_ok
from calbot.spec import load_spec
from calbot.spec.meeting_urls import example_urls, is_documented_form, mismatches


def _not_a_string(ctx: Context, where: str, value: object, *, nullable: bool) -> None:
    if isinstance(value, str) or (nullable and value is None):
        return
    ctx.fail(
        f"{where} is not a string",
        expected="a string" + (" or null" if nullable else ""),
        actual=value,
        signature=f"{where} type {type(value).__name__}",
    )


def _event_strings(ctx: Context, event: dict[str, Any], where: str) -> None:
    _not_a_string(
        ctx, f"{where}: CalendarEvent.meeting_url", event.get("meeting_url"), nullable=True
    )
    for item in bots_of(event):
        _not_a_string(ctx, f"{where}: bots[].meeting_url", item.get("meeting_url"), nullable=False)


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


def _bot_url_validator() -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = load_spec()
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:calbot:spec", resource)
    return Draft202012Validator(
        {"$ref": "urn:calbot:spec#/components/schemas/MeetingUrl"}, registry=registry
    )


@check(
    "meeting_url",
    "object-on-the-bot",
    rule="meeting_url.bot-object",
    covers=("meeting_url.bot-object",),
)
def object_on_the_bot(ctx: Context) -> None:
    """For each platform's published link forms, the Bot's meeting_url is its object, matching."""
    validator = _bot_url_validator()
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
        shape_errors = [error.message for error in validator.iter_errors(value)]
        if not isinstance(value, dict) or shape_errors:
            ctx.fail(
                f"the Bot's meeting_url for the {platform} link {url} is not the per-platform "
                "object",
                expected=f"a {platform} meeting_url object (https://docs.recall.ai/docs/meeting-urls)",
                actual={"sent": url, "meeting_url": value, "problems": shape_errors[:3]},
                response=response,
                signature=f"bot meeting_url shape {platform} {type(value).__name__}",
            )
            continue
        problems = mismatches(value, url)
        if problems:
            ctx.fail(
                f"the Bot's meeting_url object does not match the {platform} link {url}",
                expected=url,
                actual={"sent": url, "meeting_url": value, "problems": problems},
                response=response,
                signature=f"bot meeting_url mismatch {platform}",
            )
