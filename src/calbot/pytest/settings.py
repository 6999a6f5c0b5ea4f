"""The --calbot-* options, read and checked once per pytest process."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calbot.conformance import Conformance, Setting, new_seed
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

API_KEY_ENV = "CALBOT_API_KEY"
SECOND_API_KEY_ENV = "CALBOT_SECOND_API_KEY"
FLAGS: dict[Setting, str] = {
    Setting.API_KEY: "--calbot-api-key",
    Setting.STATE_URL: "--calbot-state-url",
    Setting.EVENTS: "--calbot-event",
    Setting.RATE_LIMIT: "--calbot-rate-limit",
    Setting.RATE_LIMIT_CONTRACT: "--calbot-no-rate-limit",
    Setting.MAX_WAIT: "--calbot-max-wait",
}
"""How the plugin names the settings the engine's texts point the user to (its options)."""


def flag(setting: Setting) -> str:
    """`setting` as the plugin's option (the run's `Spelling`)."""
    return FLAGS[setting]


@dataclass(frozen=True)
class Settings:
    """The --calbot-* options, checked."""

    conformance: Conformance
    report_dir: Path | None
    heartbeat: float  # seconds between two heartbeat lines (no terminal)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.conformance.secrets


def read_settings(config: pytest.Config) -> Settings:
    """The options as calbot's types; `pytest.UsageError` for a bad value."""
    rate_limit = _rate_limit(config.getoption("calbot_rate_limit"))
    contracts = _contracts(config.getoption("calbot_contracts"))
    numbers = {
        "--calbot-max-wait": (config.getoption("calbot_max_wait"), 0.0),
        "--calbot-timeout": (config.getoption("calbot_timeout"), 0.1),
        "--calbot-max-examples": (config.getoption("calbot_max_examples"), 1),
        "--calbot-heartbeat": (config.getoption("calbot_heartbeat"), 0.1),
    }
    for flag, (value, least) in numbers.items():
        if value < least:
            raise pytest.UsageError(f"{flag}: must be at least {least}, got {value}")
    worker: dict[str, Any] = getattr(config, "workerinput", {})
    seed = config.getoption("calbot_seed")
    if seed is None:  # every xdist worker runs with the controller's
        seed = worker.get("calbot_seed")
    if seed is None:
        seed = new_seed()
    report_dir = config.getoption("calbot_report_dir")
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
        strict=bool(config.getoption("calbot_strict")),
        require_state=bool(config.getoption("calbot_require_state")),
        min_coverage=_min_coverage(config.getoption("calbot_min_coverage")),
    )
    return Settings(
        conformance,
        Path(report_dir) if report_dir else None,
        heartbeat=config.getoption("calbot_heartbeat"),
    )


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
    from calbot.conformance import select_checks

    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if not names:
        return None
    try:
        select_checks(names)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-contracts: {exc}") from None
    return names


def _events(values: Sequence[str]) -> dict[str, list[str]]:
    from calbot.conformance import parse_events

    try:
        return parse_events(values)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-event {exc}") from None
