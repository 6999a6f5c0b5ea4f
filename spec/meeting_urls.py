"""Meeting-URL strings to Recall.ai's per-platform ``meeting_url`` objects, and back-checks.

Bot objects (``GET /api/v1/bot/{id}/``) return ``meeting_url`` as a per-platform object, while
calendar events return it as a plain string (https://docs.recall.ai/reference/bot_retrieve).
This module predicts the object from the string with the regexes Recall publishes on
https://docs.recall.ai/docs/meeting-urls (including the 2026 widened Zoom forms), so a test can
check that a Bot's object is consistent with the URL it was scheduled with. It also parses a
few GoTo forms no published pattern covers; `documented_capture` says what the published
patterns determine, and only that is ever held against a server.

Matching follows Recall's regexes: it is unanchored (``re.search``) and case-sensitive, so a URL
embedded in other text is found, and when a string holds links for several platforms the first
in Recall's order wins (Zoom, Google Meet, Teams, Webex, GoTo). The published patterns are
rewritten only where their ``.+`` runs could backtrack badly on long input; the field values
they capture are the same for real URLs. Field mapping (regex group to object field) is
inferred, not documented: Zoom ``id``/``password`` to ``meeting_id``/``meeting_password``, Teams
thread/message/context ``Tid``/``Oid`` to ``thread_id``/``message_id``/``tenant_id``/
``organizer_id``, Webex ``path``/``MTID`` to ``meeting_path``/``meeting_mtid``.
"""

from __future__ import annotations

import json
import re
from typing import TypeAlias
from urllib.parse import parse_qs, unquote

__all__ = [
    "DOCUMENTED_GOTO",
    "PLATFORMS",
    "TEAMS_FIELDS",
    "MeetingUrl",
    "documented_capture",
    "example_urls",
    "is_documented_form",
    "mismatches",
    "parse_meeting_url",
    "platform_of",
]

MeetingUrl: TypeAlias = dict[str, str | None]
"""A ``meeting_url`` object: field name to value, always with a ``platform`` key."""

PLATFORMS: tuple[str, ...] = (
    "zoom",
    "google_meet",
    "microsoft_teams",
    "microsoft_teams_live",
    "webex",
    "goto_meeting",
)

# Longer strings are not parsed at all: no real join link comes near this, and it bounds the
# work the regexes below can do on hostile input.
_MAX_URL_LENGTH = 8192

TEAMS_FIELDS: tuple[str, ...] = (
    "meeting_id",
    "meeting_password",
    "organizer_id",
    "tenant_id",
    "message_id",
    "thread_id",
    "business_meeting_id",
    "business_meeting_password",
)

# Recall's value class for passwords and tokens: `[^&#,<>"\n ]+`.
_VALUE = r"""[^&#,<>"\n ]+"""

# --- Zoom -----------------------------------------------------------------------------------
# Bare meeting/start/web-client link, 2026 form: zoom.us | zoom.com | zoom-x.de, then
# /j/<id>, /s/<id>, /wc/<id>, /wc/join/<id>, optionally followed by /start or /join.
# Subdomains (us02web.zoom.us) match because the pattern is unanchored, as Recall's is.
_ZOOM_MEETING = re.compile(
    r"zoom(?:\.us|\.com|-x\.de)/(?:j|s|wc(?:/join)?)/(?P<id>[0-9]+)(?:/(?:start|join))?"
)
# Personal link: zoom.us/my/<name>. Recall's pattern captures `\w+` and no password.
_ZOOM_PERSONAL = re.compile(r"zoom\.(?:us|com)/my/(?P<id>\w+)")
# Webinar link: zoom.us/w/<id>, with optional tk and pwd later in the query string.
_ZOOM_WEBINAR = re.compile(r"zoom\.(?:us|com)/w/(?P<id>\w+)")
# `pwd=` anywhere in the query string (Recall's `password` and
# `password_later_in_query_string` groups).
_ZOOM_QUERY_PASSWORD = re.compile(r"[?&]pwd=(?P<password>" + _VALUE + ")")
# Legacy invitation text right after the link: " (Password: x)" or " (Passcode: x)".
_ZOOM_LEGACY_PASSWORD = re.compile(r" \((?:Password|Passcode): (?P<password>[^)\n]+)\)")

