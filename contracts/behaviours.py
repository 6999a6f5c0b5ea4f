"""The behaviour catalogue: each documented behaviour, and each edge of it, a run can exercise.

A rule (`calbot.contracts.rules`) says what must hold; a behaviour names one situation in which
calbot puts it to the test: a typical value, or an edge (time, length, scope, concurrency,
workspaces). Checks declare the behaviours they exercise (`@check(..., covers=...)`) and count
the requests they spend on each; every report lists every behaviour, exercised or not and why
(`calbot.contracts.results.Coverage`). Coverage is a fact about a run, not a verdict, unless the
user asks for a minimum (`min_coverage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from calbot.contracts.rules import RULES_BY_ID


class Edge(StrEnum):
    """What kind of situation a behaviour is: the typical case or one of its edges."""

    TYPICAL = "typical"
    TIME = "time"
    LENGTH = "length"
    SCOPE = "scope"
    CONCURRENCY = "concurrency"
    WORKSPACES = "workspaces"
    INPUT = "input"


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One situation a rule is put to the test in."""

    id: str
    rule: str
    text: str
    edge: Edge = Edge.TYPICAL


def _b(id: str, rule: str, text: str, edge: Edge = Edge.TYPICAL) -> Behaviour:
    return Behaviour(id, rule, text, edge)


BEHAVIOURS: tuple[Behaviour, ...] = (
    _b("schema.bodies", "schema.responses", "200 bodies of the four operations match the fragment"),
    _b(
        "schema.invalid-bodies",
        "schema.invalid-requests",
        "bodies that break a documented constraint are refused",
        Edge.INPUT,
    ),
    _b(
        "schema.key-at-limit",
        "schema.invalid-requests",
        "a deduplication_key of 2000 characters is accepted and one of 2001 refused",
        Edge.LENGTH,
    ),
    _b(
        "schema.key-non-ascii-at-limit",
        "schema.invalid-requests",
        "lengths are counted in characters: 2000 non-ASCII characters are accepted, 2001 refused",
        Edge.LENGTH,
    ),
    _b(
        "schema.key-and-config-shapes",
        "schema.invalid-requests",
        "keys and bot configs of every documented shape are accepted: one character, inner "
        "whitespace, Recall's key recipes, empty and nested configs, null metadata values",
        Edge.INPUT,
    ),
    _b(
        "meeting_url.event-string",
        "meeting_url.event-string",
        "meeting_url is a string on events and bots[]",
    ),
    _b(
        "meeting_url.bot-object",
        "meeting_url.bot-object",
        "the Bot's meeting_url is the per-platform object, for each platform's published forms",
    ),
    _b(
        "defaults.from-event",
        "defaults.from-event",
        "with an empty bot_config the bot joins the event's link at its start time",
    ),
    _b(
        "defaults.config-link-wins",
        "defaults.from-event",
        "a meeting_url in bot_config wins over the event's",
    ),
    _b(
        "defaults.config-join-at-wins",
        "defaults.join-at-override",
        "a join_at in bot_config wins over the event's start time",
    ),
    _b(
        "schedule.starting-soon",
        "schedule.accepted",
        "an event starting within 10 minutes (an ad-hoc bot) can be scheduled",
        Edge.TIME,
    ),
    _b("dedup.across-events", "dedup.shared-bot", "one key on two events gives one bot"),
    _b("dedup.different-keys", "dedup.shared-bot", "different keys give different bots"),
    _b("dedup.key-echoed", "dedup.shared-bot", "bots[] carries the key sent"),
    _b("override.whole-config", "override.replace", "scheduling again replaces the whole config"),
    _b("override.one-bot", "override.replace", "scheduling again leaves one bot on the event"),
    _b("ended.long-ago", "ended.refused", "an event that ended a day ago is refused, verbatim"),
    _b(
        "ended.moment-ago",
        "ended.refused",
        "an event that ended a moment ago is refused",
        Edge.TIME,
    ),
    _b("ended.nothing-changes", "ended.refused", "a refused schedule leaves the event as it was"),
    _b(
        "ended.in-progress",
        "ended.in-progress",
        "an event in progress is not refused as ended",
        Edge.TIME,
    ),
    _b(
        "deleted.no-bot",
        "deleted.no-bot",
        "scheduling on a deleted event leaves it without a bot",
        Edge.TIME,
    ),
    _b("delete.removes", "delete.unschedule", "DELETE removes the event's bot"),
    _b("delete.idempotent", "delete.unschedule", "DELETE again answers the same"),
    _b(
        "delete.shared-bot-survives",
        "delete.unschedule",
        "DELETE keeps a bot another event shares",
        Edge.SCOPE,
    ),
    _b(
        "concurrency.same-key",
        "concurrency.serializable",
        "one key scheduled on several events in parallel gives one bot",
        Edge.CONCURRENCY,
    ),
    _b(
        "concurrency.one-event",
        "concurrency.serializable",
        "several keys scheduled on one event in parallel leave one bot on it",
        Edge.CONCURRENCY,
    ),
    _b(
        "concurrency.schedule-vs-unschedule",
        "concurrency.serializable",
        "a schedule racing an unschedule on events sharing a key ends in a serial state",
        Edge.CONCURRENCY,
    ),
    _b(
        "workspaces.key-scope",
        "workspaces.isolated",
        "one key in two workspaces gives two bots",
        Edge.WORKSPACES,
    ),
    _b(
        "workspaces.bot-isolation",
        "workspaces.isolated",
        "one workspace cannot read another's bot",
        Edge.WORKSPACES,
    ),
    _b("errors.auth", "errors.auth", "a missing or wrong API key answers 401"),
    _b("errors.unknown-ids", "errors.not-found", "unknown and malformed ids answer 404 / 4xx"),
    _b("errors.bodies", "errors.bodies", "401 and 404 bodies are {detail}"),
    _b(
        "robustness.hostile-bodies",
        "robustness.no-5xx",
        "malformed, huge, deep and mis-encoded bodies get no 5xx",
        Edge.INPUT,
    ),
    _b(
        "stateful.sequences",
        "stateful.model",
        "random sequences of schedule, re-schedule, unschedule and reads agree with the model",
    ),
    _b(
        "rate-limit.past-budget",
        "rate-limit.throttle",
        "a burst past the budget is answered 429 with a usable Retry-After",
    ),
    _b(
        "rate-limit.across-events",
        "rate-limit.throttle",
        "the budget counts the workspace's calls across events, not per event or path",
        Edge.SCOPE,
    ),
    _b(
        "rate-limit.not-before-budget",
        "rate-limit.budget",
        "no 429 before the budget is spent",
    ),
    _b(
        "rate-limit.per-workspace",
        "rate-limit.budget",
        "one workspace's spent budget does not throttle another workspace",
        Edge.WORKSPACES,
    ),
    _b(
        "rate-limit.recovery",
        "rate-limit.throttle",
        "after waiting Retry-After the call succeeds",
        Edge.TIME,
    ),
    _b("rate-limit.no-effect", "rate-limit.no-effect", "a throttled request changes nothing"),
)

BEHAVIOURS_BY_ID: dict[str, Behaviour] = {behaviour.id: behaviour for behaviour in BEHAVIOURS}

_unknown = sorted({b.rule for b in BEHAVIOURS} - set(RULES_BY_ID))
if _unknown:  # pragma: no cover - guarded by tests too
    raise ValueError(f"behaviours cite unknown rules: {', '.join(_unknown)}")

__all__ = ["BEHAVIOURS", "BEHAVIOURS_BY_ID", "Behaviour", "Edge"]
