"""Text cut to a readable size: the one place that writes the "…" of a shortened string.

Every layer shows text it did not write (bodies, messages, paths): the engine's findings, the
ledger, the reference server's echoes, the proxy's failures, the reports. They all cut it here,
at the bottom layer, so each one may import it.
"""

from __future__ import annotations

ELLIPSIS = "…"
LINE_EXCERPT = 120
"""How much of a body a one-line message quotes, unless it says otherwise."""


def shorten(text: str, limit: int) -> str:
    """`text` whole when it has at most `limit` characters, else its start and "…" (`limit`
    characters in all)."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def one_line(text: str, limit: int = LINE_EXCERPT) -> str:
    """`text` on one line (whitespace runs become one space), shortened to `limit` characters."""
    return shorten(" ".join(text.split()), limit)


def shorten_counting(text: str, limit: int) -> str:
    """`text` whole when it has at most `limit` characters, else its first `limit` characters,
    "…" and how many characters were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{ELLIPSIS} [{len(text) - limit} more characters]"
