"""Each correct variant really takes its liberty, and is the reference server everywhere else.

Fast: requests go straight to the server core, no HTTP and no conformance run.
"""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calbot.contracts.domain.model import ENDED_BODY, INVALID_DATA_MESSAGE
from calbot.server import Request, Response
from calbot.spec.meeting_urls import example_urls
from calbot.spec.states import DEFAULT_MEETING_URL, STATES_PATH
from calbot.spec.throttles import TRANSIENT_STATUSES, RateLimit, parse_retry_after
from tests.drf import char_field, drf_body, metadata_field

from .answers import EXTRA, REWORDED_MESSAGE, UNSUPPORTED
from .family import KEYS, VARIANTS, VARIANTS_BY_NAME, Variant
from .published import is_published_form
from .transient import POOL_EMPTY, BusyKeys, Fresh

UNPUBLISHED_GOTO = (
    "https://meet.goto.com/680504437",
    "https://global.gotomeeting.com/join/680504437",
)
PLAIN = {"deduplication_key": "k", "bot_config": {}}


class Server:
    """One variant's core, spoken to with JSON."""

    def __init__(self, variant: Variant, budget: RateLimit | None = None) -> None:
        app = variant.app() if budget is None else _with_budget(variant, budget).app()
        self.core = app.core

    def send(self, method: str, path: str, body: object = None) -> Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {"authorization": f"Token {KEYS[0]}"}  # the first of its two workspaces
        return self.core.handle(Request(method, path, headers, raw))

    def event(self, *, ended: bool = False, meeting_url: str | None = DEFAULT_MEETING_URL) -> str:
        start = datetime.now(UTC) + timedelta(days=-2 if ended else 2)
        params = {
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=1)).isoformat(),
            "meeting_url": meeting_url,
        }
        response = self.setup(params)
        assert response.status == 200, response.body
        return str(response.body["id"])

    def setup(self, params: dict[str, Any]) -> Response:
        """Provider-state setup, retried past transient answers (as calbot retries them)."""
        for _ in range(10):
            body = {"state": "a calendar event", "params": params}
            response = self.send("POST", STATES_PATH, body)
            if response.status not in TRANSIENT_STATUSES:
                break
        return response

    def schedule(self, event_id: str, body: object) -> Response:
        return self.send("POST", f"/api/v2/calendar-events/{event_id}/bot/", body)

    def bot(self, event_body: dict[str, Any]) -> dict[str, Any]:
        bot_id = event_body["bots"][0]["bot_id"]
        response = self.send("GET", f"/api/v1/bot/{bot_id}/")
        assert response.status == 200
        return response.body


def _with_budget(variant: Variant, budget: RateLimit) -> Variant:
    return Variant(variant.name, variant.latitude, variant.workspace, variant.hooks, budget)


def server(name: str) -> Server:
    return Server(VARIANTS_BY_NAME[name])


def test_every_variant_is_named_once_and_says_what_latitude_it_takes() -> None:
    assert len(VARIANTS_BY_NAME) == len(VARIANTS)
    assert all(variant.latitude for variant in VARIANTS)


# --- the published-pattern predicate ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", [url for urls in example_urls().values() for url in urls if url not in UNPUBLISHED_GOTO]
)
def test_every_form_recall_publishes_counts_as_published(url: str) -> None:
    assert is_published_form(url)


@pytest.mark.parametrize(
    "url", [*UNPUBLISHED_GOTO, "https://example.com/meeting", "not a link", "", "zoom.us/j/"]
)
def test_other_forms_do_not(url: str) -> None:
    assert not is_published_form(url)


# --- DRF leniency ----------------------------------------------------------------------------


def test_char_fields_coerce_numbers_and_trim_but_keep_other_types() -> None:
    assert char_field(0.0) == "0.0"
    assert char_field(12) == "12"
    assert char_field("  key \n") == "key"
    assert char_field(True) is True
    assert char_field([1]) == [1]


