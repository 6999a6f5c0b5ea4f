"""Workspaces: deduplication keys and bots belong to one workspace.

Recall scopes deduplication keys to the workspace: two customers using the same key each get a
bot (https://docs.recall.ai/docs/scheduling-guide); API keys are workspace scoped
(https://docs.recall.ai/reference/authentication). These checks need a second workspace's API
key (`second_api_key`) and are skipped without one.

A bot read with the other workspace's key must not be given: 404 (DRF's answer for an object
outside the caller's queryset) or 403 are isolation; any 2xx is a leak. A 401 says the key was
refused, which proves nothing either way (the run's preflight has already seen the key
accepted, so the server is answering something else than isolation), and neither does another
4xx: the check then says so and is skipped rather than passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from calbot.contracts.engine.registry import Context, Skip, check
from calbot.contracts.engine.steps import bot_ids, only_bot_id, read_event

ISOLATED = (403, 404)
SAME_WORKSPACE_HINT = (
    "if both API keys belong to one workspace, this is expected: give another workspace's key"
)


def _schedule(
    ctx: Context, event_id: str, key: str, name: str, *, api_key: str | None, what: str
) -> dict[str, Any] | None:
    body = {"deduplication_key": key, "bot_config": {"bot_name": name}}
    if api_key is None:
        response = ctx.schedule(event_id, body)
    else:
        response = ctx.schedule(event_id, body, api_key=api_key)
    if not ctx.expect_status(response, 200, what):
        return None
    return ctx.json_object(response, what)


@dataclass(frozen=True, slots=True)
class Pair:
    """One key scheduled in each workspace: A's (the run's key) and B's (the second key)."""

    other_key: str
    event_a: str
    bot_a: str
    bot_b: str


def _scheduled_pair(ctx: Context, label: str) -> Pair | None:
    other = ctx.second_key()
    mine, theirs = ctx.event(), ctx.event(api_key=other)
    key = ctx.key(label)
    a = _schedule(
        ctx, mine["id"], key, "calbot workspace A", api_key=None, what="schedule in workspace A"
    )
    b = _schedule(
        ctx, theirs["id"], key, "calbot workspace B", api_key=other, what="schedule in workspace B"
    )
    if a is None or b is None:
        return None
    bot_a = only_bot_id(ctx, a, "workspace A's event")
    bot_b = only_bot_id(ctx, b, "workspace B's event")
    if bot_a is None or bot_b is None:
        return None
    return Pair(other, mine["id"], bot_a, bot_b)


@check(
    "workspaces",
    "one-key-in-two-workspaces",
    rule="workspaces.isolated",
    covers=("workspaces.key-scope",),
)
def key_scope(ctx: Context) -> None:
    """One deduplication key scheduled in two workspaces gives two bots; each event keeps its
    own."""
    pair = _scheduled_pair(ctx, "both-workspaces")
    if pair is None:
        return
    bot_a, bot_b = pair.bot_a, pair.bot_b
    if bot_a == bot_b:
        ctx.fail(
            "one deduplication key scheduled in two workspaces gave one bot to both "
            f"({SAME_WORKSPACE_HINT})",
            expected="a bot of each workspace's own",
            actual={"workspace A": bot_a, "workspace B": bot_b},
            signature="one bot across workspaces",
        )
        return
    again = read_event(ctx, pair.event_a, "read workspace A's event after workspace B scheduled")
    if again is not None and bot_ids(again) != [bot_a]:
        ctx.fail(
            "workspace A's event lost its bot when workspace B scheduled the same key",
            expected={"bots[].bot_id": [bot_a]},
            actual={"bots[].bot_id": bot_ids(again)},
            signature="bot taken across workspaces",
        )


@check(
    "workspaces",
    "bots-not-readable-across",
    rule="workspaces.isolated",
    covers=("workspaces.bot-isolation",),
)
def bot_isolation(ctx: Context) -> None:
    """A bot cannot be read with the other workspace's key (404 or 403), either way round."""
    pair = _scheduled_pair(ctx, "isolation")
    if pair is None:
        return
    other, bot_a, bot_b = pair.other_key, pair.bot_a, pair.bot_b
    own = ctx.get_bot(bot_b, api_key=other)
    if not ctx.expect_status(own, 200, "workspace B reads its own bot"):
        return
    if bot_a == bot_b:
        raise Skip(
            "the two workspaces got one bot for one key (see one-key-in-two-workspaces), so "
            "there is no other workspace's bot to try"
        )
    inconclusive = [
        reason
        for reason in (
            _judge(ctx, ctx.get_bot(bot_a, api_key=other), "workspace B reads workspace A's bot"),
            _judge(ctx, ctx.get_bot(bot_b), "workspace A reads workspace B's bot"),
        )
        if reason
    ]
    if inconclusive and not ctx.findings:
        raise Skip("; ".join(inconclusive))


def _judge(ctx: Context, response: httpx.Response, what: str) -> str | None:
    """A finding for a leak; None for isolation; why the answer proves neither."""
    status = response.status_code
    if status in ISOLATED:
        return None
    if 200 <= status < 300:
        ctx.fail(
            f"{what}: the bot was given to another workspace's key ({SAME_WORKSPACE_HINT})",
            expected="404 or 403",
            actual=status,
            response=response,
            signature=f"{what}: {status}",
        )
        return None
    if status >= 500:
        ctx.expect_status(response, 404, what)  # a 5xx is a finding of its own (no-5xx)
        return None
    if status == 401:
        return (
            f"{what}: 401, the key refused for this bot; a refusal of the key is not evidence "
            "that the bot is isolated, nor that it is not (expected 404 or 403)"
        )
    return f"{what}: {status}, which says neither that the bot is isolated nor that it leaked"
