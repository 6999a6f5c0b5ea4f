"""Run calbot's contracts from Python: the one path the CLI, the pytest plugin and tests share.

    from calbot.conformance import Conformance, run_conformance

    result = run_conformance(Conformance(url="http://127.0.0.1:8080",
                                         state_url="/_calbot/states"))
    assert result.exit_code == 0, [f.message for f in result.findings()]

With neither `url` nor `app`, the built-in reference server is tested in-process.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.registry import RunOptions
from calbot.contracts.engine.runner import Progress, run
from calbot.contracts.engine.state_setup import (
    CallableStates,
    GivenEvents,
    NoStates,
    ProviderStates,
    StateCallable,
    StateSetup,
)
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.results import RunResult
from calbot.spec.states import STATES_PATH
from calbot.spec.throttles import RateLimit

# The built-in server runs with a short window, so that the rate-limit contract (burst, then
# wait for Retry-After) takes seconds, not the documented minute; `calbot serve` keeps the
# documented 600/60s. The run tells its contracts the same budget.
BUILTIN_BUDGET = RateLimit(100, 1.0)
BUILTIN_LABEL = "built-in reference server (in-process)"
BUILTIN_DISPLAY_URL = "http://127.0.0.1:8080"


@dataclass
class Conformance:
    """What to test and how. Give `url` (real HTTP), `app` (ASGI, in-process), or neither."""

    url: str | None = None
    app: Any = None
    api_key: str | None = None
    second_api_key: str | None = None  # another workspace's API key (the workspace checks)
    state_url: str | None = None
    state_callable: StateCallable | None = None
    events: Mapping[str, list[str]] = field(default_factory=dict)
    rate_limit: RateLimit | None = None
    rate_limit_contract: bool = True
    max_wait: float = 60.0
    timeout: float = 10.0
    contracts: list[str] | None = None
    max_examples: int = 25
    seed: int | None = None
    strict: bool = False
    require_state: bool = False
    allow_skips: bool = False
    min_coverage: float | None = None  # percent of the behaviours the run must exercise
    label: str | None = None


def build(options: Conformance, activity: Activity | None = None) -> tuple[Target, StateSetup]:
    """The target and state setup the options describe (the built-in server when no target)."""
    builtin = options.url is None and options.app is None
    app = options.app
    budget = options.rate_limit
    api_key, second_api_key = options.api_key, options.second_api_key
    if builtin:
        from calbot.server import ServerConfig, create_app

        budget = budget or BUILTIN_BUDGET
        # Two workspaces, so that the key and workspace checks run against it too.
        api_key = api_key or f"calbot-builtin-{secrets.token_hex(8)}"
        second_api_key = second_api_key or f"calbot-builtin-{secrets.token_hex(8)}"
        app = create_app(ServerConfig(api_keys=(api_key, second_api_key), rate_limit=budget))
    target = Target(
        TargetConfig(
            base_url=options.url,
            app=app,
            api_key=api_key,
            second_api_key=second_api_key,
            rate_limit=budget,
            max_wait=options.max_wait,
            timeout=options.timeout,
            display_url=BUILTIN_DISPLAY_URL if builtin else None,
            label=options.label or (f"{BUILTIN_LABEL}, budget {budget}" if builtin else None),
        ),
        activity,
    )
    return target, _states(target, options, builtin)


def _states(target: Target, options: Conformance, builtin: bool) -> StateSetup:
    if options.state_callable is not None:
        return CallableStates(options.state_callable)
    if options.state_url or builtin:
        return ProviderStates(target, options.state_url or STATES_PATH)
    if options.events:
        return GivenEvents(target, options.events)
    return NoStates()


def run_conformance(
    options: Conformance, *, progress: Progress | None = None, activity: Activity | None = None
) -> RunResult:
    """Run the contracts.

    Raises `CouldNotRun` (its `.result` is the run so far, marked incomplete) when the target
    cannot be reached, refuses the key, is not this API or state setup fails, and
    `RunInterrupted` (also with `.result`) on Ctrl-C. `activity` follows the run as it goes
    (for a progress display) and can stop it."""
    target, states = build(options, activity)
    run_options = RunOptions(
        max_examples=options.max_examples,
        seed=options.seed if options.seed is not None else random.randrange(2**31),
        rate_limit_contract=options.rate_limit_contract,
        strict=options.strict,
        require_state=options.require_state,
        allow_skips=options.allow_skips,
        min_coverage=options.min_coverage,
    )
    try:
        return run(target, states, run_options, contracts=options.contracts, progress=progress)
    finally:
        target.close()
