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


@dataclass(frozen=True)
class Variant:
    """One correct server: its name, the latitude it takes, and how to build it."""

    name: str
    latitude: str
    workspace: type[Workspace] | None = None
    hooks: tuple[Hook, ...] = ()
    budget: RateLimit = BUILTIN_BUDGET

    def app(self) -> App:
        config = ServerConfig(rate_limit=self.budget, hooks=self.hooks)
        app = create_app(config)
        if self.workspace is not None:
            app.core.world = World(
                clock=config.clock, new_id=config.new_id, workspace_class=self.workspace
            )
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
        hooks=(answers.SlowFirstSchedule(),),
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
)

VARIANTS_BY_NAME = {variant.name: variant for variant in VARIANTS}
