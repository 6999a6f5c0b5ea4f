"""Which meeting-link forms Recall's published patterns cover, written from the docs alone.

https://docs.recall.ai/docs/meeting-urls publishes one Python regex per platform. A link that
none of them matches is one Recall makes no promise about: it may answer a `null` meeting_url
object for it, refuse it, or never sync it onto a calendar event. The correct-server family uses
this predicate to decide where it takes that latitude. It is deliberately independent of
calbot's own parser (`calbot.spec.meeting_urls`), which also knows forms the docs do not give.

The GoTo pattern is cut off after `app\\.goto\\.com` in every copy of the page, so only links on
that host count as published for GoTo.
"""

from __future__ import annotations

import re

_MAX_LENGTH = 8192

PUBLISHED_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # Zoom meeting (2026 widened form), personal and webinar links.
        r"zoom(?:\.us|\.com|-x\.de)/(?:j|s|wc(?:/join)?)/[0-9]+",
        r"zoom\.(?:us|com)/my/\w+",
        r"zoom\.(?:us|com)/w/\w+",
        # Google Meet.
        r"meet\.google\.com/\w{3}-\w{4}-\w{3}",
        # Teams: meetup-join with a JSON or URL-encoded context, message deep links,
        # teams.live.com and teams.microsoft.com short links.
        r"http\S*meetup-join/[^?\s]+/[0-9]+\?context=\S",
        r"http\S*message/[^?\s]+/[0-9]+\?\S",
        r"https://teams\.live\.com/meet/[0-9]+",
        r"https://teams\.microsoft\.com/meet/[0-9]+",
        # Webex.
        r"\.webex\.com/\S+/j\.php\?\S*MTID=[^&\s]+",
        # GoTo: only the published prefix.
        r"app\.goto\.com/",
    )
)


def is_published_form(url: object) -> bool:
    """True when `url` is a string one of Recall's published meeting-link patterns matches."""
    if not isinstance(url, str) or not url or len(url) > _MAX_LENGTH:
        return False
    return any(pattern.search(url) for pattern in PUBLISHED_PATTERNS)
