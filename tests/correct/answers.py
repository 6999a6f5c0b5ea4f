"""Hooks that answer differently from calbot's reference server where the docs leave it open.

Each wraps the reference server at its choke point (`calbot.server.Hook`) and rewrites one kind
of answer: the wording and keying of undocumented 400s, extra response fields, the form of
`Retry-After`, and state setup refusing links calendar sync would never produce.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from calbot.contracts.domain.model import ENDED_BODY, envelope
from calbot.server import Handler, Request, Response
from calbot.spec.states import STATES_PATH

from .published import is_published_form

REWORDED_MESSAGE = "The request could not be processed; see errors."
REWORDED_FIELD_ERROR = "Invalid value."
EXTRA = {"x_extra_field": "a field calbot does not know", "x_version": 2}
THROTTLED_BODY = {"detail": "Too many requests. Slow down."}
UNSUPPORTED = "unsupported: calendar sync would never give an event this meeting link"


def _flat(errors: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested field errors as one level of dotted keys, each with one plain message."""
    if isinstance(errors, Mapping):
        flat: dict[str, list[str]] = {}
        for name, value in errors.items():
            flat.update(_flat(value, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    return {prefix or "request": [REWORDED_FIELD_ERROR]}


def reworded_400s(request: Request, following: Handler) -> Response:
    """Undocumented 400 bodies keep the envelope but change its message, keys and texts.

    Only the ended-event body is documented, literal for literal; it stays exact.
    """
    response = following(request)
    body = response.body
    if response.status != 400 or body == ENDED_BODY or not isinstance(body.get("errors"), dict):
        return response
    reworded = {**body, "message": REWORDED_MESSAGE, "errors": _flat(body["errors"])}
    return Response(400, reworded, response.headers)


def _with_extra(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, **EXTRA}


def _extended(body: dict[str, Any]) -> dict[str, Any]:
    extended = _with_extra(body)
    if isinstance(body.get("bots"), list):
        extended["bots"] = [_with_extra(b) if isinstance(b, dict) else b for b in body["bots"]]
    if isinstance(body.get("meeting_url"), dict):
        extended["meeting_url"] = _with_extra(body["meeting_url"])
    return extended


def extra_fields(request: Request, following: Handler) -> Response:
    """Every successful answer carries fields calbot does not know: on the CalendarEvent, on
    each `bots[]` item, on the Bot and on its meeting_url object. APIs add fields."""
    response = following(request)
    if response.status != 200 or not response.body:
        return response
    return Response(200, _extended(response.body), response.headers)


def _retry_after_rewritten(response: Response, value: str) -> Response:
    kept = tuple((k, v) for k, v in response.headers if k.lower() != "retry-after")
    return Response(429, dict(THROTTLED_BODY), (*kept, ("Retry-After", value)))


def retry_after_http_date(request: Request, following: Handler) -> Response:
    """`Retry-After` as an HTTP-date (RFC 9110 §10.2.3 allows it), rounded up to the second;
    the 429 body (undocumented) worded differently."""
    response = following(request)
    wait = response.header("retry-after")
    if response.status != 429 or wait is None:
        return response
    when = math.ceil(time.time() + float(wait))
    return _retry_after_rewritten(response, email.utils.formatdate(when, usegmt=True))


def retry_after_larger(request: Request, following: Handler) -> Response:
    """`Retry-After` one second longer than strictly needed: a server may ask for more."""
    response = following(request)
    wait = response.header("retry-after")
    if response.status != 429 or wait is None:
        return response
    return _retry_after_rewritten(response, str(int(wait) + 1))


def _setup_link(request: Request) -> object:
    """`params.meeting_url` of a provider-state setup request, or None."""
    try:
        body = json.loads(request.body) if request.body else {}
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or body.get("action", "setup") != "setup":
        return None
    params = body.get("params")
    return params.get("meeting_url") if isinstance(params, dict) else None


def refuses_unsyncable_events(request: Request, following: Handler) -> Response:
    """State setup answers 400 "unsupported" for an event whose meeting link is outside
    Recall's published patterns: calendar sync leaves such an event's meeting_url null
    (https://docs.recall.ai/docs/calendar-v2-faq), so Recall never holds one with that link."""
    if request.method == "POST" and request.path.rstrip("/") == STATES_PATH:
        url = _setup_link(request)
        if isinstance(url, str) and not is_published_form(url):
            return Response(400, envelope({"meeting_url": [UNSUPPORTED]}))
    return following(request)


SLOW_FIRST_SCHEDULE = 0.15  # seconds: longer than the slack calbot's pacing once allowed


class SlowFirstSchedule:
    """Takes in the first schedule of each event late (a cold path), and counts it then.

    The docs promise a budget per window, not when within a request the server counts it; a
    server that counts a request 0.15 s after it was sent is as correct as one that counts it
    at once.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, request: Request, following: Handler) -> Response:
        if request.method == "POST" and request.path.endswith("/bot/"):
            event = request.path.rstrip("/").split("/")[-2]
            if event not in self.seen:
                self.seen.add(event)
                time.sleep(SLOW_FIRST_SCHEDULE)
        return following(request)
