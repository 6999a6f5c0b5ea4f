"""The run's settings a reason may point the user to, and how each front end spells them.

The engine states facts ("none was given", "more than the longest wait allowed") and names the
setting that changes them as a `Setting`; the front end that started the run spells it: the CLI
as its option, the pytest plugin as its own, Python as `Conformance`'s field (`max_wait`), which
is also how a setting reads when no spelling is given. The engine never names a front end's
flag itself (a test holds it to that).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Setting(StrEnum):
    """A setting of the run, by its `Conformance` field."""

    API_KEY = "api_key"
    STATE_URL = "state_url"
    EVENTS = "events"  # existing events, by kind: spelled before "KIND=ID"
    RATE_LIMIT = "rate_limit"
    RATE_LIMIT_CONTRACT = "rate_limit_contract"  # spelled as turning it off
    MAX_WAIT = "max_wait"


Spelling = Callable[[Setting], str]
"""How a front end names a setting in the engine's texts."""


def field_name(setting: Setting) -> str:
    """The default spelling, Python's: `Conformance`'s field (`max_wait`), or the value that
    turns a contract off (`rate_limit_contract=False`)."""
    if setting is Setting.RATE_LIMIT_CONTRACT:
        return f"{setting.value}=False"
    return setting.value