# --- Google Meet ----------------------------------------------------------------------------
# Recall: `(http.+)?meet\.google\.com\/(?P<id>\w{3}-\w{4}-\w{3})` (the prefix is optional).
_MEET = re.compile(r"meet\.google\.com/(?P<id>\w{3}-\w{4}-\w{3})")

# --- Microsoft Teams ------------------------------------------------------------------------
# Recall's three deep-link patterns start with `http.+`; that prefix is checked in code
# (`_http_before`) instead of in the regex. The thread id cannot hold `?` or whitespace here,
# which real thread ids ("19:meeting_...@thread.v2", URL-encoded or not) never do.
# (a) meetup-join with a literal JSON context.
_TEAMS_JOIN_JSON = re.compile(
    r"meetup-join/(?P<thread_id>[^?\s]+)/(?P<message_id>[0-9]+)\?context=(?P<context>\{.+\})"
)
# (b) message deep link with a query string.
_TEAMS_MESSAGE = re.compile(
    r"message/(?P<thread_id>[^?\s]+)/(?P<message_id>[0-9]+)\?(?P<query>[^<\s.]+)"
)
# (c) meetup-join with a URL-encoded context.
_TEAMS_JOIN_ENCODED = re.compile(
    r"meetup-join/(?P<thread_id>[^?\s]+)/(?P<message_id>[0-9]+)\?context=(?P<context>[^&\s]+)"
)
# (d) Teams personal: https://teams.live.com/meet/<id>, optional p=<password>.
_TEAMS_LIVE = re.compile(r"https://teams\.live\.com/meet/(?P<meeting_id>[0-9]+)")
# (e) Teams short business link: https://teams.microsoft.com/meet/<id>, optional p=<password>.
_TEAMS_SHORT = re.compile(r"https://teams\.microsoft\.com/meet/(?P<meeting_id>[0-9]+)")
_TEAMS_QUERY_PASSWORD = re.compile(r"[?&]p=(?P<password>" + _VALUE + ")")
_CONTEXT_KEY = re.compile(r"""["']?(?P<key>Tid|Oid)["']?\s*:\s*["']?(?P<value>[\w-]+)""")

# --- Webex ----------------------------------------------------------------------------------
# Recall: `\.webex\.com\/(?P<path>.+)\/j\.php\?(.+)?MTID=(?P<mtid>[^&\s]+)`. The subdomain is
# the host part before ".webex.com" (not a group in Recall's pattern).
_WEBEX = re.compile(r"\.webex\.com/(?P<path>[^\s?#]+)/j\.php\?(?P<query>[^\s#]*)")
_WEBEX_MTID = re.compile(r"(?:^|&)MTID=(?P<mtid>[^&\s]+)")

# --- GoTo Meeting ---------------------------------------------------------------------------
# Recall's GoTo regex is cut off in every copy of the docs page we could find: it starts
# `(http.+)?(app\.goto\.com\` and the rest is missing (docs.recall.ai/docs/meeting-urls and its
# .md twin, as indexed when this module was written). So the forms accepted here are our own
# choice, not Recall's: https://app.goto.com/meeting/<digits>, https://meet.goto.com/<digits>
# and https://global.gotomeeting.com/join/<digits>.
_GOTO = re.compile(
    r"(?:app\.goto\.com/meeting|meet\.goto\.com|global\.gotomeeting\.com/join)/(?P<id>[0-9]+)"
)


def parse_meeting_url(url: str) -> MeetingUrl | None:
    """The ``meeting_url`` object Recall would build for ``url``, or None if no platform matches.

    Every field of the platform's shape is present (Teams: all eight, unused ones None). Never
    raises: non-strings, empty, garbage and strings over 8192 characters give None.
    """
    raw: object = url
    if not isinstance(raw, str) or not raw or len(raw) > _MAX_URL_LENGTH:
        return None
    try:
        for parser in (_parse_zoom, _parse_meet, _parse_teams, _parse_webex, _parse_goto):
            parsed = parser(raw)
            if parsed is not None:
                return parsed
    except (ValueError, RecursionError):  # pragma: no cover - defensive; parsers catch their own
        return None
    return None


