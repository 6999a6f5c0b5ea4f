"""What each route does once a request is authenticated and admitted: calls into the model."""

from __future__ import annotations

from calbot.contracts.domain.model import Workspace
from calbot.contracts.domain.operations import canonical_id
from calbot.server.messages import Request, Response, from_outcome, not_found
from calbot.server.parsing import json_body
from calbot.server.routes import Kind, Route
from calbot.server.states import provider_state


def answer(route: Route, segment: str, request: Request, workspace: Workspace) -> Response:
    """The answer of an API or provider-state `route` (method already known to be allowed)."""
    kind = route.kind
    if kind is Kind.STATES:
        body = json_body(request)
        return body if isinstance(body, Response) else provider_state(workspace, body)
    ident = canonical_id(segment)
    if ident is None:
        return not_found()
    if kind is Kind.EVENT_BOT:
        if request.method == "DELETE":
            return from_outcome(workspace.unschedule(ident))
        return _schedule(workspace, ident, request)
    if kind is Kind.EVENT:
        return from_outcome(workspace.get_event(ident))
    return from_outcome(workspace.get_bot(ident))


def _schedule(workspace: Workspace, event_id: str, request: Request) -> Response:
    # As DRF: the event is looked up (404) before the body is parsed (415/400).
    if event_id not in workspace.events:
        return not_found()
    body = json_body(request)
    if isinstance(body, Response):
        return body
    return from_outcome(workspace.schedule(event_id, body))
