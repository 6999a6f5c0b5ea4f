"""Mutants of parallel calls, workspaces and the budget's scope: what the concurrency, workspaces
and rate-limit contracts stand for.

The reference core serialises every request under a lock, so a race has to be built: a racy
server (`RacyApp` over a `RacyCore`) makes one read as a request comes in, spends
`RACE_WINDOW` seconds on "I/O" (yielding to the event loop, where other requests run), then acts
on what it read, which may be stale by then. One request at a time, the read is never stale and
the server is the reference server; calls sent in parallel break it. A test holds that each
race mutant passes every contract but the one it breaks (`tests/mutants/test_races.py`).

The workspace mutants scope the deduplication table or the bots to the whole world instead of a
workspace; the budget mutants count per event, or one budget for every workspace.

Imported by `catalogue` (which adds `RACES` to its `MUTANTS`): import `catalogue` first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from calbot.conformance import BUILTIN_BUDGET
from calbot.contracts.domain.limiter import SlidingWindow
from calbot.contracts.domain.model import Bot, BotEntry, Outcome, Workspace, World
from calbot.server import App, Handler, Hook, Request, Response, ServerConfig, ServerCore
from calbot.server.messages import throttled
from calbot.server.routes import Kind, resolve
from calbot.spec.throttles import RateLimit

from .catalogue import API_KEY, Mutant

SECOND_KEY = "calbot-mutant-second-key"
TWO_WORKSPACES: dict[str, Any] = {"api_key": API_KEY, "second_api_key": SECOND_KEY}
RACE_WINDOW = 0.05
"""Seconds between a racy server's read and its act: longer than the spread of calls sent at
once (a few milliseconds), so every parallel call reads before any acts."""

Around = Callable[[Callable[[], Response]], Response]
"""What a racy server does with the request, around the reference core's handling of it."""


@dataclass(frozen=True)
class Built(Mutant):
    """A mutant that neither a `Workspace` subclass nor a hook can make: `build` makes its app
    from the server config, and `fresh_hooks` gives hooks with state of their own per app."""

    build: Callable[[ServerConfig], App] | None = None
    fresh_hooks: Callable[[], tuple[Hook, ...]] | None = None

    def app(self) -> App:
        hooks = (self.hook,) if self.hook else ()
        hooks += self.fresh_hooks() if self.fresh_hooks else ()
        config = ServerConfig(api_keys=self.server_keys, rate_limit=self.server_budget, hooks=hooks)
        app = self.build(config) if self.build else App(ServerCore(config))
        if self.workspace is not None:
            app.core.world = World(
                clock=config.clock, new_id=config.new_id, workspace_class=self.workspace
            )
        return app


# --- races ----------------------------------------------------------------------------------


