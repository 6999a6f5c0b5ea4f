"""Before the contracts: is the target there, is it this API, does it take the key given?

One authenticated read of an event id that cannot exist (GET /api/v2/calendar-events/<uuid4>/)
answers all three. A correct implementation says 404 (or another JSON client error); then the
contracts run. Otherwise the run cannot give a verdict, and `CouldNotRun` says why in one line:

- no answer at all (refused, timed out) → the address that failed;
- 401/403 → the key was refused (or none was given), which is the user's to fix, not a finding;
- a non-JSON answer, or a 2xx for an id that cannot exist → not this API (wrong base URL, a web
  page, a catch-all), with a one-line excerpt of what came back;
- a second workspace's key that is the first key again, or that the target refuses (401/403)
  → the workspace checks could only report the user's mistake.

A 5xx passes: the contracts report it against the server.
"""

from __future__ import annotations

import uuid

import httpx

from calbot.contracts.domain.operations import EVENT
from calbot.contracts.engine.target import Target, TargetError
from calbot.contracts.outcomes import CouldNotRun, TargetUnreachable
from calbot.spec.text import one_line

REFUSED = (401, 403)


def preflight(target: Target) -> None:
    """Raise `CouldNotRun` unless the target answers the documented path like this API."""
    path = EVENT.format(id=uuid.uuid4())
    try:
        response = target.send("GET", path)
    except TargetError as exc:
        raise TargetUnreachable(str(exc)) from None
    status, what = response.status_code, f"GET {target.url_for(path)} answered"
    if status in REFUSED:
        if target.config.api_key:
            problem = "the target refuses the API key given"
        else:
            problem = "the target asks for an API key and none was given"
        raise CouldNotRun(f"{problem} ({what} {status}: {one_line(response.text)})")
    if status >= 500:
        return
    if not _is_json(response):
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise CouldNotRun(
            f"{target.label} does not look like the Recall API ({what} {status}, {kind}, "
            f"not JSON: {one_line(response.text) or 'empty'}); check the base URL"
        )
    if 200 <= status < 300:
        raise CouldNotRun(
            f"{target.label} does not look like the Recall API ({what} {status} for an event "
            f"id that cannot exist: {one_line(response.text)}); check the base URL"
        )
    _second_key(target)


def _second_key(target: Target) -> None:
    """The second workspace's key, when given, is another key and one the target takes."""
    second = target.config.second_api_key
    if not second:
        return
    if second == target.config.api_key:
        raise CouldNotRun(
            "the second workspace's API key is the first key again; give another workspace's key"
        )
    path = EVENT.format(id=uuid.uuid4())
    try:
        response = target.send("GET", path, api_key=second)
    except TargetError as exc:
        raise TargetUnreachable(str(exc)) from None
    if response.status_code in REFUSED:
        what = f"GET {target.url_for(path)} answered"
        raise CouldNotRun(
            "the target refuses the second workspace's API key given "
            f"({what} {response.status_code}: {one_line(response.text)})"
        )


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True
