"""calbot's provider-state protocol (design.md): where it is served and what it can set up.

Every `/_calbot/*` path calbot serves (reference server and proxy) is named here.

Recall's public API has no operation that creates a calendar event, so a conformance run asks
the implementation to set one up, Pact-style: `POST <state-url>` with
`{"state": STATE_NAME, "action": "setup", "params": {...}}`.
"""

STATES_PATH = "/_calbot/states"
"""Where the reference server serves the protocol, and the default state URL."""

HEALTH_PATH = "/_calbot/health"
"""The reference server's liveness endpoint."""

PROXY_HEALTH_PATH = "/_calbot/proxy/health"
"""`calbot proxy`'s own readiness endpoint: answered by the proxy, never forwarded upstream."""

RESET_PATH = "/_calbot/reset"
"""POST: the reference server forgets the caller's workspace (events, bots, rate-limit
history, its faults)."""

FAULTS_PATH = "/_calbot/faults"
"""Faults injected at run time (the reference server's and `calbot proxy`'s): POST adds, GET
lists, DELETE clears the caller's."""

STATE_NAME = "a calendar event"

EVENT_KINDS: tuple[str, ...] = ("upcoming", "in_progress", "ended", "deleted", "no_meeting_url")
"""The kinds of calendar event a check can ask for."""

DEFAULT_MEETING_URL = "https://meet.google.com/abc-defg-hij"
"""The meeting URL an event gets when a check does not care which."""