def test_the_drf_reading_drops_null_optionals_and_reads_metadata_values_as_char_fields() -> None:
    body = {
        "deduplication_key": " k ",
        "bot_config": {"bot_name": None, "join_at": None, "metadata": {"a": 1}, "meeting_url": 7},
    }
    assert drf_body(body) == {
        "deduplication_key": "k",
        "bot_config": {"metadata": {"a": "1"}, "meeting_url": "7"},
    }


def test_metadata_values_are_read_as_a_dict_of_nullable_char_fields() -> None:
    read = metadata_field({"n": 7, "f": 0.5, "s": " x ", "none": None, "b": True, "l": [1]})
    assert read == {"n": "7", "f": "0.5", "s": "x", "none": None, "b": True, "l": [1]}
    assert metadata_field("not an object") == "not an object"


def test_the_lenient_server_accepts_what_drf_accepts() -> None:
    lenient = server("drf-lenient")
    event = lenient.event()
    answer = lenient.schedule(event, {"deduplication_key": 42, "bot_config": {"bot_name": 0.0}})
    assert answer.status == 200, answer.body
    assert answer.body["bots"][0]["deduplication_key"] == "42"
    assert lenient.bot(answer.body)["bot_name"] == "0.0"
    numbers = {"metadata": {"seats": 7, "team": " sales "}}
    answer = lenient.schedule(event, {"deduplication_key": "k-numbers", "bot_config": numbers})
    assert answer.status == 200, answer.body
    assert lenient.bot(answer.body)["metadata"] == {"seats": "7", "team": "sales"}
    nulls = {"bot_name": None, "meeting_url": None, "join_at": None, "metadata": None}
    answer = lenient.schedule(event, {"deduplication_key": "  padded  ", "bot_config": nulls})
    assert answer.status == 200, answer.body
    assert answer.body["bots"][0] == {
        **answer.body["bots"][0],
        "deduplication_key": "padded",
        "meeting_url": DEFAULT_MEETING_URL,
    }


def test_the_lenient_server_still_refuses_what_the_docs_forbid() -> None:
    lenient = server("drf-lenient")
    event = lenient.event()
    refused: list[dict[str, object]] = [
        {"bot_config": {}},
        {"deduplication_key": "   ", "bot_config": {}},
        {"deduplication_key": "k" * 2001, "bot_config": {}},
        {"deduplication_key": "k", "bot_config": []},
        {"deduplication_key": "k", "bot_config": {"metadata": {"a": True}}},
        {"deduplication_key": "k", "bot_config": {"metadata": {"a": {"b": "c"}}}},
        {"deduplication_key": True, "bot_config": {}},
        {"deduplication_key": " " + "k" * 2001, "bot_config": {}},
    ]
    for body in refused:
        assert lenient.schedule(event, body).status == 400, body
    ended = lenient.schedule(lenient.event(ended=True), PLAIN)
    assert (ended.status, ended.body) == (400, ENDED_BODY)


def test_two_keys_that_differ_only_in_surrounding_whitespace_share_a_bot() -> None:
    lenient = server("drf-lenient")
    first = lenient.schedule(lenient.event(), {"deduplication_key": "k", "bot_config": {}})
    second = lenient.schedule(lenient.event(), {"deduplication_key": " k ", "bot_config": {}})
    assert first.body["bots"][0]["bot_id"] == second.body["bots"][0]["bot_id"]


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["null-object-for-unknown-links", "all-at-once"])
def test_unknown_links_get_a_null_object_and_published_ones_the_object(name: str) -> None:
    variant = server(name)
    event = variant.event()
    for url, expect_object in [
        (UNPUBLISHED_GOTO[0], False),
        ("not a link", False),
        ("https://app.goto.com/meeting/680504437", True),
        ("https://zoom.us/j/84315220467?pwd=abc123", True),
    ]:
        body = {"deduplication_key": url, "bot_config": {"meeting_url": url}}
        answer = variant.schedule(event, body)
        assert answer.status == 200, (url, answer.body)
        assert answer.body["bots"][0]["meeting_url"] == url
        meeting_url = variant.bot(answer.body)["meeting_url"]
        assert isinstance(meeting_url, dict) is expect_object, (url, meeting_url)