class RacyCore(ServerCore):
    """The reference core, with a read made before the I/O pause (`read`) acted on after it."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self.plans: dict[int, Around] = {}

    def plan(self, request: Request) -> Around | None:
        """Read what the request will act on, as it comes in (None: nothing to race)."""
        found = resolve(request.path)
        key = self.workspace_key(request)
        if found is None or found[0].kind is not Kind.EVENT_BOT or key is None:
            return None
        space = self.world.workspace(key)
        event = space.events.get(found[1])
        if event is None:
            return None
        return self.read(space, request.method, event.id, _json(request.body))

    def read(self, space: Workspace, method: str, event_id: str, body: Any) -> Around | None:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        around = self.plans.pop(id(request), None)
        if around is None:
            return super().handle(request)
        return around(lambda: super(RacyCore, self).handle(request))


class RacyApp(App):
    """Reads as a request comes in, spends `RACE_WINDOW` on I/O, then hands it to the core."""

    async def _request(self, scope: MutableMapping[str, Any], receive: Any) -> Request:
        request = await super()._request(scope, receive)
        core = self.core
        assert isinstance(core, RacyCore)
        around = core.plan(request)
        if around is not None:
            await asyncio.sleep(RACE_WINDOW)  # other requests run here
            core.plans[id(request)] = around  # the core takes it next, with no await between
        return request


def racy(core: type[RacyCore]) -> Callable[[ServerConfig], App]:
    def build(config: ServerConfig) -> App:
        return RacyApp(core(config))

    return build


class DedupReadEarly(RacyCore):
    """Looks the key up as the request comes in; a key it did not find gets a bot of its own,
    though a parallel call made one for the key meanwhile."""

    def read(self, space: Workspace, method: str, event_id: str, body: Any) -> Around | None:
        key = body.get("deduplication_key") if isinstance(body, dict) else None
        if method != "POST" or not isinstance(key, str) or space.dedup.get(key) in space.bots:
            return None

        def around(handle: Callable[[], Response]) -> Response:
            space.dedup.pop(key, None)  # "not found" as read: a new bot for this event
            return handle()

        return around


class EventBotsReadEarly(RacyCore):
    """Reads an event's bots as a schedule comes in and replaces only those: a bot a parallel
    schedule attached meanwhile stays beside the new one."""

    def read(self, space: Workspace, method: str, event_id: str, body: Any) -> Around | None:
        event = space.events[event_id]
        if method != "POST" or event.bots:
            return None

        def around(handle: Callable[[], Response]) -> Response:
            attached = list(event.bots)  # by parallel calls, after the read
            event.bots = []
            try:
                return handle()
            finally:
                event.bots = [entry for entry in attached if entry not in event.bots] + event.bots

        return around


class SharedBotReadEarly(RacyCore):
    """Decides as a call comes in: an unschedule deletes the bots only its event held then; a
    schedule joins the bot its key had then. Racing, one deletes the bot the other joins."""

    def read(self, space: Workspace, method: str, event_id: str, body: Any) -> Around | None:
        if method == "DELETE":
            alone = [
                entry.bot_id
                for entry in space.events[event_id].bots
                if entry.bot_id in space.bots and space.bots[entry.bot_id].events == [event_id]
            ]
            return _deleting(space, alone) if alone else None
        key = body.get("deduplication_key") if isinstance(body, dict) else None
        bot = space.bots.get(space.dedup.get(key, "")) if isinstance(key, str) else None
        if bot is None or event_id in bot.events:
            return None
        return _joining(space, event_id, bot)


def _deleting(space: Workspace, doomed: list[str]) -> Around:
    def around(handle: Callable[[], Response]) -> Response:
        response = handle()
        for bot_id in doomed:  # whoever joined it meanwhile
            bot = space.bots.pop(bot_id, None)
            if bot is not None and space.dedup.get(bot.deduplication_key) == bot_id:
                del space.dedup[bot.deduplication_key]
        return response

    return around


def _joining(space: Workspace, event_id: str, bot: Bot) -> Around:
    def around(handle: Callable[[], Response]) -> Response:
        response = handle()
        event = space.events.get(event_id)
        if response.status == 200 and bot.id not in space.bots and event is not None:
            for entry in event.bots:  # the bot made for the key, as the read said none was gone
                space.bots.pop(entry.bot_id, None)
                if space.dedup.get(entry.deduplication_key) == entry.bot_id:
                    del space.dedup[entry.deduplication_key]
            event.bots = [BotEntry(bot.id, bot.deduplication_key)]
        return response

    return around


# --- workspaces -----------------------------------------------------------------------------


class KeysSharedWorld(World):
    """One deduplication table, and so one set of bots, for every workspace."""

    def workspace(self, key: str = World.DEFAULT) -> Workspace:
        fresh = key not in self.workspaces
        space = super().workspace(key)
        if fresh:
            first = next(iter(self.workspaces.values()))
            space.dedup, space.bots = first.dedup, first.bots
        return space


class BotsReadableWorld(World):
    """Each workspace's bots, but a bot id not found in the caller's is looked up in all."""

    def workspace(self, key: str = World.DEFAULT) -> Workspace:
        space = super().workspace(key)
        if isinstance(space, BotsReadableAcross):
            space.world = self
        return space


class BotsReadableAcross(Workspace):
    world: World | None = None

    def get_bot(self, bot_id: str) -> Outcome:
        found = super().get_bot(bot_id)
        for other in self.world.workspaces.values() if self.world else ():
            if found.status == 404 and bot_id in other.bots:
                return Outcome(200, other.bot_json(other.bots[bot_id]))
        return found


def with_world(world: Callable[[ServerConfig], World]) -> Callable[[ServerConfig], App]:
    def build(config: ServerConfig) -> App:
        app = App(ServerCore(config))
        app.core.world = world(config)
        return app

    return build


# --- the budget's scope ---------------------------------------------------------------------


class PerEventBudget:
    """Counts POSTs per event (per path), not per workspace."""

    def __init__(self, budget: RateLimit) -> None:
        self.window = SlidingWindow(budget)

    def __call__(self, request: Request, following: Handler) -> Response:
        found = resolve(request.path)
        if request.method == "POST" and found and found[0].kind is Kind.EVENT_BOT:
            wait = self.window.admit((request.workspace, request.path), time.time())
            if wait is not None:
                return throttled(wait)
        return following(request)


class OneWindow(SlidingWindow):
    """One window for every workspace."""

    def admit(self, key: object, now: float) -> int | None:
        return super().admit("every workspace", now)


def one_budget_for_all(config: ServerConfig) -> App:
    app = App(ServerCore(config))
    app.core.limiters = {op: OneWindow(limit.budget) for op, limit in app.core.limiters.items()}
    return app


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


RACES: tuple[Mutant, ...] = (
    Built("dedup-races", "concurrency.serializable", build=racy(DedupReadEarly)),
    Built("two-bots-on-one-event", "concurrency.serializable", build=racy(EventBotsReadEarly)),
    Built(
        "unschedule-races-a-joining-schedule",
        "concurrency.serializable",
        build=racy(SharedBotReadEarly),
    ),
    Built(
        "keys-shared-across-workspaces",
        "workspaces.isolated",
        build=with_world(lambda c: KeysSharedWorld(clock=c.clock, new_id=c.new_id)),
        server_keys=(API_KEY, SECOND_KEY),
        run_options=TWO_WORKSPACES,
    ),
    Built(
        "bots-readable-across-workspaces",
        "workspaces.isolated",
        build=with_world(
            lambda c: BotsReadableWorld(
                clock=c.clock, new_id=c.new_id, workspace_class=BotsReadableAcross
            )
        ),
        server_keys=(API_KEY, SECOND_KEY),
        run_options=TWO_WORKSPACES,
    ),
    Built(
        "budget-per-event",
        "rate-limit.throttle",
        server_budget=RateLimit(10**9, 1.0),
        fresh_hooks=lambda: (PerEventBudget(BUILTIN_BUDGET),),
    ),
    Built(
        "budget-shared-across-workspaces",
        "rate-limit.budget",
        build=one_budget_for_all,
        server_keys=(API_KEY, SECOND_KEY),
        run_options=TWO_WORKSPACES,
    ),
)
"""Each fails the default run naming its rule (`test_mutants.py`); each race mutant passes
every other contract (`test_races.py`)."""
