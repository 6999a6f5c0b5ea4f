"""Errors: unknown ids answer 404 (inferred), missing or wrong credentials 401 (documented).

Source: https://docs.recall.ai/reference/errors
"""

from __future__ import annotations

import uuid

from calbot.contracts.domain.operations import BOT, EVENT, EVENT_BOT
from calbot.contracts.engine.registry import Context, Skip, check
from calbot.contracts.engine.settings import Setting
from calbot.contracts.judges.answers import is_detail_body

WRONG_KEY = "calbot-deliberately-wrong-key"


@check("errors", "unknown-ids-404", rule="errors.not-found", covers=("errors.unknown-ids",))
def unknown_ids(ctx: Context) -> None:
    """Every operation answers 404 for an id that does not exist."""
    unknown = str(uuid.uuid4())
    body = {"deduplication_key": ctx.key("404"), "bot_config": {}}
    attempts = [
        ("POST", EVENT_BOT, body),
        ("DELETE", EVENT_BOT, None),
        ("GET", EVENT, None),
        ("GET", BOT, None),
    ]
    for method, template, payload in attempts:
        path = template.format(id=unknown)
        if payload is None:
            response = ctx.target.send(method, path)
        else:
            response = ctx.target.send(method, path, json=payload)
        ctx.expect_status(response, 404, f"{method} {template} with an unknown id")


@check("errors", "malformed-ids-4xx", rule="errors.not-found", covers=("errors.unknown-ids",))
def malformed_ids(ctx: Context) -> None:
    """A non-UUID id is refused with a 4xx (404 expected; 400 tolerated), never 2xx or 5xx."""
    for bad in ("not-a-uuid", "12345", "%20"):
        response = ctx.get_event(bad)
        if not 400 <= response.status_code < 500:
            ctx.fail(
                f"GET {EVENT} with id {bad!r} answered {response.status_code}",
                expected="404 (or another 4xx)",
                actual=response.status_code,
                response=response,
                signature="malformed id status",
            )


@check("errors", "credentials-401", rule="errors.auth", covers=("errors.auth",))
def credentials(ctx: Context) -> None:
    """Without a key, or with a wrong one, the API answers 401; the bare key works too."""
    key = ctx.target.config.api_key
    if not key:
        given = ctx.target.spell(Setting.API_KEY)
        raise Skip(f"no API key given ({given}): cannot tell whether the target requires one")
    path = EVENT.format(id=uuid.uuid4())
    cases = [
        ("no Authorization header", {}, False),
        ("a wrong key", {"Authorization": f"Token {WRONG_KEY}"}, True),
    ]
    for what, headers, auth in cases:
        response = ctx.target.send("GET", path, headers=headers, auth=auth)
        ctx.expect_status(response, 401, f"a request with {what}")
    bare = ctx.target.send("GET", path, headers={"Authorization": key})
    if bare.status_code == 401:
        ctx.fail(
            "the bare API key (without the `Token ` prefix) is refused",
            expected="accepted (https://docs.recall.ai/reference/authentication: prefix optional)",
            actual=401,
            response=bare,
        )


@check("errors", "detail-bodies", rule="errors.bodies", covers=("errors.bodies",))
def detail_bodies(ctx: Context) -> None:
    """A 404 (and a 401, with a key) carries a JSON {"detail": "..."} body, as DRF answers."""
    responses = [ctx.get_event(str(uuid.uuid4()))]
    if ctx.target.config.api_key:
        responses.append(ctx.target.send("GET", EVENT.format(id=uuid.uuid4()), auth=False))
    for response in responses:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in (401, 404) and not is_detail_body(body):
            ctx.fail(
                f'the {response.status_code} body is not {{"detail": "..."}}',
                expected='{"detail": "..."}',
                actual=response.text[:300],
                response=response,
                signature=f"{response.status_code} body",
            )
