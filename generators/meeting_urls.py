"""Meeting-URL strings per platform, each with the ``meeting_url`` object it must parse to.

The strings follow the real link shapes (https://docs.recall.ai/docs/meeting-urls): Zoom
``/j/``, ``/s/``, ``/wc/join/``, ``/wc/<id>/join`` and ``/my/`` links on ``zoom.us``, its
``usNNweb`` subdomains, ``zoom.com`` and ``zoom-x.de``, with and without ``pwd``; Google Meet;
Teams for Business ``meetup-join`` links with a URL-encoded (or literal) JSON ``context`` and
the short ``teams.microsoft.com/meet/<id>?p=`` form; Teams personal ``teams.live.com/meet/<id>?p=``;
Webex ``j.php?MTID=``; GoTo Meeting (``app.goto.com``, the form Recall publishes, and two forms
no published pattern covers: `calbot.spec.meeting_urls.is_documented_form` tells them apart).
Ids, passwords, tenants and subdomains are generated, and
the expected object is built from the generated parts, never by calling the parser, so
``parse_meeting_url(url) == obj`` is a real check of `calbot.spec.meeting_urls`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import string
import uuid
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from calbot.spec.meeting_urls import PLATFORMS, TEAMS_FIELDS, MeetingUrl

__all__ = ["meeting_url_strings", "meeting_urls"]

_LOWER = string.ascii_lowercase
_ALNUM = string.ascii_letters + string.digits


def _digits(low: int, high: int) -> SearchStrategy[str]:
    """A string of ``low``..``high`` digits, shrinking to zeros."""
    return st.text(alphabet=string.digits, min_size=low, max_size=high)


def _optional(strategy: SearchStrategy[str]) -> SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


# --- Zoom -----------------------------------------------------------------------------------

_ZOOM_PASSWORDS = st.text(alphabet=_ALNUM + ".", min_size=1, max_size=32)
_ZOOM_SUBDOMAINS = st.one_of(
    st.just(""),
    st.integers(min_value=1, max_value=99).map(lambda n: f"us{n:02d}web."),
    st.sampled_from(["app.", "acme."]),
)
# zoom.us takes subdomains (us02web.zoom.us, app.zoom.us); zoom.com and zoom-x.de are bare.
_ZOOM_HOSTS = st.one_of(
    _ZOOM_SUBDOMAINS.map(lambda sub: sub + "zoom.us"),
    st.sampled_from(["zoom.com", "zoom-x.de"]),
)
# Query parameters that real links carry around ``pwd`` (which the parser must skip).
_ZOOM_BEFORE = st.sampled_from(["", "from=addon&", "omn=84315220467&"])
_ZOOM_AFTER = st.sampled_from(["", "&uname=Ann", "#success"])


def _zoom_object(meeting_id: str, password: str | None) -> MeetingUrl:
    return {"meeting_id": meeting_id, "meeting_password": password, "platform": "zoom"}


def _zoom_meeting(
    *, host: str, form: str, meeting_id: str, password: str | None, before: str, after: str
) -> tuple[str, MeetingUrl]:
    path = form.format(id=meeting_id)
    params = before + ("" if password is None else f"pwd={password}")
    if params.endswith("&"):
        params = params[:-1]
    query = f"?{params}" if params else ""
    if after.startswith("&") and not query:
        after = ""
    return f"https://{host}{path}{query}{after}", _zoom_object(meeting_id, password)


def _zoom_personal(host: str, name: str) -> tuple[str, MeetingUrl]:
    return f"https://{host}/my/{name}", _zoom_object(name, None)


def _zoom() -> SearchStrategy[tuple[str, MeetingUrl]]:
    meeting = st.builds(
        _zoom_meeting,
        host=_ZOOM_HOSTS,
        form=st.sampled_from(["/j/{id}", "/s/{id}", "/wc/join/{id}", "/wc/{id}/join"]),
        meeting_id=_digits(9, 11),
        password=_optional(_ZOOM_PASSWORDS),
        before=_ZOOM_BEFORE,
        after=_ZOOM_AFTER,
    )
    personal = st.builds(
        _zoom_personal,
        _ZOOM_SUBDOMAINS.map(lambda sub: sub + "zoom.us") | st.just("zoom.com"),
        st.text(alphabet=_LOWER + string.digits, min_size=5, max_size=20),
    )
    return meeting | personal


# --- Google Meet ----------------------------------------------------------------------------


def _meet_link(a: str, b: str, c: str, query: str) -> tuple[str, MeetingUrl]:
    meeting_id = f"{a}-{b}-{c}"
    return f"https://meet.google.com/{meeting_id}{query}", {
        "meeting_id": meeting_id,
        "platform": "google_meet",
    }


def _meet() -> SearchStrategy[tuple[str, MeetingUrl]]:
    def part(n: int) -> SearchStrategy[str]:
        return st.text(alphabet=_LOWER, min_size=n, max_size=n)

    queries = st.sampled_from(["", "?authuser=0", "?authuser=1", "?hs=122&authuser=0", "?pli=1"])
    return st.builds(_meet_link, part(3), part(4), part(3), queries)


# --- Microsoft Teams ------------------------------------------------------------------------


def _teams_object(platform: str, **values: str | None) -> MeetingUrl:
    result: MeetingUrl = dict.fromkeys(TEAMS_FIELDS)
    result.update(values)
    result["platform"] = platform
    return result


def _percent_encode(text: str, *, lower: bool) -> str:
    encoded = quote(text, safe="")
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded) if lower else encoded


def _teams_business(
    *,
    thread_uuid: uuid.UUID,
    message_id: str,
    tenant: uuid.UUID,
    organizer: uuid.UUID,
    broadcast: bool,
    encoding: str,
    suffix: str,
) -> tuple[str, MeetingUrl]:
    # Real thread ids are "19:meeting_<base64 of a GUID string>@thread.v2".
    token = base64.b64encode(str(thread_uuid).encode()).decode()
    thread_id = f"19:meeting_{token}@thread.v2"
    context: dict[str, object] = {"Tid": str(tenant), "Oid": str(organizer)}
    if broadcast:  # Teams live-event links add this key
        context["IsBroadcastMeeting"] = True
    context_json = json.dumps(context, separators=(",", ":"))
    if encoding == "json":  # the literal form, as a browser or an invitation shows it
        thread_part, context_part = thread_id, context_json
    else:
        lower = encoding == "lower"
        thread_part = _percent_encode(thread_id, lower=lower)
        context_part = _percent_encode(context_json, lower=lower)
    url = (
        f"https://teams.microsoft.com/l/meetup-join/{thread_part}/{message_id}"
        f"?context={context_part}{suffix}"
    )
    return url, _teams_object(
        "microsoft_teams",
        thread_id=thread_id,
        message_id=message_id,
        tenant_id=str(tenant),
        organizer_id=str(organizer),
    )


def _teams_meet(
    host: str, platform: str, meeting_id: str, password: str | None
) -> tuple[str, MeetingUrl]:
    query = "" if password is None else f"?p={password}"
    return f"https://{host}/meet/{meeting_id}{query}", _teams_object(
        platform, meeting_id=meeting_id, meeting_password=password
    )


_TEAMS_PASSWORDS = st.text(alphabet=_ALNUM, min_size=6, max_size=16)


def _teams() -> SearchStrategy[tuple[str, MeetingUrl]]:
    business = st.builds(
        _teams_business,
        thread_uuid=st.uuids(),
        message_id=st.just("0") | st.integers(10**12, 2 * 10**12).map(str),
        tenant=st.uuids(),
        organizer=st.uuids(),
        broadcast=st.booleans(),
        encoding=st.sampled_from(["lower", "upper", "json"]),
        # Parameters Outlook and the Teams client append after the context.
        suffix=st.sampled_from(["", "&anon=true", "&btype=a&role=a"]),
    )
    short = st.builds(
        _teams_meet,
        st.just("teams.microsoft.com"),
        st.just("microsoft_teams"),
        _digits(12, 15),
        _optional(_TEAMS_PASSWORDS),
    )
    return business | short


def _teams_live() -> SearchStrategy[tuple[str, MeetingUrl]]:
    return st.builds(
        _teams_meet,
        st.just("teams.live.com"),
        st.just("microsoft_teams_live"),
        _digits(13, 13),
        _optional(_TEAMS_PASSWORDS),
    )


# --- Webex ----------------------------------------------------------------------------------


def _webex_link(site: str, personal: bool, mtid: str) -> tuple[str, MeetingUrl]:
    # Sites are https://<site>.webex.com/<site>/j.php?MTID=m<32 hex>; personal-room sites
    # live under <site>.my.webex.com with the path <site>.my.
    subdomain = f"{site}.my" if personal else site
    url = f"https://{subdomain}.webex.com/{subdomain}/j.php?MTID={mtid}"
    return url, {
        "meeting_subdomain": subdomain,
        "meeting_mtid": mtid,
        "meeting_path": subdomain,
        "platform": "webex",
    }


def _webex() -> SearchStrategy[tuple[str, MeetingUrl]]:
    sites = st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(_LOWER),
        st.text(alphabet=_LOWER + string.digits, max_size=14),
    )
    mtids = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32).map(lambda h: "m" + h)
    return st.builds(_webex_link, sites, st.booleans(), mtids)


# --- GoTo Meeting ---------------------------------------------------------------------------


def _goto_link(form: str, meeting_id: str) -> tuple[str, MeetingUrl]:
    return form.format(id=meeting_id), {"meeting_id": meeting_id, "platform": "goto_meeting"}


def _goto() -> SearchStrategy[tuple[str, MeetingUrl]]:
    forms = st.sampled_from(
        [
            "https://global.gotomeeting.com/join/{id}",
            "https://meet.goto.com/{id}",
            "https://app.goto.com/meeting/{id}",
        ]
    )
    return st.builds(_goto_link, forms, _digits(9, 9))


_BUILDERS = {
    "zoom": _zoom,
    "google_meet": _meet,
    "microsoft_teams": _teams,
    "microsoft_teams_live": _teams_live,
    "webex": _webex,
    "goto_meeting": _goto,
}


def meeting_urls(platform: str | None = None) -> SearchStrategy[tuple[str, MeetingUrl]]:
    """``(url, object)`` pairs: a meeting link and the ``meeting_url`` object it parses to.

    ``platform`` is one of `calbot.spec.meeting_urls.PLATFORMS`; None means any platform.
    Shrinks towards a short Zoom link such as ``https://zoom.us/my/00000``.
    """
    if platform is not None and platform not in _BUILDERS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    return _meeting_urls(platform)


@functools.cache
def _meeting_urls(platform: str | None) -> SearchStrategy[tuple[str, MeetingUrl]]:
    # One strategy object per platform: Hypothesis validates a strategy on its first draw,
    # which costs milliseconds for these nested ones, so reusing them keeps tests fast.
    if platform is None:
        return st.one_of([build() for build in _BUILDERS.values()])
    return _BUILDERS[platform]()


def meeting_url_strings(platform: str | None = None) -> SearchStrategy[str]:
    """Meeting links as strings (the first element of `meeting_urls`)."""
    if platform is not None and platform not in _BUILDERS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    return _meeting_url_strings(platform)


@functools.cache
def _meeting_url_strings(platform: str | None) -> SearchStrategy[str]:
    return _meeting_urls(platform).map(lambda pair: pair[0])