def test_unknown_links_can_be_refused_while_published_ones_are_accepted() -> None:
    strict = server("unknown-links-refused")
    event = strict.event()
    refused = strict.schedule(
        event, {"deduplication_key": "k", "bot_config": {"meeting_url": UNPUBLISHED_GOTO[0]}}
    )
    assert refused.status == 400
    assert refused.body["errors"] == {"bot_config": {"meeting_url": [refused_message(refused)]}}
    published = {"meeting_url": "https://app.goto.com/meeting/1"}
    assert strict.schedule(event, {"deduplication_key": "k", "bot_config": published}).status == 200


def refused_message(response: Response) -> str:
    return str(response.body["errors"]["bot_config"]["meeting_url"][0])


@pytest.mark.parametrize("name", ["state-setup-refuses-unsyncable-links", "all-at-once"])
def test_state_setup_refuses_events_calendar_sync_would_never_make(name: str) -> None:
    variant = server(name)
    params = {"start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"}
    refused = variant.setup({**params, "meeting_url": UNPUBLISHED_GOTO[1]})
    assert refused.status == 400
    assert UNSUPPORTED in json.dumps(refused.body) or name == "all-at-once"
    assert variant.setup({**params, "meeting_url": None}).status == 200
    assert variant.setup({**params, "meeting_url": DEFAULT_MEETING_URL}).status == 200


# --- answers ---------------------------------------------------------------------------------


def test_undocumented_400s_are_reworded_and_rekeyed_but_the_ended_body_is_exact() -> None:
    reworded = server("reworded-400s")
    bad = {"deduplication_key": "k", "bot_config": {"metadata": {"a": 1}}}
    answer = reworded.schedule(reworded.event(), bad)
    assert answer.status == 400
    assert answer.body["message"] == REWORDED_MESSAGE != INVALID_DATA_MESSAGE
    assert answer.body["errors"] == {"bot_config.metadata.a": ["Invalid value."]}
    assert set(answer.body) == {"code", "message", "errors"}
    ended = reworded.schedule(reworded.event(ended=True), PLAIN)
    assert (ended.status, ended.body) == (400, ENDED_BODY)


def test_successful_answers_carry_extra_fields_everywhere() -> None:
    extra = server("extra-fields")
    answer = extra.schedule(extra.event(), {"deduplication_key": "k", "bot_config": {}})
    assert answer.body.items() >= EXTRA.items()
    assert answer.body["bots"][0].items() >= EXTRA.items()
    bot = extra.bot(answer.body)
    assert bot.items() >= EXTRA.items()
    assert bot["meeting_url"].items() >= EXTRA.items()


def _throttled(name: str) -> Response:
    variant = Server(VARIANTS_BY_NAME[name], budget=RateLimit(2, 60.0))
    event = variant.event()
    answers = [variant.schedule(event, {"deduplication_key": "k", "bot_config": {}}) for _ in "abc"]
    assert [a.status for a in answers] == [200, 200, 429]
    return answers[-1]


def test_retry_after_can_be_an_http_date() -> None:
    value = _throttled("retry-after-http-date").header("retry-after")
    assert value is not None and not value.isdigit()
    assert email.utils.parsedate_to_datetime(value).tzinfo is not None
    wait = parse_retry_after(value)
    assert wait is not None and 55 <= wait <= 62


def test_retry_after_can_ask_for_longer() -> None:
    reference = Server(Variant("reference", "none"), budget=RateLimit(2, 60.0))
    event = reference.event()
    for _ in "abc":
        throttled = reference.schedule(event, {"deduplication_key": "k", "bot_config": {}})
    larger = _throttled("retry-after-larger").header("retry-after")
    assert larger is not None and throttled.header("retry-after") is not None
    assert int(larger) == int(str(throttled.header("retry-after"))) + 1


# --- documented transient answers ------------------------------------------------------------


def _soon(variant: Server, minutes: float) -> str:
    """An event starting `minutes` from now (negative: under way), an hour long."""
    start = datetime.now(UTC) + timedelta(minutes=minutes)
    response = variant.setup(
        {
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=1)).isoformat(),
            "meeting_url": DEFAULT_MEETING_URL,
        }
    )
    assert response.status == 200, response.body
    return str(response.body["id"])


