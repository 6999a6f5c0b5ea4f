"""The provider-state endpoint (`POST /_calbot/states`, design.md): set up and tear down events.

`{"state": "a calendar event", "action": "setup" | "teardown", "params": {...}}`; `action`
defaults to `setup`. Setup answers 200 with the created CalendarEvent; teardown (`params.id`)
answers 200. An unknown state or action, or invalid params, answers 400 in the envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calbot.contracts.domain.model import Workspace
from calbot.contracts.domain.operations import canonical_id
from calbot.contracts.domain.validation import REQUIRED
from calbot.server.messages import Response, echoed, from_outcome, invalid
from calbot.spec.states import STATE_NAME

STATES = (STATE_NAME,)
ACTIONS = ("setup", "teardown")


def provider_state(workspace: Workspace, body: object) -> Response:
    """Apply one provider-state request to `workspace`."""
    if not isinstance(body, Mapping):
        kind = "null" if body is None else type(body).__name__
        return invalid(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    errors: dict[str, Any] = {}
    state = body.get("state")
    if "state" not in body:
        errors["state"] = [REQUIRED]
    elif state not in STATES:
        known = ", ".join(f'"{name}"' for name in STATES)
        errors["state"] = [f'Unknown provider state "{_text(state)}"; known states: {known}.']
    action = body.get("action", "setup")
    if action not in ACTIONS:
        errors["action"] = [f'"{_text(action)}" is not a valid choice (setup or teardown).']
    if errors:
        return invalid(errors)
    params = body.get("params", {})
    if action == "setup":
        return from_outcome(workspace.add_event(params))
    return _teardown(workspace, params)


def _teardown(workspace: Workspace, params: object) -> Response:
    if not isinstance(params, Mapping):
        return invalid({"params": ["Expected a dictionary with the event's id."]})
    if "id" not in params:
        return invalid({"id": [REQUIRED]})
    raw = params["id"]
    event_id = canonical_id(raw) if isinstance(raw, str) else None
    if event_id is None:
        return invalid({"id": ["Must be a valid UUID."]})
    return from_outcome(workspace.remove_event(event_id))


def _text(value: object) -> str:
    return echoed(value if isinstance(value, str) else repr(value))
