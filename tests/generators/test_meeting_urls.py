"""calbot.generators.meeting_urls: generated links and the objects they must parse to."""

from __future__ import annotations

from collections.abc import Callable

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from calbot.generators import meeting_url_strings, meeting_urls
from calbot.spec.meeting_urls import PLATFORMS, MeetingUrl, example_urls, parse_meeting_url

FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FIND = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])

SCHEMAS = {
    "zoom": "ZoomMeetingUrl",
    "google_meet": "GoogleMeetMeetingUrl",
    "microsoft_teams": "TeamsMeetingUrl",
    "microsoft_teams_live": "TeamsMeetingUrl",
    "webex": "WebexMeetingUrl",
    "goto_meeting": "GoToMeetingUrl",
}


@FAST
@given(meeting_urls())
def test_every_generated_url_parses_to_its_object(pair: tuple[str, MeetingUrl]) -> None:
    url, expected = pair
    assert parse_meeting_url(url) == expected


@pytest.mark.parametrize("platform", PLATFORMS)
@FAST
@given(data=st.data())
def test_a_platform_gives_only_its_own_links(
    platform: str,
    data: st.DataObject,
    schema_validator: Callable[[str], jsonschema.Draft202012Validator],
) -> None:
    url, expected = data.draw(meeting_urls(platform))
    assert expected["platform"] == platform
    assert parse_meeting_url(url) == expected
    assert url.startswith("https://")
    schema_validator(SCHEMAS[platform]).validate(expected)
    schema_validator("MeetingUrl").validate(expected)


@FAST
@given(meeting_url_strings())
def test_strings_are_parseable_links_without_whitespace(url: str) -> None:
    assert parse_meeting_url(url) is not None
    assert not any(char.isspace() for char in url)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_links_are_generated_not_only_the_fixed_examples(platform: str) -> None:
    fixed = {url for urls in example_urls().values() for url in urls}
    url = find(meeting_url_strings(platform), lambda u: u not in fixed, settings=FIND)
    assert url not in fixed


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("zoom with pwd", lambda p: p[1].get("meeting_password") is not None and "pwd=" in p[0]),
        ("zoom without pwd", lambda p: p[1]["platform"] == "zoom" and "pwd=" not in p[0]),
        ("zoom.com", lambda p: "://zoom.com/" in p[0]),
        ("zoom subdomain", lambda p: "web.zoom.us/" in p[0]),
        ("zoom /s/", lambda p: "zoom.us/s/" in p[0]),
        ("zoom /wc/join/", lambda p: "/wc/join/" in p[0]),
        ("google meet", lambda p: p[1]["platform"] == "google_meet"),
        (
            "teams meetup-join with URL-encoded context",
            lambda p: "meetup-join/19%3ameeting_" in p[0] and "context=%7b%22Tid%22" in p[0],
        ),
        ("teams meetup-join with JSON context", lambda p: 'context={"Tid":' in p[0]),
        ("teams live with p=", lambda p: "teams.live.com/meet/" in p[0] and "?p=" in p[0]),
        ("webex with MTID", lambda p: "/j.php?MTID=m" in p[0]),
        ("goto", lambda p: p[1]["platform"] == "goto_meeting"),
    ],
)
def test_every_documented_form_is_reachable(
    description: str, condition: Callable[[tuple[str, MeetingUrl]], bool]
) -> None:
    found = find(meeting_urls(), condition, settings=FIND)
    assert condition(found), description


def test_unknown_platform_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown platform 'skype'"):
        meeting_urls("skype")


def test_shrinks_to_a_short_readable_link() -> None:
    shrink = settings(FIND, phases=[Phase.generate, Phase.shrink])
    url = find(meeting_url_strings(), lambda u: True, settings=shrink)
    assert len(url) <= 40
    assert url.isascii()
    url = find(meeting_url_strings("microsoft_teams_live"), lambda u: "?p=" in u, settings=shrink)
    assert url.startswith("https://teams.live.com/meet/")
    assert len(url) <= 60