def _until_admitted(variant: Server, event_id: str, body: object) -> list[Response]:
    answers = [variant.schedule(event_id, body)]
    while answers[-1].status in TRANSIENT_STATUSES and len(answers) < 10:
        answers.append(variant.schedule(event_id, body))
    return answers


@pytest.mark.parametrize("name", ["ad-hoc-507", "all-transient"])
def test_ad_hoc_bots_meet_an_empty_pool_a_few_times_then_are_admitted(name: str) -> None:
    variant = server(name)
    events = [_soon(variant, 5), _soon(variant, -10), _soon(variant, 8), _soon(variant, 2)]
    refusals, forms = [], set()
    for event_id in events:
        answers = _until_admitted(variant, event_id, PLAIN)
        assert answers[-1].status == 200, answers[-1].body
        pool_empty = [a for a in answers if a.status == 507]
        assert all(a.body == {"detail": POOL_EMPTY} for a in pool_empty)
        refusals.append(len(pool_empty))
        forms |= {_retry_after_form(a) for a in pool_empty}
    assert refusals == [1, 2, 3, 1]
    assert forms == {"seconds", "none", "date"}


def _retry_after_form(response: Response) -> str:
    value = response.header("retry-after")
    if value is None:
        return "none"
    return "seconds" if value.isdigit() else "date"


def test_a_join_at_within_ten_minutes_makes_the_bot_ad_hoc_too() -> None:
    variant = server("ad-hoc-507")
    soon = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    body = {"deduplication_key": "k", "bot_config": {"join_at": soon}}
    assert variant.schedule(variant.event(), body).status == 507


def test_a_507_changes_nothing() -> None:
    variant = server("ad-hoc-507")
    event_id = _soon(variant, 5)
    assert variant.schedule(event_id, PLAIN).status == 507
    after = variant.send("GET", f"/api/v2/calendar-events/{event_id}/")
    assert after.status == 200 and after.body["bots"] == []


def test_what_the_reference_refuses_is_refused_not_answered_507() -> None:
    variant = server("ad-hoc-507")
    ended = variant.schedule(variant.event(ended=True), PLAIN)
    assert (ended.status, ended.body) == (400, ENDED_BODY)
    assert variant.schedule(_soon(variant, 5), {"bot_config": {}}).status == 400


def test_the_first_schedule_of_one_other_event_in_eight_meets_an_empty_pool() -> None:
    variant = server("ad-hoc-507")
    events = [variant.event() for _ in range(80)]
    firsts = [_until_admitted(variant, event_id, PLAIN) for event_id in events]
    refused = [index for index, answers in enumerate(firsts) if len(answers) > 1]
    assert refused == list(range(1, 80, 8))
    assert all([a.status for a in firsts[index]] == [507, 200] for index in refused)
    assert all(variant.schedule(events[index], PLAIN).status == 200 for index in refused)


def _writes(variant: Server, count: int) -> list[list[int]]:
    """On `count` fresh events: schedule, schedule again (the same key), unschedule; each
    call retried until it is not transient. The statuses of each event's calls."""
    seen = []
    for index in range(count):
        event_id = variant.event()
        body = {**PLAIN, "deduplication_key": f"k{index}"}
        statuses = []
        for method in ("POST", "POST", "DELETE"):
            path = f"/api/v2/calendar-events/{event_id}/bot/"
            for _ in range(10):
                answer = variant.send(method, path, body if method == "POST" else None)
                statuses.append(answer.status)
                if answer.status not in TRANSIENT_STATUSES:
                    break
        seen.append(statuses)
    return seen


def test_a_write_touching_what_the_previous_write_touched_is_409_once_in_eight() -> None:
    variant = server("busy-keys-409")
    seen = _writes(variant, 40)
    conflicts = [(index, statuses) for index, statuses in enumerate(seen) if 409 in statuses]
    # Every event meets a write in flight once (its second schedule: the key and the event);
    # the unschedule after it finds them met already. One occasion in 8 is refused.
    assert [index for index, _ in conflicts] == [1, 9, 17, 25, 33]
    assert all(statuses == [200, 409, 200, 200] for _, statuses in conflicts)


