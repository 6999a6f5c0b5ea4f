"""The reference server checks out against its own fragment: schemathesis, all of its default
checks, positive and negative data, real event and bot ids in the path, real HTTP with a key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from calbot.server import ServerConfig, running
from calbot.spec.loader import load_schemathesis_schema
from calbot.spec.throttles import RateLimit

KEY = "calbot-self-check"
AUTH = {"Authorization": f"Token {KEY}"}
SCHEMA = load_schemathesis_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]
EVENT = {
    "start_time": "2031-01-01T10:00:00Z",
    "end_time": "2031-01-01T11:00:00Z",
    "meeting_url": "https://meet.google.com/abc-defg-hij",
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, str]]]:
    """A server on a port, an event that generated schedules point at, and a bot to read."""
    config = ServerConfig(api_keys=(KEY,), rate_limit=RateLimit(10**6, 1.0))
    with running(config) as url, httpx.Client(base_url=url, headers=AUTH) as client:

        def event() -> str:
            body = {"state": "a calendar event", "params": EVENT}
            return str(client.post("/_calbot/states", json=body).json()["id"])

        written, read = event(), event()
        scheduled = client.post(
            f"/api/v2/calendar-events/{read}/bot/",
            json={"deduplication_key": "self-check", "bot_config": {}},
        ).json()
        ids = {
            "POST /api/v2/calendar-events/{id}/bot/": written,
            "DELETE /api/v2/calendar-events/{id}/bot/": written,
            "GET /api/v2/calendar-events/{id}/": read,
            "GET /api/v1/bot/{id}/": scheduled["bots"][0]["bot_id"],
        }
        yield url, ids


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_zero_schemathesis_failures(
    server: tuple[str, dict[str, str]], operation: Any, mode: GenerationMode
) -> None:
    url, ids = server
    failures: list[str] = []

    @settings(
        max_examples=60,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        negative = {kind.name for kind, info in case.meta.components.items() if info.mode is mode}
        if mode is GenerationMode.POSITIVE or "PATH" not in negative:
            case.path_parameters = {"id": ids[operation.label]}
        response = case.call(base_url=url, headers=AUTH)
        try:
            case.validate_response(response, headers=AUTH)  # every default check
        except FailureGroup as group:
            failures.extend(
                f"{f.title}: {f.message}\n{case.as_curl_command()}" for f in group.exceptions
            )

    check()
    assert failures == []