# The one GoTo form Recall's published pattern shows, `(http.+)?(app\.goto\.com\`, cut off
# there: it says the platform, not what is captured.
DOCUMENTED_GOTO = re.compile(r"app\.goto\.com/")


def documented_capture(url: str) -> MeetingUrl | None:
    """The part of ``url``'s object that Recall's published patterns determine, or None.

    None when no published pattern covers the form (e.g. ``meet.goto.com/<id>`` or
    ``global.gotomeeting.com/join/<id>``): for those, either a parsed object or null is
    conformant. For GoTo ``app.goto.com`` links only ``platform`` is determined. For the other
    platforms every form `parse_meeting_url` knows comes from a published pattern, and the
    whole parsed object is returned.
    """
    parsed = parse_meeting_url(url)
    if parsed is None or parsed["platform"] != "goto_meeting":
        return parsed
    return {"platform": "goto_meeting"} if DOCUMENTED_GOTO.search(url) else None


def is_documented_form(url: object) -> bool:
    """Whether a published Recall pattern covers ``url`` (a string calbot can parse)."""
    return isinstance(url, str) and documented_capture(url) is not None


def platform_of(url: str) -> str | None:
    """The ``platform`` value for ``url`` (one of `PLATFORMS`), or None if no platform matches."""
    parsed = parse_meeting_url(url)
    return None if parsed is None else parsed["platform"]


def mismatches(obj: object, url: str) -> list[str]:
    """Problems with a Bot's ``meeting_url`` object given the URL it was scheduled with.

    An empty list means consistent. Checks ``platform`` and the identifying fields the URL
    determines: Zoom ``meeting_id`` (and ``meeting_password`` only when the URL has one), Meet
    ``meeting_id`` (case-insensitive), Teams ``thread_id``/``message_id`` or ``meeting_id``,
    Webex ``meeting_mtid``; GoTo only ``platform`` (Recall's GoTo pattern is cut off). Values
    are compared after URL-decoding, and an integer equal to the expected digits counts as
    equal (type checks belong to the schema). Extra keys are ignored. Only what Recall's
    published patterns determine is checked (`documented_capture`): for any other form,
    parsed or not, the result is ``[]``.
    """
    expected = documented_capture(url)
    if expected is None:
        return []
    platform = expected["platform"]
    if not isinstance(obj, dict):
        name = type(obj).__name__
        kind = "null" if obj is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
        return [f"meeting_url: expected an object for a {platform} URL, got {kind}"]
    problems: list[str] = []
    got_platform = obj.get("platform")
    if got_platform != platform:
        problems.append(f"platform: expected {platform!r} (from the URL), got {got_platform!r}")
        if not (_is_teams(platform) and _is_teams(got_platform)):
            return problems
    for fields, want in _identifying_fields(expected):
        fold = platform == "google_meet"
        if any(_same(want, obj.get(field), fold_case=fold) for field in fields):
            continue
        where = " or ".join(fields)
        present = [field for field in fields if field in obj]
        if not present:
            problems.append(f"{where}: missing, expected {want!r} (from the URL)")
        else:
            got = obj[present[0]]
            problems.append(f"{where}: expected {want!r} (from the URL), got {got!r}")
    return problems


