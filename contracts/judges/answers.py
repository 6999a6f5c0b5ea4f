"""Judges of error answers: the ended-event refusal, the error envelope, `{detail}` bodies,
Retry-After, and what counts as a server error.

Source: https://docs.recall.ai/reference/calendar_events_bot_create (the ended-event body),
https://docs.recall.ai/reference/errors (429 with Retry-After, the transient answers).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from calbot.contracts.domain.model import ENDED_MESSAGE, INVALID_DATA_MESSAGE
from calbot.contracts.judges.registry import judges
from calbot.spec.throttles import parse_retry_after

ENDED_LITERALS: dict[str, object] = {
    "code": "invalid_request_data",
    "message": INVALID_DATA_MESSAGE,
    "errors.non_field_errors": [ENDED_MESSAGE],
}
"""The literals Recall documents for the ended-event 400, by where they sit in the body."""


@judges("ended.refused")
def ended_body_differences(body: object) -> dict[str, object]:
    """Where `body` differs from Recall's documented ended-event answer: each documented
    literal (code, message, errors.non_field_errors) that is not exactly as documented, with
    what the body has there. Empty when the body is the documented answer; keys the docs do not
    name are allowed (a server may add one)."""
    answer = body if isinstance(body, dict) else {}
    errors = answer.get("errors")
    if not isinstance(errors, dict):
        errors = {}
    found = {
        "code": answer.get("code"),
        "message": answer.get("message"),
        "errors.non_field_errors": errors.get("non_field_errors"),
    }
    return {name: found[name] for name in ENDED_LITERALS if found[name] != ENDED_LITERALS[name]}


@judges("schema.error-envelope")
def is_envelope(body: object) -> bool:
    """Whether `body` is Recall's error envelope `{code, message, errors}`."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("message"), str)
        and isinstance(body.get("errors"), dict)
    )


@judges("errors.bodies")
def is_detail_body(body: object) -> bool:
    """Whether a 401 or 404 body is `{"detail": "..."}`, as Django REST Framework answers."""
    return isinstance(body, dict) and isinstance(body.get("detail"), str)


@judges("rate-limit.throttle")
def usable_retry_after(value: str | None, now: datetime | None = None) -> bool:
    """Whether a 429's Retry-After can be read: delta-seconds or an HTTP-date (`now`: when the
    answer came, for a date)."""
    return parse_retry_after(value, now) is not None


@judges("robustness.no-5xx")
def is_server_error(status: int, excused: Collection[int] = ()) -> bool:
    """Whether an answer's status is a server error: a 5xx, unless `excused` (the documented
    transient answers a reader cannot retry, as the passive verdict cannot; calbot's own
    requests retry them, and what persists is `robustness.transient-clears`)."""
    return status >= 500 and status not in excused
