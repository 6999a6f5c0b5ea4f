"""Robustness: hostile input gets a 4xx, never a 5xx or a dropped connection."""

from __future__ import annotations

from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.retrying import MALFORMED_TRANSIENT
from calbot.contracts.engine.target import TargetError
from calbot.contracts.judges.answers import is_server_error

JSON = {"Content-Type": "application/json"}
DEEP = 10_000

HOSTILE: tuple[tuple[str, bytes, dict[str, str]], ...] = (
    ("malformed JSON", b'{"deduplication_key": ', JSON),
    ("a JSON array body", b"[]", JSON),
    ("a JSON string body", b'"calbot"', JSON),
    ("JSON null", b"null", JSON),
    ("invalid UTF-8", b'{"deduplication_key": "\xff\xfe", "bot_config": {}}', JSON),
    ("NUL bytes", b'{"deduplication_key": "a\x00b", "bot_config": {}}\x00', JSON),
    ("10,000-deep nesting", b'{"bot_config": ' + b"[" * DEEP + b"]" * DEEP + b"}", JSON),
    ("an empty body", b"", JSON),
    ("a 2 MB body", b'{"deduplication_key": "' + b"k" * 2_000_000 + b'", "bot_config": {}}', JSON),
    (
        "a text/plain Content-Type",
        b'{"deduplication_key": "k", "bot_config": {}}',
        {"Content-Type": "text/plain"},
    ),
    (
        "a form Content-Type",
        b"deduplication_key=k&bot_config=x",
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("a bogus Content-Type", b"{}", {"Content-Type": "application/json; charset=bogus-9"}),
    ("a huge header", b"{}", {**JSON, "X-Calbot-Filler": "x" * 6000}),
)


@check(
    "robustness",
    "hostile-bodies",
    rule="robustness.no-5xx",
    covers=("robustness.hostile-bodies",),
)
def hostile_bodies(ctx: Context) -> None:
    """Malformed, huge, deep, mis-typed and mis-encoded requests never get a 5xx."""
    event = ctx.event()
    path = EVENT_BOT.format(id=event["id"])
    for what, body, headers in HOSTILE:
        try:
            response = ctx.target.send(
                "POST", path, content=body, headers=headers, transient=MALFORMED_TRANSIENT
            )
        except TargetError as exc:
            ctx.fail(
                f"{what}: no answer (the connection failed)",
                expected="a 4xx answer",
                actual=str(exc),
                signature=f"{what}: no answer",
            )
            continue
        if is_server_error(response.status_code):
            ctx.fail(
                f"{what}: answered {response.status_code}",
                expected="a 4xx answer",
                actual=f"{response.status_code} {response.text[:300]}",
                response=response,
                signature=f"{what}: 5xx",
            )
    after = ctx.get_event(event["id"])
    if is_server_error(after.status_code):
        ctx.fail(
            "the target answers 5xx after hostile input",
            expected=200,
            actual=after.status_code,
            response=after,
        )
