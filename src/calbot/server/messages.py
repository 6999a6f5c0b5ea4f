"""Plain request and response values, the hook seam, and the JSON bodies the server answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from calbot.contracts.domain.model import NOT_FOUND_BODY, Outcome, envelope
from calbot.serving.limits import (
    body_too_large_message,
    request_timeout_message,
    shutting_down_message,
)
from calbot.spec.text import shorten

Json = dict[str, Any]
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, as the core sees it.

    `headers` has lower-case names and latin-1 decoded values (the last of repeated headers
    wins); `path` is percent-decoded. `body_too_large` means the body went over the configured
    cap and was not (fully) read; `body` is then empty. `interrupted` is set when the body was
    cut short: `TIMED_OUT` (it did not arrive in time) or `STOPPING` (the server is stopping).
    `workspace` is set by the core before any hook sees the request: the workspace key its
    credentials select ("" when the server has no keys), None when they are not valid.
    """

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: str = ""
    body_too_large: bool = False
    interrupted: str = ""
    workspace: str | None = ""


TIMED_OUT = "timeout"
STOPPING = "stopping"


@dataclass(frozen=True, slots=True)
class Response:
    """One answer: status, JSON body, and extra headers (Content-Type is always JSON)."""

    status: int
    body: Json
    headers: Headers = ()

    def header(self, name: str) -> str | None:
        """The value of an extra header (case-insensitive), if present."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


Handler = Callable[[Request], Response]
"""Anything that answers a request: the core, or the core wrapped by hooks."""

Hook = Callable[[Request, Handler], Response]
"""Wraps the core at its one choke point: gets every request and the next handler.

Return `next(request)` to observe (a request ledger), or another response instead of calling
it (fault injection). Hooks run in `ServerConfig.hooks` order, the first outermost.
"""


def from_outcome(outcome: Outcome) -> Response:
    """A model answer as a response."""
    return Response(outcome.status, outcome.body)


def detail(status: int, message: str, headers: Headers = ()) -> Response:
    """A Django REST Framework style `{"detail": message}` answer."""
    return Response(status, {"detail": message}, headers)


def not_found() -> Response:
    """404 `{"detail": "Not found."}`."""
    return Response(404, dict(NOT_FOUND_BODY))


def unauthorized() -> Response:
    """401 `{"detail": "Invalid token."}` (with DRF's `WWW-Authenticate: Token`)."""
    return detail(401, "Invalid token.", (("WWW-Authenticate", "Token"),))


def method_not_allowed(method: str, allow: str) -> Response:
    """405 with an `Allow` header."""
    return detail(405, f'Method "{echoed(method)}" not allowed.', (("Allow", allow),))


def throttled(wait: int) -> Response:
    """429 with `Retry-After` in whole seconds, worded as DRF words it."""
    unit = "second" if wait == 1 else "seconds"
    message = f"Request was throttled. Expected available in {wait} {unit}."
    return detail(429, message, (("Retry-After", str(wait)),))


def too_large(limit: int) -> Response:
    """413: the body is over the configured cap."""
    return detail(413, body_too_large_message(limit))


def request_timeout(seconds: float) -> Response:
    """408: the request did not arrive in time; the connection is closed."""
    return detail(408, request_timeout_message(seconds), (("Connection", "close"),))


def shutting_down() -> Response:
    """503: the server is stopping and takes no new work; the connection is closed."""
    return detail(503, shutting_down_message(), (("Connection", "close"),))


def unsupported_media_type(content_type: str) -> Response:
    """415, worded as DRF words it."""
    return detail(415, f'Unsupported media type "{echoed(content_type)}" in request.')


def invalid(errors: Mapping[str, Any]) -> Response:
    """400 in Recall's envelope, code `invalid_request_data`."""
    return Response(400, envelope(errors))


def parse_error(reason: str) -> Response:
    """400 in Recall's envelope, code `parse_error`: the body is not usable JSON."""
    return Response(
        400,
        {
            "code": "parse_error",
            "message": "Unable to process request because the body could not be parsed.",
            "errors": {"non_field_errors": [f"JSON parse error - {reason}"]},
        },
    )


def server_error() -> Response:
    """500: an unexpected exception (a bug in calbot; the tests assert it never happens)."""
    return detail(500, "Internal server error in the calbot reference server.")


ECHOED = 100
"""How many characters of a client's input an answer echoes."""


def echoed(text: str) -> str:
    """Client input as an answer echoes it: shortened to ECHOED characters."""
    return shorten(text, ECHOED)
