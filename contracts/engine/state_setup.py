"""State setup: putting calendar events into the implementation (design.md's protocol).

Three ways: the provider-state URL (Pact convention), a Python callable, or ids of events that
already exist. A contract whose state cannot be set up is skipped with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from calbot.contracts.engine.target import Target, TargetError

STATE = "a calendar event"
StateCallable = Callable[[str, str, dict[str, Any]], Mapping[str, Any] | None]


class StateUnavailable(Exception):
    """The state a contract needs cannot be set up on this target."""


class StateSetup(Protocol):
    """Creates (and optionally tears down) calendar events on the target."""

    description: str

    def create_event(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """Create an event; returns its CalendarEvent body. Raises StateUnavailable."""
        ...

    def teardown(self, event_id: str) -> None:
        """Remove an event created by `create_event` (best effort)."""
        ...


def _event_body(body: object, where: str) -> dict[str, Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get("id"), str):
        raise StateUnavailable(f"{where} did not answer with a calendar event (no string `id`)")
    return dict(body)


class ProviderStates:
    """POSTs `{"state", "action", "params"}` to the provider-state URL."""

    def __init__(self, target: Target, url: str) -> None:
        self.target = target
        self.url = url
        self.description = f"provider states at {url}"

    def _post(self, action: str, params: dict[str, Any]) -> Any:
        payload = {"state": STATE, "action": action, "params": params}
        try:
            response = self.target.send("POST", self.url, json=payload, paced=False)
        except TargetError as exc:
            raise StateUnavailable(f"state setup failed: {exc}") from None
        if response.status_code != 200:
            excerpt = response.text[:300]
            raise StateUnavailable(
                f"state setup {action} answered {response.status_code} at {self.url}: {excerpt}"
            )
        try:
            return response.json()
        except ValueError:
            return None

    def create_event(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        return _event_body(self._post("setup", params), f"state setup at {self.url}")

    def teardown(self, event_id: str) -> None:
        with contextlib.suppress(StateUnavailable):  # teardown is optional in the protocol
            self._post("teardown", {"id": event_id})


class CallableStates:
    """A Python callable `(state, action, params) -> event body` (for pytest users)."""

    def __init__(self, function: StateCallable) -> None:
        self.function = function
        self.description = f"state callable {getattr(function, '__name__', function)!r}"

    def create_event(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            body = self.function(STATE, "setup", params)
        except Exception as exc:
            raise StateUnavailable(f"state callable failed: {type(exc).__name__}: {exc}") from exc
        return _event_body(body, "the state callable")

    def teardown(self, event_id: str) -> None:
        with contextlib.suppress(Exception):  # teardown is optional
            self.function(STATE, "teardown", {"id": event_id})


class GivenEvents:
    """Events that already exist (a live account): each id is handed out once."""

    def __init__(self, target: Target, ids_by_kind: Mapping[str, list[str]]) -> None:
        self.target = target
        self.pool = {kind: list(ids) for kind, ids in ids_by_kind.items()}
        given = ", ".join(f"{kind}×{len(ids)}" for kind, ids in self.pool.items()) or "none"
        self.description = f"given event ids ({given})"

    def create_event(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        ids = self.pool.get(kind)
        if not ids:
            raise StateUnavailable(
                f"needs another {kind} event: no state URL, and no more given with "
                f"--event {kind}=<id>"
            )
        event_id = ids.pop(0)
        try:
            response = self.target.send("GET", f"/api/v2/calendar-events/{event_id}/")
        except TargetError as exc:
            raise StateUnavailable(str(exc)) from None
        if response.status_code != 200:
            raise StateUnavailable(f"given event {event_id} answered {response.status_code}")
        return _event_body(response.json(), f"GET of given event {event_id}")

    def teardown(self, event_id: str) -> None:
        """Given events are not ours to remove."""


class NoStates:
    """No way to create events."""

    description = "no state setup"

    def create_event(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        raise StateUnavailable(
            "no state setup: give --state-url (provider states) or existing event ids "
            "with --event KIND=ID"
        )

    def teardown(self, event_id: str) -> None:
        """Nothing to remove."""
