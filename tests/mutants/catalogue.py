"""Deliberately broken reference servers: each breaks one documented rule.

A mutant is the real reference server with either its domain model overridden (a `Workspace`
subclass) or its answers rewritten by a hook at the server's choke point, plus what calbot is
told about it (for example the budget it should have). calbot must fail every one of them,
naming the rule that is broken, and pass the real server.

A mutant that breaks only an inferred (SHOULD) rule is deliberately *not a failure*: calbot must
name its rule as a warning and still call the server conformant (exit 0), and fail it only
under `--strict`. Those mutants have `level=Level.SHOULD`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from calbot.conformance import BUILTIN_BUDGET
from calbot.contracts.domain.model import (
    ENDED_MESSAGE,
    Bot,
    BotEntry,
    Event,
    Json,
    Outcome,
    Workspace,
    World,
    envelope,
)
from calbot.contracts.results import Level
from calbot.server import App, Handler, Request, Response, ServerConfig, create_app
from calbot.spec.meeting_urls import parse_meeting_url
from calbot.spec.throttles import RateLimit
from tests.drf import drf_body

API_KEY = "calbot-mutant-key"


@dataclass(frozen=True)
class Mutant:
    """One broken server: its name, the rule it breaks, and how to build it."""

    name: str
    rule: str
    workspace: type[Workspace] | None = None
    hook: Callable[[Request, Handler], Response] | None = None
    server_budget: RateLimit = BUILTIN_BUDGET
    server_keys: tuple[str, ...] = ()
    run_options: dict[str, Any] = field(default_factory=dict)
    level: Level = Level.MUST  # SHOULD: breaks an inferred rule, a warning and not a failure

    def app(self) -> App:
        hooks = (self.hook,) if self.hook else ()
        config = ServerConfig(api_keys=self.server_keys, rate_limit=self.server_budget, hooks=hooks)
        app = create_app(config)
        if self.workspace is not None:
            app.core.world = World(
                clock=config.clock, new_id=config.new_id, workspace_class=self.workspace
            )
        return app


from .edges import EDGES  # noqa: E402  (edges.py and races.py build on Mutant: after it)
from .races import RACES  # noqa: E402

# --- broken domain models ------------------------------------------------------------------


class DedupIgnored(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        mine = (
            event.bots[0].bot_id if event.bots and event.bots[0].deduplication_key == key else None
        )
        if mine:
            self.dedup[key] = mine
        else:
            self.dedup.pop(key, None)  # forget the other events' bot: every event gets its own
        super()._schedule(event, key, config, url, join_at)


class OverrideMerges(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        old: Json = {}
        if event.bots and event.bots[0].deduplication_key == key:
            old = dict(self.bots[event.bots[0].bot_id].config)
        merged = {**old, **config}
        merged["metadata"] = {**(old.get("metadata") or {}), **(config.get("metadata") or {})}
        super()._schedule(event, key, merged, url, join_at)


class OverrideAddsBot(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        again = bool(event.bots) and event.bots[0].deduplication_key == key
        super()._schedule(event, key, config, url, join_at)
        if again:
            extra = Bot(self.new_id(), dict(config), url, join_at, f"{key}#2", [event.id])
            self.bots[extra.id] = extra
            event.bots.append(BotEntry(extra.id, key))


class EndedAccepted(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        real = self.clock
        self.clock = lambda: datetime(2000, 1, 1, tzinfo=UTC)
        try:
            return super().schedule(event_id, body)
        finally:
            self.clock = real


class BotUrlAsString(Workspace):
    def bot_json(self, bot: Bot) -> Json:
        return {**super().bot_json(bot), "meeting_url": bot.meeting_url}


class DeletedAsString(Workspace):
    def event_json(self, event: Event) -> Json:
        return {**super().event_json(event), "is_deleted": str(event.is_deleted).lower()}


class MissingKeyAccepted(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        if isinstance(body, dict) and "deduplication_key" not in body:
            body = {**body, "deduplication_key": f"missing-{event_id}"}
        return super().schedule(event_id, body)


class LongKeyAccepted(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        if isinstance(body, dict) and isinstance(body.get("deduplication_key"), str):
            body = {**body, "deduplication_key": body["deduplication_key"][:2000]}
        return super().schedule(event_id, body)


class NonStringMetadataAccepted(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        config = body.get("bot_config") if isinstance(body, dict) else None
        if isinstance(config, dict) and isinstance(config.get("metadata"), dict):
            metadata = {k: v if v is None else str(v) for k, v in config["metadata"].items()}
            body = {**body, "bot_config": {**config, "metadata": metadata}}  # type: ignore[dict-item]
        return super().schedule(event_id, body)


class DeleteTakesSharedBot(Workspace):
    def _detach(self, event: Event) -> None:
        for entry in event.bots:
            bot = self.bots.pop(entry.bot_id, None)
            if bot is not None and self.dedup.get(bot.deduplication_key) == bot.id:
                del self.dedup[bot.deduplication_key]
        event.bots = []


class DeleteNotIdempotent(Workspace):
    def unschedule(self, event_id: str) -> Outcome:
        event = self.events.get(event_id)
        if event is not None and not event.bots:
            return Outcome(404, {"detail": "Not found."})
        return super().unschedule(event_id)


class JoinAtIgnored(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        super()._schedule(event, key, config, url, event.start_time)


class ConfigMeetingUrlIgnored(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        super()._schedule(event, key, config, event.meeting_url or url, join_at)


class JoinAtNotFromEvent(Workspace):
    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: datetime) -> None:
        if "join_at" not in config:
            join_at = event.start_time - timedelta(minutes=10)
        super()._schedule(event, key, config, url, join_at)


# --- broken answers (hooks) -----------------------------------------------------------------


def _rewrite(
    change: Callable[[Request, Response], Response | None],
) -> Callable[[Request, Handler], Response]:
    def hook(request: Request, following: Handler) -> Response:
        response = following(request)
        return change(request, response) or response

    return hook


def _ended_wrong_body(request: Request, response: Response) -> Response | None:
    errors = response.body.get("errors") if response.status == 400 else None
    if isinstance(errors, dict) and errors.get("non_field_errors") == [ENDED_MESSAGE]:
        return Response(400, envelope({"non_field_errors": ["The calendar event is over."]}))
    return None


def _no_retry_after(request: Request, response: Response) -> Response | None:
    if response.status != 429:
        return None
    kept = tuple((k, v) for k, v in response.headers if k.lower() != "retry-after")
    return Response(429, response.body, kept)


def _url_object_on_event(request: Request, response: Response) -> Response | None:
    body = response.body
    if response.status != 200 or "bots" not in body or not body.get("meeting_url"):
        return None
    return Response(200, {**body, "meeting_url": parse_meeting_url(body["meeting_url"])})


def _bots_missing_fields(request: Request, response: Response) -> Response | None:
    body = response.body
    if response.status != 200 or not body.get("bots"):
        return None
    bots = [
        {"bot_id": bot["bot_id"], "deduplication_key": bot["deduplication_key"]}
        for bot in body["bots"]
    ]
    return Response(200, {**body, "bots": bots})


def _has_non_ascii(value: object) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, dict):
        return any(_has_non_ascii(k) or _has_non_ascii(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_ascii(item) for item in value)
    return False


def _server_error_on_unicode(request: Request, following: Handler) -> Response:
    """A 500 for a valid schedule whose JSON carries any non-ASCII text."""
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        return following(request)
    response = following(request)
    if request.method == "POST" and response.status == 200 and _has_non_ascii(body):
        return Response(500, {"detail": "Internal Server Error"})
    return response


def _unknown_event_400(request: Request, response: Response) -> Response | None:
    if response.status == 404 and request.path.startswith("/api/v2/calendar-events/"):
        return Response(400, envelope({"id": ["Invalid calendar event."]}))
    return None


MUTANTS: tuple[Mutant, ...] = (
    Mutant("dedup-ignored", "dedup.shared-bot", workspace=DedupIgnored),
    Mutant("override-merges", "override.replace", workspace=OverrideMerges),
    Mutant("override-adds-a-second-bot", "override.replace", workspace=OverrideAddsBot),
    Mutant("ended-event-accepted", "ended.refused", workspace=EndedAccepted),
    Mutant("ended-event-wrong-body", "ended.refused", hook=_rewrite(_ended_wrong_body)),
    Mutant("no-429", "rate-limit.throttle", server_budget=RateLimit(10**9, 1.0)),
    Mutant("429-without-retry-after", "rate-limit.throttle", hook=_rewrite(_no_retry_after)),
    Mutant("throttles-too-early", "rate-limit.budget", server_budget=RateLimit(80, 1.0)),
    Mutant(
        "meeting-url-object-on-event",
        "meeting_url.event-string",
        hook=_rewrite(_url_object_on_event),
    ),
    Mutant("meeting-url-string-on-bot", "meeting_url.bot-object", workspace=BotUrlAsString),
    Mutant("field-of-wrong-type", "schema.responses", workspace=DeletedAsString),
    Mutant("5xx-on-valid-input", "robustness.no-5xx", hook=_server_error_on_unicode),
    Mutant("missing-key-accepted", "schema.invalid-requests", workspace=MissingKeyAccepted),
    Mutant("over-long-key-accepted", "schema.invalid-requests", workspace=LongKeyAccepted),
    Mutant(
        "non-string-metadata-accepted",
        "schema.invalid-requests",
        workspace=NonStringMetadataAccepted,
    ),
    Mutant("delete-removes-a-shared-bot", "delete.unschedule", workspace=DeleteTakesSharedBot),
    Mutant("delete-not-idempotent", "delete.unschedule", workspace=DeleteNotIdempotent),
    # Recall's docs disagree on whether bot_config.join_at overrides the event's start time.
    Mutant(
        "join_at-ignored",
        "defaults.join-at-override",
        workspace=JoinAtIgnored,
        level=Level.SHOULD,
    ),
    Mutant("join_at-not-from-the-event", "defaults.from-event", workspace=JoinAtNotFromEvent),
    Mutant(
        "bot_config-meeting_url-ignored", "defaults.from-event", workspace=ConfigMeetingUrlIgnored
    ),
    Mutant("bots-items-missing-fields", "schema.responses", hook=_rewrite(_bots_missing_fields)),
    # 404 for an unknown id is HTTP's and DRF's answer; Recall does not document it.
    Mutant(
        "unknown-event-400",
        "errors.not-found",
        hook=_rewrite(_unknown_event_400),
        level=Level.SHOULD,
    ),
    Mutant("no-authentication", "errors.auth", run_options={"api_key": API_KEY}),
    *EDGES,
    *RACES,
)


# --- not failures: servers that use the latitude Recall's docs leave -------------------------


class DrfLenient(Workspace):
    """Reads the body as DRF does (`tests/drf.py`, the correct family's reading too): numbers
    for strings, trimmed keys, null as "not given"; and any string as a meeting_url (an
    unknown link gets a null object on the Bot)."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        body = drf_body(body)
        if isinstance(body, dict) and isinstance(body.get("bot_config"), dict):
            body = {**body, "bot_config": _unknown_link_dropped(body["bot_config"])}
        return super().schedule(event_id, body)

    def bot_json(self, bot: Bot) -> Json:
        answer = super().bot_json(bot)
        if parse_meeting_url(bot.meeting_url) is None:
            answer["meeting_url"] = None
        return answer


def _unknown_link_dropped(config: Json) -> Json:
    url = config.get("meeting_url")
    if isinstance(url, str) and parse_meeting_url(url) is None:
        # kept out of the model's link check; the event's link joins
        return {name: value for name, value in config.items() if name != "meeting_url"}
    return config


LENIENT: tuple[Mutant, ...] = (Mutant("drf-lenient", "", workspace=DrfLenient),)
"""Servers that differ from the reference server only where Recall's docs leave latitude: the
default run must call them conformant (the full family is in tests/correct/)."""
