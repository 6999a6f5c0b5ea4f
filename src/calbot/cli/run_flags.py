"""How `calbot run` names the settings the engine's texts point the user to (its options)."""

from __future__ import annotations

from calbot.conformance import Setting

FLAGS: dict[Setting, str] = {
    Setting.API_KEY: "--api-key",
    Setting.STATE_URL: "--state-url",
    Setting.EVENTS: "--event",
    Setting.RATE_LIMIT: "--rate-limit",
    Setting.RATE_LIMIT_CONTRACT: "--no-rate-limit",
    Setting.MAX_WAIT: "--max-wait",
}


def flag(setting: Setting) -> str:
    """`setting` as `calbot run`'s option (the run's `Spelling`)."""
    return FLAGS[setting]