def example_urls() -> dict[str, list[str]]:
    """A few real URL forms per platform, keyed by ``platform`` (a fresh copy each call).

    The forms Recall's published patterns cover come first for each platform (GoTo:
    ``app.goto.com``); see `is_documented_form`.
    """
    return {
        "zoom": [
            "https://zoom.us/j/84315220467?pwd=abc123",
            "https://us02web.zoom.us/j/84315220467",
            "https://zoom.com/j/84315220467?pwd=abc123",
            "https://zoom.us/s/84315220467",
            "https://zoom.us/wc/join/84315220467",
            "https://app.zoom.us/wc/84315220467/join?pwd=abc123",
            "https://zoom.us/my/johnsmith",
            "https://zoom.us/w/98765432109?tk=tok123&pwd=web456",
        ],
        "google_meet": [
            "https://meet.google.com/abc-defg-hij",
            "https://meet.google.com/xyz-abcd-efg?authuser=0",
        ],
        "microsoft_teams": [
            "https://teams.microsoft.com/l/meetup-join/"
            "19%3ameeting_NjM5ZjU5ZTAtY2E0Yy00ZjYxLWI0MDQtZDY5N2Y4NmNkYzk3%40thread.v2/0"
            "?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a"
            "%22a1b2c3d4-1111-2222-3333-444455556666%22%7d",
            "https://teams.microsoft.com/l/meetup-join/"
            "19:meeting_NjM5ZjU5ZTAtY2E0Yy00ZjYxLWI0MDQtZDY5N2Y4NmNkYzk3@thread.v2/0"
            '?context={"Tid":"72f988bf-86f1-41af-91ab-2d7cd011db47",'
            '"Oid":"a1b2c3d4-1111-2222-3333-444455556666"}',
            "https://teams.microsoft.com/meet/2461712345678?p=AbCdEfGh12",
        ],
        "microsoft_teams_live": [
            "https://teams.live.com/meet/9398850880426?p=RUu7Fs",
            "https://teams.live.com/meet/9398850880426",
        ],
        "webex": [
            "https://acme.webex.com/acme/j.php?MTID=m8b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
            "https://meetingsamer12.webex.com/meetingsamer12/j.php"
            "?MTID=m0123456789abcdef0123456789abcdef",
        ],
        "goto_meeting": [
            "https://app.goto.com/meeting/680504437",
            "https://global.gotomeeting.com/join/680504437",
            "https://meet.goto.com/680504437",
        ],
    }


# --- helpers --------------------------------------------------------------------------------


def _query_after(url: str, end: int) -> str:
    """The query string right after position ``end`` (up to whitespace), or "" if none."""
    if not url.startswith("?", end):
        return ""
    stop = end
    while stop < len(url) and not url[stop].isspace():
        stop += 1
    return url[end:stop]


def _zoom(meeting_id: str, password: str | None) -> MeetingUrl:
    return {"meeting_id": meeting_id, "meeting_password": password, "platform": "zoom"}


def _parse_zoom(url: str) -> MeetingUrl | None:
    match = _ZOOM_MEETING.search(url)
    if match is not None:
        query = _query_after(url, match.end())
        found = _ZOOM_QUERY_PASSWORD.search(query)
        if found is None:
            found = _ZOOM_LEGACY_PASSWORD.match(url, match.end())
        return _zoom(match["id"], None if found is None else found["password"])
    match = _ZOOM_PERSONAL.search(url)
    if match is not None:
        return _zoom(match["id"], None)
    match = _ZOOM_WEBINAR.search(url)
    if match is not None:
        found = _ZOOM_QUERY_PASSWORD.search(_query_after(url, match.end()))
        return _zoom(match["id"], None if found is None else found["password"])
    return None


def _parse_meet(url: str) -> MeetingUrl | None:
    match = _MEET.search(url)
    if match is None:
        return None
    return {"meeting_id": match["id"], "platform": "google_meet"}


def _teams(platform: str, **values: str | None) -> MeetingUrl:
    result: MeetingUrl = dict.fromkeys(TEAMS_FIELDS)
    result.update(values)
    result["platform"] = platform
    return result


def _http_before(url: str, start: int) -> bool:
    """Whether Recall's ``http.+`` prefix can match on the same line before ``start``."""
    line_start = url.rfind("\n", 0, start) + 1
    return url.find("http", line_start, start - 1) != -1


def _search_after_http(pattern: re.Pattern[str], url: str) -> re.Match[str] | None:
    for match in pattern.finditer(url):
        if _http_before(url, match.start()):
            return match
    return None


