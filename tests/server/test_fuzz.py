"""No input makes the core answer 5xx, and every answer encodes as JSON (Hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calbot.server import Request, ServerConfig, ServerCore
from calbot.serving.answers import encode
from calbot.spec.throttles import RateLimit

EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
CORE = ServerCore(ServerConfig(api_keys=("key",), rate_limit=RateLimit(10**9, 1)))
CORE.handle(
    Request(
        "POST",
        "/_calbot/states",
        {"authorization": "key"},
        json.dumps(
            {
                "state": "a calendar event",
                "params": {
                    "id": EVENT,
                    "start_time": "2099-01-01T10:00:00Z",
                    "end_time": "2099-01-01T11:00:00Z",
                    "meeting_url": "https://meet.google.com/abc-defg-hij",
                },
            }
        ).encode(),
    )
)
FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

paths = st.one_of(
    st.sampled_from(
        [
            f"/api/v2/calendar-events/{EVENT}/bot/",
            f"/api/v2/calendar-events/{EVENT}/",
            f"/api/v1/bot/{EVENT}/",
            "/_calbot/states",
            "/_calbot/health",
        ]
    ),
    st.text(max_size=80).map(lambda text: "/" + text),
    st.text(max_size=40).map(lambda text: f"/api/v2/calendar-events/{text}/bot/"),
)
methods = st.one_of(
    st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    st.text(max_size=10),
)
headers = st.dictionaries(
    st.sampled_from(["authorization", "content-type", "content-length", "x-other"]),
    st.text(max_size=60),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
schedule_bodies = st.fixed_dictionaries(
    {},
    optional={
        "deduplication_key": st.one_of(st.text(max_size=20), json_values),
        "bot_config": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "bot_name": json_values,
                    "meeting_url": st.one_of(st.text(), json_values),
                    "join_at": st.one_of(st.text(max_size=30), json_values),
                    "metadata": st.one_of(st.dictionaries(st.text(), json_values), json_values),
                },
            ),
            json_values,
        ),
    },
)


def check(response: Any) -> None:
    assert response.status < 500, response.body
    json.loads(encode(response.body))


@FUZZ
@given(method=methods, path=paths, headers=headers, body=st.binary(max_size=200))
def test_arbitrary_requests_never_get_a_5xx(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    check(CORE.handle(Request(method, path, headers, body)))


@FUZZ
@given(body=st.one_of(schedule_bodies, json_values))
def test_arbitrary_schedule_bodies_never_get_a_5xx_and_read_back(body: object) -> None:
    raw = json.dumps(body).encode()
    auth = {"authorization": "Token key"}
    response = CORE.handle(Request("POST", f"/api/v2/calendar-events/{EVENT}/bot/", auth, raw))
    check(response)
    if response.status == 200:
        bot = response.body["bots"][0]["bot_id"]
        check(CORE.handle(Request("GET", f"/api/v1/bot/{bot}/", auth)))
        check(CORE.handle(Request("GET", f"/api/v2/calendar-events/{EVENT}/", auth)))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["start_time", "end_time", "meeting_url", "platform", "calendar_id", "id", "is_deleted"]
        ),
        json_values,
    ),
    action=st.sampled_from(["setup", "teardown"]),
)
def test_arbitrary_provider_state_params_never_get_a_5xx(
    params: dict[str, Any], action: str
) -> None:
    raw = json.dumps({"state": "a calendar event", "action": action, "params": params}).encode()
    check(CORE.handle(Request("POST", "/_calbot/states", {"authorization": "key"}, raw)))
