"""Tests for calbot.spec.meeting_urls: URL strings to Recall's per-platform meeting_url objects."""

from __future__ import annotations

import time
from typing import Any

import jsonschema
import pytest

from calbot.spec import load_spec, meeting_urls
from calbot.spec.meeting_urls import MeetingUrl, mismatches, parse_meeting_url, platform_of

TEAMS_THREAD = "19:meeting_NjM5ZjU5ZTAtY2E0Yy00ZjYxLWI0MDQtZDY5N2Y4NmNkYzk3@thread.v2"
TEAMS_THREAD_ENCODED = "19%3ameeting_NjM5ZjU5ZTAtY2E0Yy00ZjYxLWI0MDQtZDY5N2Y4NmNkYzk3%40thread.v2"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ORGANIZER = "a1b2c3d4-1111-2222-3333-444455556666"
TEAMS_ENCODED_URL = (
    f"https://teams.microsoft.com/l/meetup-join/{TEAMS_THREAD_ENCODED}/0"
    f"?context=%7b%22Tid%22%3a%22{TENANT}%22%2c%22Oid%22%3a%22{ORGANIZER}%22%7d"
)
TEAMS_JSON_URL = (
    f"https://teams.microsoft.com/l/meetup-join/{TEAMS_THREAD}/0"
    f'?context={{"Tid":"{TENANT}","Oid":"{ORGANIZER}"}}'
)
MTID = "m8b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"


def zoom(meeting_id: str, password: str | None = None) -> MeetingUrl:
    return {"meeting_id": meeting_id, "meeting_password": password, "platform": "zoom"}


def teams(platform: str = "microsoft_teams", **values: str | None) -> MeetingUrl:
    result: MeetingUrl = {
        "meeting_id": None,
        "meeting_password": None,
        "organizer_id": None,
        "tenant_id": None,
        "message_id": None,
        "thread_id": None,
        "business_meeting_id": None,
        "business_meeting_password": None,
    }
    result.update(values)
    result["platform"] = platform
    return result


