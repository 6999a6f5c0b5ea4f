"""Request bodies to JSON values, refusing anything that is not sane JSON with a clear 4xx.

As Django REST Framework's JSONParser: UTF-8 only, strict (no NaN or Infinity), and an empty
body is an empty object. On top of it, nesting is capped so that whatever is accepted can be
stored and encoded again without hitting Python's recursion limit.
"""

from __future__ import annotations

import json

from calbot.server.messages import Request, Response, parse_error, unsupported_media_type

MAX_DEPTH = 100
"""Deepest JSON nesting accepted (objects and arrays)."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"Out of range float values are not permitted: {name}")


def is_json_media_type(content_type: str | None) -> bool:
    """Missing, empty, `application/json` or any `+json` type (parameters ignored)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or media.endswith("+json")


def json_body(request: Request) -> object | Response:
    """The parsed body, or the 415/400 answer that refuses it."""
    raw = request.body
    if not raw:
        return {}
    content_type = request.headers.get("content-type")
    if not is_json_media_type(content_type):
        return unsupported_media_type(content_type or "")
    try:
        value: object = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return parse_error(str(exc))
    # Cheap pre-check: a body with few brackets cannot nest deeply.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        return parse_error(f"nesting deeper than {MAX_DEPTH} levels")
    return value


def depth(value: object) -> int:
    """Nesting depth of a JSON value (a scalar is 0, `[]` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: list[object] = list(node.values())
        elif isinstance(node, list):
            children = list(node)
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest
