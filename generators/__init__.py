"""Hypothesis strategies: meeting URLs, deduplication keys, bot configs, events, requests.

Built on `calbot.spec` only. Each strategy shrinks to short, readable examples; adversarial
cases are explicit alternatives. Invalid-value strategies draw ``(value, reason)`` pairs, where
the reason says in a few words what is wrong (e.g. ``"deduplication_key is an empty string"``).

- `meeting_urls` / `meeting_url_strings`: meeting links per platform, with the ``meeting_url``
  object each must parse to (`calbot.spec.meeting_urls.parse_meeting_url`).
- `dedup_keys`, `recipe_dedup_keys`, `adversarial_dedup_keys`, `edge_dedup_keys`,
  `invalid_dedup_keys`, `DEDUP_RECIPES`: deduplication keys.
- `bot_configs`, `invalid_bot_configs`: ``bot_config`` objects.
- `event_params`, `EVENT_KINDS`: provider-state ``params`` for calendar events.
- `schedule_requests`, `invalid_schedule_requests`: whole request bodies.
"""

from calbot.generators.bot_configs import BOT_CONFIG_FIELDS, bot_configs, invalid_bot_configs
from calbot.generators.events import CALENDAR_PLATFORMS, EVENT_KINDS, event_params
from calbot.generators.keys import (
    DEDUP_RECIPES,
    MAX_DEDUP_KEY_LENGTH,
    adversarial_dedup_keys,
    dedup_keys,
    edge_dedup_keys,
    invalid_dedup_keys,
    recipe_dedup_keys,
)
from calbot.generators.meeting_urls import meeting_url_strings, meeting_urls
from calbot.generators.requests import invalid_schedule_requests, schedule_requests

__all__ = [
    "BOT_CONFIG_FIELDS",
    "CALENDAR_PLATFORMS",
    "DEDUP_RECIPES",
    "EVENT_KINDS",
    "MAX_DEDUP_KEY_LENGTH",
    "adversarial_dedup_keys",
    "bot_configs",
    "dedup_keys",
    "edge_dedup_keys",
    "event_params",
    "invalid_bot_configs",
    "invalid_dedup_keys",
    "invalid_schedule_requests",
    "meeting_url_strings",
    "meeting_urls",
    "recipe_dedup_keys",
    "schedule_requests",
]