TEAMS_BUSINESS = teams(
    thread_id=TEAMS_THREAD, message_id="0", tenant_id=TENANT, organizer_id=ORGANIZER
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Zoom bare meeting links: /j/, /s/, /wc/join/, /wc/<id>/join, hosts and subdomains.
        ("https://zoom.us/j/84315220467?pwd=abc123", zoom("84315220467", "abc123")),
        ("https://zoom.us/j/84315220467", zoom("84315220467")),
        ("https://us02web.zoom.us/j/84315220467", zoom("84315220467")),
        ("https://zoom.com/j/84315220467?pwd=abc123", zoom("84315220467", "abc123")),
        ("https://zoom-x.de/j/84315220467", zoom("84315220467")),
        ("https://zoom.us/s/84315220467", zoom("84315220467")),
        ("https://zoom.us/wc/join/84315220467", zoom("84315220467")),
        ("https://app.zoom.us/wc/84315220467/join?pwd=abc123", zoom("84315220467", "abc123")),
        ("https://zoom.us/wc/84315220467/start", zoom("84315220467")),
        (
            "https://us06web.zoom.us/j/84315220467?from=addon&pwd=Xy7.1",
            zoom("84315220467", "Xy7.1"),
        ),
        ("https://zoom.us/j/84315220467?pwd=abc123#success", zoom("84315220467", "abc123")),
        ("https://zoom.us/j/84315220467?pwd=abc123&uname=Ann", zoom("84315220467", "abc123")),
        ("https://zoom.us/j/84315220467?tk=tok123", zoom("84315220467")),
        ("Join: https://zoom.us/j/84315220467 (Passcode: 918273)", zoom("84315220467", "918273")),
        ("https://zoom.us/j/84315220467 (Password: s3cret)", zoom("84315220467", "s3cret")),
        # Zoom personal: Recall's pattern captures `\w+` and no password.
        ("https://zoom.us/my/johnsmith", zoom("johnsmith")),
        ("https://acme.zoom.us/my/johnsmith?pwd=abc", zoom("johnsmith")),
        # Zoom webinar: optional tk, pwd later in the query string.
        ("https://zoom.us/w/98765432109?tk=tok123&pwd=web456", zoom("98765432109", "web456")),
        ("https://zoom.us/w/98765432109", zoom("98765432109")),
        # Google Meet.
        (
            "https://meet.google.com/abc-defg-hij",
            {"meeting_id": "abc-defg-hij", "platform": "google_meet"},
        ),
        (
            "meet.google.com/xyz-abcd-efg?authuser=0",
            {"meeting_id": "xyz-abcd-efg", "platform": "google_meet"},
        ),
        # Teams for Business meetup-join: URL-encoded context, plain JSON context, extra params.
        (TEAMS_ENCODED_URL, TEAMS_BUSINESS),
        (TEAMS_JSON_URL, TEAMS_BUSINESS),
        (TEAMS_ENCODED_URL + "&btype=a&role=a", TEAMS_BUSINESS),
        (
            f"https://teams.microsoft.com/l/meetup-join/{TEAMS_THREAD_ENCODED}/1700000000000"
            f"?context=%7b%22Tid%22%3a%22{TENANT}%22%7d",
            teams(thread_id=TEAMS_THREAD, message_id="1700000000000", tenant_id=TENANT),
        ),
        # Teams message deep link with tenantId in the query string.
        (
            f"https://teams.microsoft.com/l/message/{TEAMS_THREAD}/1700000000000"
            f"?tenantId={TENANT}&groupId=g1",
            teams(thread_id=TEAMS_THREAD, message_id="1700000000000", tenant_id=TENANT),
        ),
        # Teams personal (teams.live.com) and the short business link.
        (
            "https://teams.live.com/meet/9398850880426?p=RUu7Fs",
            teams("microsoft_teams_live", meeting_id="9398850880426", meeting_password="RUu7Fs"),
        ),
        (
            "https://teams.live.com/meet/9398850880426",
            teams("microsoft_teams_live", meeting_id="9398850880426"),
        ),
        (
            "https://teams.microsoft.com/meet/2461712345678?p=AbCdEfGh12",
            teams(meeting_id="2461712345678", meeting_password="AbCdEfGh12"),
        ),
        # Webex.
        (
            f"https://acme.webex.com/acme/j.php?MTID={MTID}",
            {
                "meeting_subdomain": "acme",
                "meeting_mtid": MTID,
                "meeting_path": "acme",
                "platform": "webex",
            },
        ),
        (
            "https://meetingsamer12.webex.com/meet/j.php?from=inv&MTID=m0123abc&x=1",
            {
                "meeting_subdomain": "meetingsamer12",
                "meeting_mtid": "m0123abc",
                "meeting_path": "meet",
                "platform": "webex",
            },
        ),
        (
            "https://acme.my.webex.com/acme.my/j.php?MTID=mfeed",
            {
                "meeting_subdomain": "acme.my",
                "meeting_mtid": "mfeed",
                "meeting_path": "acme.my",
                "platform": "webex",
            },
        ),
        # GoTo (our own forms; Recall's regex is cut off in the docs).
        (
            "https://global.gotomeeting.com/join/680504437",
            {"meeting_id": "680504437", "platform": "goto_meeting"},
        ),
        (
            "https://meet.goto.com/680504437",
            {"meeting_id": "680504437", "platform": "goto_meeting"},
        ),
        (
            "https://app.goto.com/meeting/680504437",
            {"meeting_id": "680504437", "platform": "goto_meeting"},
        ),
    ],
)
def test_parse_real_url_forms(url: str, expected: MeetingUrl) -> None:
    assert parse_meeting_url(url) == expected
    assert platform_of(url) == expected["platform"]


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "https://example.com/j/123",
        "https://example.com/",
        "https://zoom.us/",
        "https://zoom.us/j/",
        "https://zoom.us/j/abc",
        "https://zoom.us/my/",
        "https://meet.google.com/",
        "https://meet.google.com/abc-defg",
        "https://teams.microsoft.com/",
        "https://teams.microsoft.com/l/meetup-join/",
        f"https://teams.microsoft.com/l/meetup-join/{TEAMS_THREAD_ENCODED}/0",
        # Recall's meetup-join patterns need an `http` prefix.
        f"teams.microsoft.com/l/meetup-join/{TEAMS_THREAD_ENCODED}/0?context=%7b%7d",
        "https://teams.live.com/meet/abc",
        "https://acme.webex.com/acme/j.php",
        "https://acme.webex.com/acme/j.php?from=inv",
        "https://www.webex.com/",
        "https://meet.goto.com/",
        "https://app.goto.com/meeting/",
        "\x00\udcff\n\t",
        "a" * 100_000,
        "https://zoom.us/j/84315220467?pwd=" + "x" * 100_000,
    ],
)
def test_urls_matching_no_platform_give_none(url: str) -> None:
    assert parse_meeting_url(url) is None
    assert platform_of(url) is None


