"""JSON as calbot answers it: compact ASCII, and Django REST Framework's `{"detail": ...}`."""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def encode(body: dict[str, Any]) -> bytes:
    """The body as compact ASCII JSON (lone surrogates and any text survive as escapes)."""
    return _ENCODER.encode(body).encode("ascii")


def detail_body(message: str) -> bytes:
    """`{"detail": message}`, encoded."""
    return encode({"detail": message})