def test_unschedules_meet_a_409_too_and_a_409_changes_nothing() -> None:
    variant = server("busy-keys-409")
    statuses = []
    for _ in range(16):
        event_id = variant.event()
        assert variant.schedule(event_id, {**PLAIN, "deduplication_key": event_id}).status == 200
        path = f"/api/v2/calendar-events/{event_id}/bot/"
        answer = variant.send("DELETE", path)
        statuses.append(answer.status)
        if answer.status == 409:
            assert answer.header("retry-after") is None
            after = variant.send("GET", f"/api/v2/calendar-events/{event_id}/")
            assert len(after.body["bots"]) == 1
            assert variant.send("DELETE", path).status == 200
    assert statuses.count(409) == 2


def test_writes_on_other_keys_and_events_and_reads_never_meet_a_409() -> None:
    variant = server("busy-keys-409")
    for index in range(60):
        answer = variant.schedule(variant.event(), {**PLAIN, "deduplication_key": f"k{index}"})
        assert answer.status == 200
        bot_id = answer.body["bots"][0]["bot_id"]
        assert variant.send("GET", f"/api/v1/bot/{bot_id}/").status == 200


def _mixed(variant: Server, count: int) -> list[Response]:
    """`count` requests of every kind: malformed schedules, reads, state setup."""
    event_id = variant.event()
    answers = []
    for index in range(count):
        if index % 3 == 0:
            answers.append(variant.schedule(event_id, {"bot_config": []}))
        elif index % 3 == 1:
            answers.append(variant.send("GET", f"/api/v2/calendar-events/{event_id}/"))
        else:
            body = {"state": "a calendar event", "params": {"start_time": "2030"}}
            answers.append(variant.send("POST", STATES_PATH, body))
    return answers


def test_one_request_in_fifty_of_any_kind_is_shed_never_two_in_a_row() -> None:
    answers = _mixed(server("load-shedding"), 200)
    shed = [index for index, answer in enumerate(answers) if answer.status >= 500]
    assert shed == [3, 53, 103, 153]  # the server's 5th, 55th, ... (two setups came first)
    assert [answers[index].status for index in shed] == [502, 503, 504, 502]
    assert [_retry_after_form(answers[index]) for index in shed] == [
        "seconds",
        "none",
        "date",
        "none",
    ]


def test_shed_requests_are_not_counted_against_the_budget() -> None:
    variant = Server(VARIANTS_BY_NAME["load-shedding"], budget=RateLimit(50, 60.0))
    event_id = variant.event()
    statuses = [variant.schedule(event_id, PLAIN).status for _ in range(52)]
    assert statuses.count(200) == 50 and statuses[-1] == 429


def test_counted_transient_answers_use_up_the_budget() -> None:
    counted = Variant(
        "counted", "test", hooks=(Fresh(lambda: BusyKeys(every=1, first=0, counted=True)),)
    )
    variant = Server(counted, budget=RateLimit(3, 60.0))
    event_id = variant.event()
    statuses = [variant.schedule(event_id, PLAIN).status for _ in range(4)]
    assert statuses == [200, 409, 200, 429]


def test_all_transient_takes_every_transient_liberty() -> None:
    variant = server("all-transient")
    statuses = {status for calls in _writes(variant, 40) for status in calls}
    statuses |= {answer.status for answer in _mixed(variant, 200)}
    for event_id in [_soon(variant, 5) for _ in range(3)]:
        statuses |= {answer.status for answer in _until_admitted(variant, event_id, PLAIN)}
    assert statuses >= {409, 502, 503, 504, 507}


@pytest.mark.parametrize("name", ["ad-hoc-507", "busy-keys-409", "load-shedding", "all-transient"])
def test_every_server_built_starts_from_the_same_counters(name: str) -> None:
    def statuses() -> list[list[int]]:
        return _writes(server(name), 30)

    first = statuses()
    assert {status for calls in first for status in calls} & TRANSIENT_STATUSES
    assert statuses() == first