@pytest.mark.parametrize("value", [None, 123, b"https://zoom.us/j/1", ["https://zoom.us/j/1"]])
def test_non_strings_give_none(value: object) -> None:
    assert parse_meeting_url(value) is None  # type: ignore[arg-type]
    assert platform_of(value) is None  # type: ignore[arg-type]
    assert mismatches({"platform": "zoom"}, value) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http" * 2000,
        "http://" + "meetup-join/" * 650,
        "http://" + "meetup-join/x/1?context=" * 300,
        "http://" + "message/x/1?" * 600,
        ".webex.com/" * 700,
        "MTID=" + ".webex.com/a/j.php?" * 400,
        "zoom.us/j/" * 800,
        "https://zoom.us/j/1?" + "&pwd" * 2000,
        "meet.google.com/" * 500,
        "https://teams.live.com/meet/1" + "?p" * 4000,
        "a" * 8000,
        "a." * 4000 + "webex.com/",
    ],
)
def test_hostile_input_is_fast_and_does_not_raise(url: str) -> None:
    started = time.perf_counter()
    result = parse_meeting_url(url)
    # A hang guard, not a speed figure: catastrophic backtracking on these takes minutes.
    assert time.perf_counter() - started < 30.0
    assert result is None or result["platform"] in meeting_urls.PLATFORMS


def test_first_platform_in_recalls_order_wins() -> None:
    text = "Meet: https://meet.google.com/abc-defg-hij or Zoom: https://zoom.us/j/84315220467"
    assert parse_meeting_url(text) == zoom("84315220467")


def test_platforms_constant() -> None:
    assert meeting_urls.PLATFORMS == (
        "zoom",
        "google_meet",
        "microsoft_teams",
        "microsoft_teams_live",
        "webex",
        "goto_meeting",
    )


def test_example_urls_cover_every_platform_and_parse_to_it() -> None:
    examples = meeting_urls.example_urls()
    assert tuple(examples) == meeting_urls.PLATFORMS
    for platform, urls in examples.items():
        assert len(urls) >= 2
        for url in urls:
            assert platform_of(url) == platform, url


def test_example_urls_returns_fresh_lists() -> None:
    meeting_urls.example_urls()["zoom"].clear()
    assert meeting_urls.example_urls()["zoom"]


def _schema_for(platform: str) -> dict[str, Any]:
    schemas: dict[str, Any] = load_spec()["components"]["schemas"]
    ref: str = schemas["MeetingUrl"]["discriminator"]["mapping"][platform]
    return dict(schemas[ref.rsplit("/", 1)[-1]])


@pytest.mark.parametrize(
    "url", [url for urls in meeting_urls.example_urls().values() for url in urls]
)
def test_parsed_examples_have_exactly_the_fragment_shape(url: str) -> None:
    parsed = parse_meeting_url(url)
    assert parsed is not None
    schema = _schema_for(str(parsed["platform"]))
    schema.pop("examples", None)
    jsonschema.validate(parsed, schema)
    assert set(parsed) == set(schema["properties"])


# --- mismatches -------------------------------------------------------------------------------

ZOOM_URL = "https://zoom.us/j/84315220467?pwd=abc123"


@pytest.mark.parametrize(
    ("obj", "url"),
    [
        (zoom("84315220467", "abc123"), ZOOM_URL),
        # Password is only compared when the URL carries one.
        (zoom("84315220467", "fromapi"), "https://zoom.us/j/84315220467"),
        (zoom("84315220467"), "https://zoom.us/j/84315220467"),
        # Extra keys are ignored; integer ids equal to the digits count as equal.
        ({**zoom("84315220467", "abc123"), "extra": [1, 2]}, ZOOM_URL),
        ({"meeting_id": 84315220467, "meeting_password": "abc123", "platform": "zoom"}, ZOOM_URL),
        (
            {"meeting_id": "ABC-DEFG-HIJ", "platform": "google_meet"},
            "https://meet.google.com/abc-defg-hij",
        ),
        (TEAMS_BUSINESS, TEAMS_ENCODED_URL),
        (teams(thread_id=TEAMS_THREAD_ENCODED, message_id="0"), TEAMS_JSON_URL),
        (
            teams("microsoft_teams_live", meeting_id="9398850880426", meeting_password="x"),
            "https://teams.live.com/meet/9398850880426?p=RUu7Fs",
        ),
        (
            teams(business_meeting_id="2461712345678", business_meeting_password="AbCdEfGh12"),
            "https://teams.microsoft.com/meet/2461712345678?p=AbCdEfGh12",
        ),
        (
            {"meeting_mtid": MTID, "platform": "webex"},
            f"https://acme.webex.com/acme/j.php?MTID={MTID}",
        ),
        (
            {"meeting_id": "680504437", "platform": "goto_meeting"},
            "https://meet.goto.com/680504437",
        ),
    ],
)
def test_mismatches_consistent_objects(obj: object, url: str) -> None:
    assert mismatches(obj, url) == []


def test_mismatches_wrong_platform() -> None:
    obj = {"meeting_id": "abc-defg-hij", "platform": "google_meet"}
    assert mismatches(obj, ZOOM_URL) == [
        "platform: expected 'zoom' (from the URL), got 'google_meet'"
    ]


