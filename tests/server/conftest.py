"""Fixtures for the reference server's tests: a fake clock, fixed ids, clients, schema checks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from calbot.server import App, ServerConfig, create_app, running
from calbot.spec import load_spec

START = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
MEET = "https://meet.google.com/abc-defg-hij"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = datetime(2029, 12, 1, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class SequentialIds:
    """UUIDs 00000000-0000-0000-0000-000000000001, ...002, ... in order."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return str(uuid.UUID(int=self.count))


def event_params(**overrides: Any) -> dict[str, Any]:
    """Provider-state params for an upcoming Google Meet event."""
    params: dict[str, Any] = {
        "start_time": "2030-01-01T10:00:00Z",
        "end_time": "2030-01-01T10:30:00Z",
        "meeting_url": MEET,
        "platform": "google_calendar",
    }
    params.update(overrides)
    return params


def setup_body(**overrides: Any) -> dict[str, Any]:
    return {"state": "a calendar event", "action": "setup", "params": event_params(**overrides)}


class InProcess:
    """A synchronous client that talks to the app through `httpx.ASGITransport`."""

    def __init__(self, app: App, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = headers or {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://calbot.test", headers=self.headers
            ) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


Client = InProcess | httpx.Client


@pytest.fixture(name="setup_body")
def setup_body_fixture() -> Callable[..., dict[str, Any]]:
    """`setup_body(**params)`: a provider-state setup request for an upcoming event."""
    return setup_body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ids() -> SequentialIds:
    return SequentialIds()


@pytest.fixture
def make_app(clock: FakeClock, ids: SequentialIds) -> Callable[..., App]:
    """An app with the fake clock and sequential ids; keyword arguments go to ServerConfig."""

    def make(**settings: Any) -> App:
        settings.setdefault("clock", clock)
        settings.setdefault("new_id", ids)
        return create_app(ServerConfig(**settings))

    return make


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return make_app()


@pytest.fixture
def client(app: App) -> InProcess:
    return InProcess(app)


@pytest.fixture(scope="session")
def in_process() -> type[InProcess]:
    """`in_process(app, headers)`: an in-process client for another app or other credentials."""
    return InProcess


@pytest.fixture
def make_event(client: InProcess) -> Callable[..., str]:
    """Create an event through the provider-state endpoint; returns its id."""

    def make(**overrides: Any) -> str:
        response = client.post("/_calbot/states", json=setup_body(**overrides))
        assert response.status_code == 200, response.text
        ident: str = response.json()["id"]
        return ident

    return make


@pytest.fixture(scope="module")
def live_app() -> App:
    """One app (real clock) for a module's real-server tests, with a roomy budget."""
    from calbot.spec.throttles import RateLimit

    return create_app(ServerConfig(rate_limit=RateLimit(100_000, 60)))


@pytest.fixture(scope="module")
def live_url(live_app: App) -> Iterator[str]:
    """The module's app served by uvicorn on a free port."""
    with running(app=live_app) as url:
        yield url


@pytest.fixture
def live(live_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_url, timeout=10) as http:
        yield http


_DOC_URI = "urn:calbot:openapi"


class Conformance:
    """Checks an answer against the fragment's response schema for its operation and status."""

    def __init__(self) -> None:
        self.document = load_spec()
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(_DOC_URI, resource)

    def errors(self, method: str, template: str, response: httpx.Response) -> list[str]:
        responses = self.document["paths"][template][method.lower()]["responses"]
        status = str(response.status_code)
        assert status in responses, f"{status} is not documented for {method} {template}"
        declared = responses[status]
        if "$ref" in declared:
            declared = self.document["components"]["responses"][declared["$ref"].split("/")[-1]]
        assert response.headers["content-type"] == "application/json"
        for name, header in declared.get("headers", {}).items():
            if "$ref" in header or header.get("required", True):
                assert name in response.headers, f"{status} answer lacks the {name} header"
        schema = declared["content"]["application/json"]["schema"]
        pointer = schema["$ref"].removeprefix("#")
        validator = OAS31Validator(
            {"$ref": f"{_DOC_URI}#{pointer}"},
            registry=self.registry,
            format_checker=OAS31Validator.FORMAT_CHECKER,
        )
        return [error.message for error in validator.iter_errors(response.json())]

    def check(self, method: str, template: str, response: httpx.Response) -> None:
        problems = self.errors(method, template, response)
        assert not problems, problems


@pytest.fixture(scope="session")
def conforms() -> Conformance:
    return Conformance()
