"""State setup: putting calendar events into the implementation (design.md's protocol).

Three ways: the provider-state URL (Pact convention), a Python callable, or ids of events that
already exist. A contract whose state cannot be set up is skipped with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from calbot.contracts.domain.operations import EVENT
from calbot.contracts.engine.retrying import persisted
from calbot.contracts.engine.settings import Setting, Spelling, field_name
from calbot.contracts.engine.target import Target, TargetError
from calbot.spec.states import STATE_NAME
from calbot.spec.text import one_line

StateCallable = Callable[[str, str, dict[str, Any]], Mapping[str, Any] | None]


class StateUnavailable(Exception):
    """The state a contract needs cannot be set up on this target (the check is skipped)."""


class StateSetupFailed(StateUnavailable):
    """State setup is broken, not unsupported: the run cannot give a verdict (exit 2).

    A state URL answering anything but 200 or the protocol's 400 (unknown state), one that
    cannot be reached or does not answer with an event; a state callable that raises."""


# The provider-state protocol's "this state is not supported here".
UNKNOWN_STATE_STATUS = 400


class StateSetup(Protocol):
    """Creates (and optionally tears down) calendar events on the target."""

    description: str
    chooses_times: bool  # whether events get the times asked for (given ids have their own)

    def create_event(
        self, kind: str, params: dict[str, Any], *, api_key: str | None = None
    ) -> dict[str, Any]:
        """Create an event (in `api_key`'s workspace when given); returns its CalendarEvent
        body. Raises StateUnavailable."""
        ...

    def teardown(self, event_id: str, *, api_key: str | None = None) -> None:
        """Remove an event created by `create_event` (best effort)."""
        ...


def _one_workspace(api_key: str | None, how: str) -> None:
    if api_key is not None:
        raise StateUnavailable(f"{how} cannot put events in a second workspace")


def _event_body(body: object, where: str) -> dict[str, Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get("id"), str):
        raise StateSetupFailed(f"{where} did not answer with a calendar event (no string `id`)")
    return dict(body)


class ProviderStates:
    """POSTs `{"state", "action", "params"}` to the provider-state URL."""

    def __init__(self, target: Target, url: str) -> None:
        self.target = target
        self.url = url
        self.shown = target.url_for(url)
        where = f"{url} (in-process)" if target.in_process and url.startswith("/") else self.shown
        self.description = f"provider states at {where}"

    chooses_times = True

    def _post(self, action: str, params: dict[str, Any], api_key: str | None = None) -> Any:
        payload = {"state": STATE_NAME, "action": action, "params": params}
        where = f"the state URL {self.shown}"
        key: Any = {} if api_key is None else {"api_key": api_key}
        try:
            response = self.target.send("POST", self.url, json=payload, paced=False, **key)
        except TargetError as exc:
            raise StateSetupFailed(f"{where} cannot be used: {exc}") from None
        if response.status_code != 200:
            failure = (
                StateUnavailable
                if response.status_code == UNKNOWN_STATE_STATUS
                else StateSetupFailed
            )
            mark = persisted(response)
            said = f" ({mark.describe()})" if mark is not None else ""
            raise failure(
                f"{where} answered {response.status_code} to {action}{said}: "
                f"{one_line(response.text)}"
            )
        try:
            return response.json()
        except ValueError:
            raise StateSetupFailed(
                f"{where} answered 200 to {action} but not with JSON: {one_line(response.text)}"
            ) from None

    def create_event(
        self, kind: str, params: dict[str, Any], *, api_key: str | None = None
    ) -> dict[str, Any]:
        return _event_body(self._post("setup", params, api_key), f"state setup at {self.url}")

    def teardown(self, event_id: str, *, api_key: str | None = None) -> None:
        with contextlib.suppress(StateUnavailable):  # teardown is optional in the protocol
            self._post("teardown", {"id": event_id}, api_key)


class CallableStates:
    """A Python callable `(state, action, params) -> event body` (for pytest users)."""

    def __init__(self, function: StateCallable) -> None:
        self.function = function
        self.description = f"state callable {getattr(function, '__name__', function)!r}"

    chooses_times = True

    def create_event(
        self, kind: str, params: dict[str, Any], *, api_key: str | None = None
    ) -> dict[str, Any]:
        _one_workspace(api_key, "a state callable")
        try:
            body = self.function(STATE_NAME, "setup", params)
        except Exception as exc:
            raise StateSetupFailed(
                f"the state callable failed: {type(exc).__name__}: {one_line(str(exc))}"
            ) from exc
        if body is None:
            raise StateUnavailable("the state callable does not set up this state (None)")
        return _event_body(body, "the state callable")

    def teardown(self, event_id: str, *, api_key: str | None = None) -> None:
        with contextlib.suppress(Exception):  # teardown is optional
            self.function(STATE_NAME, "teardown", {"id": event_id})


class GivenEvents:
    """Events that already exist (a live account): each id is handed out once."""

    def __init__(self, target: Target, ids_by_kind: Mapping[str, list[str]]) -> None:
        self.target = target
        self.pool = {kind: list(ids) for kind, ids in ids_by_kind.items()}
        given = ", ".join(f"{kind}×{len(ids)}" for kind, ids in self.pool.items()) or "none"
        self.description = f"given event ids ({given})"

    chooses_times = False

    def create_event(
        self, kind: str, params: dict[str, Any], *, api_key: str | None = None
    ) -> dict[str, Any]:
        _one_workspace(api_key, "given event ids")
        ids = self.pool.get(kind)
        events = self.target.spell(Setting.EVENTS)
        if not ids:
            raise StateUnavailable(
                f"needs another {kind} event: no state URL, and no more given with "
                f"{events} {kind}=<id>"
            )
        event_id = ids.pop(0)
        try:
            response = self.target.send("GET", EVENT.format(id=event_id))
        except TargetError as exc:
            raise StateSetupFailed(str(exc)) from None
        if response.status_code != 200:
            raise StateSetupFailed(
                f"the given event {events} {kind}={event_id} answered {response.status_code}: "
                f"{one_line(response.text)}"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        return _event_body(body, f"GET of the given event {event_id}")

    def teardown(self, event_id: str, *, api_key: str | None = None) -> None:
        """Given events are not ours to remove."""


class NoStates:
    """No way to create events."""

    description = "no state setup"
    chooses_times = False

    def __init__(self, spelling: Spelling = field_name) -> None:
        self.spell = spelling

    def create_event(
        self, kind: str, params: dict[str, Any], *, api_key: str | None = None
    ) -> dict[str, Any]:
        raise StateUnavailable(
            f"no state setup: give {self.spell(Setting.STATE_URL)} (provider states) or "
            f"existing event ids with {self.spell(Setting.EVENTS)} KIND=ID"
        )

    def teardown(self, event_id: str, *, api_key: str | None = None) -> None:
        """Nothing to remove."""
