"""The family of correct servers: calbot must pass every one of them, at every seed.

Each variant is calbot's reference server with a different reading in a place Recall's docs
leave open (a `Workspace` subclass for the domain, hooks for the answers), mirroring how
`tests/mutants/catalogue.py` builds the broken ones. Where a variant departs from the reference,
its docstring says what the docs leave open.
"""

from __future__ import annotations

from dataclasses import dataclass

from calbot.conformance import BUILTIN_BUDGET
from calbot.contracts.domain.model import Workspace, World
from calbot.server import App, Hook, ServerConfig, create_app
from calbot.spec.throttles import RateLimit

from . import answers, workspaces
from .transient import AdHocPool, BusyKeys, Fresh, LoadShedding, bind_all

KEYS = ("calbot-family-key-one", "calbot-family-key-two")
"""Every correct server has two workspaces, so the key and workspace checks judge it too."""


@dataclass(frozen=True)
class Variant:
    """One correct server: its name, the latitude it takes, and how to build it.

    A hook that keeps counters is given as `Fresh(make)`: each server built gets its own, so
    every run starts from the same state."""

    name: str
    latitude: str
    workspace: type[Workspace] | None = None
    hooks: tuple[Hook | Fresh, ...] = ()
    budget: RateLimit = BUILTIN_BUDGET

    @property
    def run_options(self) -> dict[str, str]:
        """What a run against it is told: its two workspaces' keys."""
        return {"api_key": KEYS[0], "second_api_key": KEYS[1]}

    def app(self) -> App:
        hooks = tuple(hook.make() if isinstance(hook, Fresh) else hook for hook in self.hooks)
        config = ServerConfig(api_keys=KEYS, rate_limit=self.budget, hooks=hooks)
        app = create_app(config)
        if self.workspace is not None:
            app.core.world = World(
                clock=config.clock, new_id=config.new_id, workspace_class=self.workspace
            )
        bind_all(hooks, app.core)
        return app


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "drf-lenient",
        "numbers coerced to strings and whitespace trimmed in string fields (the key too), "
        "null optional fields read as not given, any string as bot_config.meeting_url",
        workspace=workspaces.DrfLenient,
    ),
    Variant(
        "null-object-for-unknown-links",
        "the Bot's meeting_url is null for link forms outside Recall's published patterns",
        workspace=workspaces.NullObjectForUnknownLinks,
    ),
    Variant(
        "unknown-links-refused",
        "bot_config.meeting_url outside Recall's published patterns is refused with a 400",
        workspace=workspaces.UnknownLinksRefused,
    ),
    Variant(
        "reworded-400s",
        "undocumented 400s keep the envelope but with other messages and dotted error keys",
        hooks=(answers.reworded_400s,),
    ),
    Variant(
        "extra-fields",
        "extra fields on the CalendarEvent, bots[] items, the Bot and its meeting_url object",
        hooks=(answers.extra_fields,),
    ),
    Variant(
        "retry-after-http-date",
        "Retry-After as an HTTP-date, and another 429 body",
        hooks=(answers.retry_after_http_date,),
    ),
    Variant(
        "retry-after-larger",
        "Retry-After a second longer than needed",
        hooks=(answers.retry_after_larger,),
    ),
    Variant(
        "state-setup-refuses-unsyncable-links",
        "provider-state setup answers 400 unsupported for links calendar sync never gives",
        hooks=(answers.refuses_unsyncable_events,),
    ),
    Variant(
        "slow-first-schedule",
        "the first schedule of each event is taken in (and counted against the budget) late",
        hooks=(Fresh(answers.SlowFirstSchedule),),
    ),
    Variant(
        "all-at-once",
        "every liberty above that composes, in one server",
        workspace=workspaces.LenientNullObjects,
        hooks=(
            answers.reworded_400s,
            answers.extra_fields,
            answers.retry_after_http_date,
            answers.refuses_unsyncable_events,
        ),
    ),
    Variant(
        "ad-hoc-507",
        "507 (the ad-hoc pool is empty; Retry-After in seconds, as an HTTP-date, or none) 1-3 "
        "times for a bot joining within 10 minutes before it is admitted, and once for the "
        "first schedule of one other event in 8",
        hooks=(Fresh(lambda: AdHocPool(every=8)),),
    ),
    Variant(
        "busy-keys-409",
        "409 (no Retry-After) for a schedule or unschedule touching a key or event the "
        "previous write touched, once for one such key or event in 8: a call still in flight",
        hooks=(Fresh(BusyKeys),),
    ),
    Variant(
        "busy-keys-409-counted",
        "busy-keys-409 behind the throttle: every 409 counts against the budget, as Django "
        "REST Framework counts every request that reaches a view; every key or event that "
        "meets a write in flight gets one",
        hooks=(Fresh(lambda: BusyKeys(every=1, first=1, counted=True)),),
    ),
    Variant(
        "load-shedding",
        "502, 503 or 504 for one request in 50 of any kind (Retry-After 0 s, an HTTP-date, or "
        "none), never twice in a row, in front of the API (not counted against the budget)",
        hooks=(Fresh(LoadShedding),),
    ),
    Variant(
        "all-transient",
        "the three transient variants above at once (each a little sparser), with the "
        "liberties of all-at-once",
        workspace=workspaces.LenientNullObjects,
        hooks=(
            Fresh(lambda: LoadShedding(every=70)),
            answers.reworded_400s,
            answers.extra_fields,
            answers.retry_after_http_date,
            answers.refuses_unsyncable_events,
            Fresh(lambda: BusyKeys(every=12)),
            Fresh(lambda: AdHocPool(every=12)),
        ),
    ),
)


@dataclass(frozen=True)
class Pending:
    """A correct server calbot still fails: a known false alarm, and the fix it waits for."""

    variant: Variant
    fails: str  # the check it fails
    waits_for: str


PENDING: tuple[Pending, ...] = ()
"""None now: busy-keys-409-counted waited for the rate-limit burst to count the requests it sent
(its retries of transient answers too), not its calls, and is in VARIANTS since."""

VARIANTS_BY_NAME = {variant.name: variant for variant in VARIANTS}
PENDING_BY_NAME = {pending.variant.name: pending for pending in PENDING}
