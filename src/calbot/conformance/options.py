"""What to test and how: the options every front end (Python, the CLI, the pytest plugin) fills
in, with the run's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from calbot.contracts.engine.defaults import MAX_EXAMPLES, MAX_WAIT, TIMEOUT

if TYPE_CHECKING:
    from calbot.contracts.engine.state_setup import StateCallable
    from calbot.spec.throttles import RateLimit


@dataclass
class Conformance:
    """What to test and how. Give `url` (real HTTP), `app` (ASGI, in-process), or neither (the
    built-in reference server, in-process). A `seed` of None gets a new one when the run opens."""

    url: str | None = None
    app: Any = None
    api_key: str | None = None
    second_api_key: str | None = None  # another workspace's API key (the workspace checks)
    state_url: str | None = None
    state_callable: StateCallable | None = None
    events: Mapping[str, list[str]] = field(default_factory=dict)
    rate_limit: RateLimit | None = None
    rate_limit_contract: bool = True
    max_wait: float = MAX_WAIT
    timeout: float = TIMEOUT
    contracts: list[str] | None = None
    max_examples: int = MAX_EXAMPLES
    seed: int | None = None
    strict: bool = False
    require_state: bool = False
    allow_skips: bool = False
    min_coverage: float | None = None  # percent of the behaviours the run must exercise
    label: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The API keys given, masked in everything the run shows."""
        return tuple(key for key in (self.api_key, self.second_api_key) if key)
