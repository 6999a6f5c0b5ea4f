"""Bodies and messages cut for a terminal line: one line, a bounded length."""

from __future__ import annotations

EXCERPT = 120


def one_line(text: str, limit: int = EXCERPT) -> str:
    """`text` on one line (whitespace runs become one space), cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