def _context_ids(context: str) -> tuple[str | None, str | None]:
    """``(Tid, Oid)`` from a Teams ``context`` value, JSON or URL-encoded JSON."""
    candidates = [context]
    for _ in range(2):
        decoded = unquote(candidates[-1])
        if decoded == candidates[-1]:
            break
        candidates.append(decoded)
    for text in candidates:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            tid, oid = data.get("Tid"), data.get("Oid")
            return (
                tid if isinstance(tid, str) else None,
                oid if isinstance(oid, str) else None,
            )
    found = {m["key"]: m["value"] for m in _CONTEXT_KEY.finditer(candidates[-1])}
    return found.get("Tid"), found.get("Oid")


def _parse_teams(url: str) -> MeetingUrl | None:
    if "meetup-join/" in url or "message/" in url:
        for pattern in (_TEAMS_JOIN_JSON, _TEAMS_MESSAGE, _TEAMS_JOIN_ENCODED):
            match = _search_after_http(pattern, url)
            if match is None:
                continue
            if pattern is _TEAMS_MESSAGE:
                tenant, organizer = _message_ids(match["query"])
            else:
                tenant, organizer = _context_ids(match["context"])
            return _teams(
                "microsoft_teams",
                thread_id=unquote(match["thread_id"]),
                message_id=match["message_id"],
                tenant_id=tenant,
                organizer_id=organizer,
            )
    for pattern, platform in (
        (_TEAMS_LIVE, "microsoft_teams_live"),
        (_TEAMS_SHORT, "microsoft_teams"),
    ):
        match = pattern.search(url)
        if match is not None:
            found = _TEAMS_QUERY_PASSWORD.search(_query_after(url, match.end()))
            return _teams(
                platform,
                meeting_id=match["meeting_id"],
                meeting_password=None if found is None else found["password"],
            )
    return None


def _message_ids(query: str) -> tuple[str | None, str | None]:
    """``(tenant, organizer)`` from a Teams message deep link's query string."""
    params = parse_qs(query)
    if "context" in params:
        tenant, organizer = _context_ids(params["context"][0])
        if tenant is not None or organizer is not None:
            return tenant, organizer
    tenants = params.get("tenantId")
    return (tenants[0] if tenants else None), None


def _parse_webex(url: str) -> MeetingUrl | None:
    if ".webex.com/" not in url:
        return None
    for match in _WEBEX.finditer(url):
        found = _WEBEX_MTID.search(match["query"])
        if found is None:
            continue
        start = match.start()
        while start > 0 and (url[start - 1].isalnum() or url[start - 1] in "-_."):
            start -= 1
        return {
            "meeting_subdomain": url[start : match.start()],
            "meeting_mtid": found["mtid"],
            "meeting_path": match["path"],
            "platform": "webex",
        }
    return None


def _parse_goto(url: str) -> MeetingUrl | None:
    match = _GOTO.search(url)
    if match is None:
        return None
    return {"meeting_id": match["id"], "platform": "goto_meeting"}


def _is_teams(platform: object) -> bool:
    return platform in ("microsoft_teams", "microsoft_teams_live")


def _identifying_fields(expected: MeetingUrl) -> list[tuple[tuple[str, ...], str]]:
    """``(accepted field names, expected value)`` pairs that `mismatches` compares."""
    platform = expected["platform"]
    checks: list[tuple[tuple[str, ...], str]] = []

    def add(*fields: str, value: str | None) -> None:
        if value is not None:
            checks.append((fields, value))

    if platform == "webex":
        add("meeting_mtid", value=expected["meeting_mtid"])
    elif _is_teams(platform) and expected["thread_id"] is not None:
        add("thread_id", value=expected["thread_id"])
        add("message_id", value=expected["message_id"])
    elif platform == "microsoft_teams":
        # Short teams.microsoft.com/meet links: Recall may report the id as business_meeting_id.
        add("meeting_id", "business_meeting_id", value=expected["meeting_id"])
    elif platform != "goto_meeting":
        add("meeting_id", value=expected["meeting_id"])
        if platform == "zoom":
            add("meeting_password", value=expected["meeting_password"])
    return checks


def _same(want: str, got: object, *, fold_case: bool) -> bool:
    if isinstance(got, int) and not isinstance(got, bool):
        got = str(got)
    if not isinstance(got, str):
        return False
    left, right = unquote(want), unquote(got)
    if fold_case:
        left, right = left.lower(), right.lower()
    return left == right
