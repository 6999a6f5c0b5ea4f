"""Short names for the public sources of rules: "schedule", "errors", "scheduling guide".

A rule's sources are URLs (`calbot.contracts.rules`); a report links them under a short name,
the one the README's tables use, instead of printing the URL. The name comes from the URL, here
and nowhere else: a known page has its name in `_NAMES`; any other URL is named after the last
segment of its path (`/docs/scheduling-guide` → "scheduling guide", `/rfc/rfc6585` → "RFC 6585").
Only http(s) URLs become links; anything else in a source is kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from calbot.contracts.rules import (
    D_AUTH,
    D_BEST_PRACTICES,
    D_BOT_CREATE,
    D_BOT_RETRIEVE,
    D_CALENDAR_FAQ,
    D_CREATE,
    D_CREATING_BOTS,
    D_DESTROY,
    D_ERRORS,
    D_MEETING_URLS,
    D_RETRIEVE,
    D_SCHEDULING,
    DRF_FIELDS,
    OPENAPI_CREATE,
    RFC_6585_429,
    RFC_9110_404,
)

_NAMES: dict[str, str] = {
    D_CREATE: "schedule",
    D_DESTROY: "unschedule",
    D_RETRIEVE: "retrieve",
    D_SCHEDULING: "scheduling guide",
    D_MEETING_URLS: "meeting URLs",
    D_ERRORS: "errors",
    D_AUTH: "authentication",
    D_BOT_RETRIEVE: "bot",
    D_BOT_CREATE: "create bot",
    D_CALENDAR_FAQ: "FAQ",
    D_CREATING_BOTS: "creating bots",
    D_BEST_PRACTICES: "best practices",
    OPENAPI_CREATE: "OpenAPI",
    DRF_FIELDS: "DRF fields",
    RFC_6585_429: "RFC 6585 (429)",
    RFC_9110_404: "RFC 9110 (404)",
}
_RFC = re.compile(r"rfc(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Source:
    """One source: its short name and, when it is an http(s) URL, where it links to."""

    name: str
    url: str | None

    @property
    def linked(self) -> bool:
        return self.url is not None


def source_name(url: str) -> str:
    """The short name of a source URL: the README's name for a known page, otherwise the last
    segment of its path in words."""
    known = _NAMES.get(url)
    if known:
        return known
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    last = segments[-1] if segments else parts.netloc or url
    rfc = _RFC.fullmatch(last)
    if rfc:
        section = parts.fragment.removeprefix("section-")
        return f"RFC {rfc.group(1)}" + (f" §{section}" if section.isdigit() else "")
    return re.sub(r"[-_]+", " ", last).strip() or url


def sources(text: str | None) -> list[Source]:
    """The sources in a rule's or finding's `source` (URLs separated by spaces), named."""
    found = []
    for token in (text or "").split():
        if urlsplit(token).scheme in ("http", "https"):
            found.append(Source(source_name(token), token))
        else:
            found.append(Source(token, None))
    return found


__all__ = ["Source", "source_name", "sources"]
