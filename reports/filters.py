"""Small text helpers the templates use as Jinja filters (pure functions, no Jinja imports)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from calbot.contracts.results import Exchange
from calbot.spec.text import shorten_counting

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BACKTICKS = re.compile("`+")


def printable(text: str) -> str:
    """Characters XML 1.0 forbids (and lone surrogates), written as `\\uXXXX` escapes."""
    return _INVALID_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shortened(text: str | None, limit: int) -> str:
    """At most `limit` characters of `text`, saying how many were left out ("" for None)."""
    return "" if text is None else shorten_counting(text, limit)


def duration(seconds: float) -> str:
    """A duration a person reads at a glance: 4 ms, 1.25 s, 3 min 05 s."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def when(moment: datetime | None) -> str:
    """A timestamp for people: `2026-11-24 17:00:00 UTC` (local offset kept when not UTC)."""
    if moment is None:
        return "—"
    if moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S %z").strip()


def option_text(value: object) -> str:
    """An option's value as a person writes it: lists comma-separated, mappings as
    `key value` pairs, booleans as on/off, nothing as "—" (never a Python repr)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        return ", ".join(f"{key} {option_text(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(option_text(item) for item in items) or "—"
    return str(value)


def capfirst(text: str) -> str:
    """`text` with its first letter upper-case: a phrase made a sentence's start."""
    return text[:1].upper() + text[1:]


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 check`, `2 checks`, `3 findings`: the count and the right form of the word."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def request_text(exchange: Exchange, limit: int) -> str:
    """The request as HTTP text: request line, headers, then the body (cut to `limit`)."""
    return _http(
        f"{exchange.method} {exchange.url}", exchange.request_headers, exchange.request_body, limit
    )


def response_text(exchange: Exchange, limit: int) -> str:
    """The response as HTTP text: status line, headers, then the body (cut to `limit`)."""
    status = "no response" if exchange.status_code is None else f"HTTP {exchange.status_code}"
    return _http(status, exchange.response_headers, exchange.response_body, limit)


def _http(first: str, headers: dict[str, str], body: str | None, limit: int) -> str:
    lines = [first, *(f"{name}: {value}" for name, value in headers.items())]
    if body:
        lines += ["", shortened(body, limit)]
    return "\n".join(lines)


# --- Markdown -------------------------------------------------------------------------------


def md_text(text: str) -> str:
    """Text that GitHub shows as written: no stray HTML, no table breaks, one line."""
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def md_code(text: str, *, cell: bool = False) -> str:
    """Inline code on one line, with a fence longer than any backtick run inside.

    In a table `cell`, pipes are escaped (GitHub reads `\\|` as `|` even inside code).
    """
    text = " ".join(str(text).split())
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (_longest_backticks(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fenced(text: str, lang: str = "") -> str:
    """A fenced code block that nothing inside can close early."""
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def md_value(text: str, label: str, limit: int = 100) -> str:
    """`**label:** `value`` for a short one-liner, else the label over a fenced block."""
    text = str(text)
    if "\n" not in text and len(text) <= limit:
        return f"**{label}:** {md_code(text) if text else '—'}"
    return f"**{label}:**\n\n{md_fenced(text)}"
