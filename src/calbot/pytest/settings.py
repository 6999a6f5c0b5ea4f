"""The --calbot-* options, read and checked once per pytest process."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from calbot.conformance import Conformance
from calbot.contracts.engine.registry import RunOptions
from calbot.contracts.engine.runner import (
    all_checks,
    select,
)
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

if TYPE_CHECKING:
    pass


API_KEY_ENV = "CALBOT_API_KEY"
SECOND_API_KEY_ENV = "CALBOT_SECOND_API_KEY"


@dataclass(frozen=True)
class Settings:
    """The --calbot-* options, checked."""

    conformance: Conformance
    run_options: RunOptions
    report_dir: Path | None

    @property
    def secrets(self) -> tuple[str, ...]:
        keys = (self.conformance.api_key, self.conformance.second_api_key)
        return tuple(key for key in keys if key)


def read_settings(config: pytest.Config) -> Settings:
    """The options as calbot's types; `pytest.UsageError` for a bad value."""
    rate_limit = _rate_limit(config.getoption("calbot_rate_limit"))
    contracts = _contracts(config.getoption("calbot_contracts"))
    numbers = {
        "--calbot-max-wait": (config.getoption("calbot_max_wait"), 0.0),
        "--calbot-timeout": (config.getoption("calbot_timeout"), 0.1),
        "--calbot-max-examples": (config.getoption("calbot_max_examples"), 1),
    }
    for flag, (value, least) in numbers.items():
        if value < least:
            raise pytest.UsageError(f"{flag}: must be at least {least}, got {value}")
    worker: dict[str, Any] = getattr(config, "workerinput", {})
    seed = config.getoption("calbot_seed")
    if seed is None:
        seed = worker.get("calbot_seed", random.randrange(2**31))
    report_dir = config.getoption("calbot_report_dir")
    strict = bool(config.getoption("calbot_strict"))
    require_state = bool(config.getoption("calbot_require_state"))
    conformance = Conformance(
        url=config.getoption("calbot_url"),
        api_key=config.getoption("calbot_api_key") or os.environ.get(API_KEY_ENV) or None,
        second_api_key=config.getoption("calbot_second_api_key")
        or os.environ.get(SECOND_API_KEY_ENV)
        or None,
        state_url=config.getoption("calbot_state_url"),
        events=_events(config.getoption("calbot_events")),
        rate_limit=rate_limit,
        rate_limit_contract=not config.getoption("calbot_no_rate_limit"),
        max_wait=config.getoption("calbot_max_wait"),
        timeout=config.getoption("calbot_timeout"),
        contracts=contracts,
        max_examples=config.getoption("calbot_max_examples"),
        seed=seed,
        strict=strict,
        require_state=require_state,
        min_coverage=_min_coverage(config.getoption("calbot_min_coverage")),
    )
    run_options = RunOptions(
        max_examples=conformance.max_examples,
        seed=seed,
        rate_limit_contract=conformance.rate_limit_contract,
        strict=strict,
        require_state=require_state,
        min_coverage=conformance.min_coverage,
    )
    return Settings(conformance, run_options, Path(report_dir) if report_dir else None)


def _rate_limit(text: str | None) -> RateLimit | None:
    if text is None:
        return None
    try:
        return parse_rate_limit(text)
    except RateLimitSyntaxError as exc:
        raise pytest.UsageError(f"--calbot-rate-limit: {exc}") from None


def _min_coverage(text: str | None) -> float | None:
    if text is None:
        return None
    from calbot.reports.coverage import parse_min_coverage

    try:
        return parse_min_coverage(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-min-coverage: {exc}") from None


def _contracts(text: str | None) -> list[str] | None:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if not names:
        return None
    try:
        select(all_checks(), names)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-contracts: {exc}") from None
    return names


def _events(values: Sequence[str]) -> dict[str, list[str]]:
    from calbot.contracts.engine.events import parse_event_ids

    try:
        return parse_event_ids(values)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-event {exc}") from None