def test_mismatches_teams_live_reported_as_business_still_checks_ids() -> None:
    obj = teams(meeting_id="1111111111111")
    assert mismatches(obj, "https://teams.live.com/meet/9398850880426?p=RUu7Fs") == [
        "platform: expected 'microsoft_teams_live' (from the URL), got 'microsoft_teams'",
        "meeting_id: expected '9398850880426' (from the URL), got '1111111111111'",
    ]


def test_mismatches_wrong_ids() -> None:
    assert mismatches(zoom("111", "abc123"), ZOOM_URL) == [
        "meeting_id: expected '84315220467' (from the URL), got '111'"
    ]
    assert mismatches(zoom("84315220467", None), ZOOM_URL) == [
        "meeting_password: expected 'abc123' (from the URL), got None"
    ]
    assert mismatches(teams(thread_id=TEAMS_THREAD, message_id="7"), TEAMS_ENCODED_URL) == [
        "message_id: expected '0' (from the URL), got '7'"
    ]
    webex_url = f"https://acme.webex.com/acme/j.php?MTID={MTID}"
    assert mismatches({"meeting_mtid": "mother", "platform": "webex"}, webex_url) == [
        f"meeting_mtid: expected {MTID!r} (from the URL), got 'mother'"
    ]
    short_url = "https://teams.microsoft.com/meet/2461712345678?p=AbCdEfGh12"
    assert mismatches(teams(business_meeting_id="9"), short_url) == [
        "meeting_id or business_meeting_id: expected '2461712345678' (from the URL), got None"
    ]


def test_mismatches_missing_fields() -> None:
    assert mismatches({"platform": "microsoft_teams"}, TEAMS_ENCODED_URL) == [
        f"thread_id: missing, expected {TEAMS_THREAD!r} (from the URL)",
        "message_id: missing, expected '0' (from the URL)",
    ]


@pytest.mark.parametrize(
    ("obj", "kind"),
    [
        (None, "null"),
        (ZOOM_URL, "a str"),
        ([zoom("84315220467")], "a list"),
        (84315220467, "an int"),
    ],
)
def test_mismatches_not_a_dict(obj: object, kind: str) -> None:
    assert mismatches(obj, ZOOM_URL) == [
        f"meeting_url: expected an object for a zoom URL, got {kind}"
    ]


@pytest.mark.parametrize("url", ["", "not a url", "https://example.com/j/123", "a" * 100_000])
def test_mismatches_unparseable_url_checks_nothing(url: str) -> None:
    assert mismatches(None, url) == []
    assert mismatches({"platform": "zoom", "meeting_id": "1"}, url) == []


# --- evidence: what Recall's published patterns determine ------------------------------------

GOTO_APP = "https://app.goto.com/meeting/680504437"
GOTO_OWN = ["https://meet.goto.com/680504437", "https://global.gotomeeting.com/join/680504437"]


@pytest.mark.parametrize("url", GOTO_OWN)
def test_goto_forms_no_published_pattern_covers_accept_any_answer(url: str) -> None:
    assert parse_meeting_url(url) == {"meeting_id": "680504437", "platform": "goto_meeting"}
    assert meeting_urls.documented_capture(url) is None
    assert not meeting_urls.is_documented_form(url)
    for answer in (None, {"platform": "goto_meeting"}, {"platform": "zoom"}, "x"):
        assert mismatches(answer, url) == []


def test_the_published_goto_form_determines_the_platform_only() -> None:
    assert meeting_urls.documented_capture(GOTO_APP) == {"platform": "goto_meeting"}
    assert mismatches({"platform": "goto_meeting"}, GOTO_APP) == []
    assert mismatches({"platform": "goto_meeting", "meeting_id": "1"}, GOTO_APP) == []
    assert mismatches({"platform": "zoom"}, GOTO_APP) == [
        "platform: expected 'goto_meeting' (from the URL), got 'zoom'"
    ]
    assert mismatches(None, GOTO_APP) == [
        "meeting_url: expected an object for a goto_meeting URL, got null"
    ]


def test_every_other_example_form_is_documented_and_fully_determined() -> None:
    for platform, urls in meeting_urls.example_urls().items():
        for url in urls:
            if platform != "goto_meeting":
                assert meeting_urls.documented_capture(url) == parse_meeting_url(url), url
    assert meeting_urls.is_documented_form(meeting_urls.example_urls()["goto_meeting"][0])


@pytest.mark.parametrize("value", [None, 5, "", "not a link"])
def test_non_links_are_not_documented_forms(value: object) -> None:
    assert not meeting_urls.is_documented_form(value)
