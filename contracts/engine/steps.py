"""Steps several contracts share: schedule and expect success or a refusal, read a bot, list
bots[], tell a server error from an answer."""

from __future__ import annotations

from typing import Any

import httpx

from calbot.contracts.engine.registry import SERVER_ERROR_RULE, Context
from calbot.contracts.judges.answers import is_envelope, is_server_error


def bots_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's `bots[]` items that are objects (a missing list reads as empty)."""
    bots = event.get("bots")
    return [bot for bot in bots if isinstance(bot, dict)] if isinstance(bots, list) else []


def bot_ids(event: dict[str, Any]) -> list[Any]:
    return [bot.get("bot_id") for bot in bots_of(event)]


def schedule_ok(
    ctx: Context, event_id: str, body: dict[str, Any], what: str
) -> dict[str, Any] | None:
    """POST the schedule; the event body when the answer is 200, else a finding and None."""
    response = ctx.schedule(event_id, body)
    if not ctx.expect_status(response, 200, what):
        return None
    return ctx.json_object(response, what)


def read_event(ctx: Context, event_id: str, what: str) -> dict[str, Any] | None:
    response = ctx.get_event(event_id)
    if not ctx.expect_status(response, 200, what):
        return None
    return ctx.json_object(response, what)


def only_bot_id(ctx: Context, event: dict[str, Any], what: str) -> str | None:
    """The one bot_id on the event, or a finding when there is not exactly one."""
    ids = bot_ids(event)
    if len(ids) == 1 and isinstance(ids[0], str):
        return ids[0]
    ctx.fail(
        f"{what}: expected exactly one bot on the event",
        expected="bots: [one item with a string bot_id]",
        actual={"bots": event.get("bots")},
        signature=f"{what}: {len(ids)} bots",
    )
    return None


def read_bot(ctx: Context, bot_id: str, what: str) -> dict[str, Any] | None:
    response = ctx.get_bot(bot_id)
    if not ctx.expect_status(response, 200, what):
        return None
    return ctx.json_object(response, what)


def schedule_pair(ctx: Context, key: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two fresh events scheduled with one key: their answers, or None (findings recorded)."""
    answers = []
    for number in (1, 2):
        body = {"deduplication_key": key, "bot_config": {}}
        answers.append(schedule_ok(ctx, ctx.event()["id"], body, f"schedule event {number}"))
    first, second = answers
    return (first, second) if first is not None and second is not None else None


def refused_in_envelope(ctx: Context, event_id: str, what: str, body: Any) -> None:
    """POST `body`: a finding unless it is refused with 400 (the check's rule), and one of the
    inferred `schema.error-envelope` when the 400 is not in the envelope."""
    response = ctx.schedule(event_id, body)
    if not ctx.expect_status(response, 400, f"a body with {what}"):
        return
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not is_envelope(answer):
        ctx.fail(
            f"a body with {what}: the 400 is not in the error envelope",
            expected='{"code": str, "message": str, "errors": {...}}',
            actual=response.text[:500],
            response=response,
            signature="400 without the envelope",
            rule="schema.error-envelope",
        )


def no_server_error(ctx: Context, response: httpx.Response, what: str) -> bool:
    """Whether the answer is neither a 5xx nor a transient answer that persisted past calbot's
    retries; records a finding of the rule either breaks when it is one.

    For requests where any other answer is the server's to choose."""
    if ctx.failed_persisting(response, what, wanted="an answer"):
        return False
    if is_server_error(response.status_code):
        ctx.fail(
            f"{what}: the server answered {response.status_code}",
            expected="no 5xx (Recall answers invalid input with 400)",
            actual=f"{response.status_code} {response.text[:300]}",
            response=response,
            signature=f"{what}: status {response.status_code}",
            rule=SERVER_ERROR_RULE,
        )
        return False
    return True
