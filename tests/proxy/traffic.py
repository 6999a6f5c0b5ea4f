"""Scripted client sessions through the proxy, in-process: client → proxy → upstream app.

`session(upstream_app, drive)` runs `drive(client)` against a proxy in front of the app (all
through `httpx.ASGITransport`, no sockets) and returns the proxy's ledger records.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from calbot.contracts.clients.ledger import LedgerRecord
from calbot.contracts.domain.model import World
from calbot.proxy import ProxyConfig, ProxyRecorder, create_proxy
from calbot.server import App, ServerConfig, create_app
from calbot.server.faults import Fault, Faults
from calbot.spec.states import STATES_PATH


def _mutant_catalogue() -> ModuleType:
    """tests/mutants/catalogue.py (tests/ is not a package: the mutants' package is loaded
    from its path, once, so that its modules' relative imports work)."""
    name = "calbot_tests_mutants"
    if name not in sys.modules:
        folder = Path(__file__).resolve().parents[1] / "mutants"
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].catalogue  # type: ignore[no-any-return]


catalogue = _mutant_catalogue()
Mutant = catalogue.Mutant
MUTANTS: tuple[Any, ...] = catalogue.MUTANTS
KEY = "sk-proxy-test-key-123"
ZOOM = "https://zoom.us/j/84315220467?pwd=abc123"
MEET = "https://meet.google.com/abc-defg-hij"
Drive = Callable[[httpx.AsyncClient], Awaitable[None]]


def upstream(mutant: Any = None, *, keys: tuple[str, ...] = (KEY,)) -> App:
    """The reference server (or a mutant of it) with one injected 429 on the first event read
    (Retry-After: 0, so a polite client need not wait)."""
    faults = Faults([Fault("429", 1, retry_after=0, operation="get-event")])
    hooks = (*((mutant.hook,) if mutant and mutant.hook else ()), faults)
    budget = mutant.server_budget if mutant else None
    config = ServerConfig(api_keys=keys, rate_limit=budget, hooks=hooks)
    app = create_app(config)
    if mutant is not None and mutant.workspace is not None:
        app.core.world = World(
            clock=config.clock, new_id=config.new_id, workspace_class=mutant.workspace
        )
    return app


def session(app: App, drive: Drive, *, faults: Faults | None = None) -> list[LedgerRecord]:
    """Run `drive` through a proxy in front of `app`; the proxy's ledger records."""
    ledger = ProxyRecorder()
    config = ProxyConfig(
        "http://upstream.test",
        faults=faults,
        ledger=ledger,
        transport=httpx.ASGITransport(app=app),
    )
    proxy = create_proxy(config)

    async def run() -> None:
        transport = httpx.ASGITransport(app=proxy)
        headers = {"Authorization": f"Token {KEY}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://proxy.test", headers=headers
        ) as client:
            await asyncio.wait_for(drive(client), timeout=20)
        await proxy.aclose()

    asyncio.run(run())
    return ledger.records


async def create_event(
    client: httpx.AsyncClient, *, url: str = ZOOM, ended: bool = False
) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=2) if ended else now + timedelta(days=1)
    params = {
        "start_time": start.isoformat().replace("+00:00", "Z"),
        "end_time": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
        "meeting_url": url,
    }
    response = await client.post(STATES_PATH, json={"state": "a calendar event", "params": params})
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    return event


def bot_path(event: dict[str, Any]) -> str:
    return f"/api/v2/calendar-events/{event['id']}/bot/"


def body(event: dict[str, Any], **config: Any) -> dict[str, Any]:
    """A schedule body the way Recall recommends: key {start_time}-{meeting_url}, full config."""
    return {
        "deduplication_key": f"{event['start_time']}-{event['meeting_url']}",
        "bot_config": {"bot_name": "Notetaker", "metadata": {"team": "sales"}, **config},
    }


async def polite(client: httpx.AsyncClient) -> None:
    """A well-behaved client: schedules, reads, overrides in full, leaves ended events alone,
    waits for Retry-After, unschedules (twice: idempotent)."""
    event = await create_event(client)
    scheduled = await client.post(bot_path(event), json=body(event))
    bot_id = scheduled.json()["bots"][0]["bot_id"] if scheduled.status_code == 200 else None
    for _ in range(3):  # the first read is throttled (Retry-After: 0)
        read = await client.get(f"/api/v2/calendar-events/{event['id']}/")
        if read.status_code != 429:
            break
        await asyncio.sleep(float(read.headers.get("Retry-After") or 1))
    if bot_id:
        await client.get(f"/api/v1/bot/{bot_id}/")
    await client.post(bot_path(event), json=body(event, bot_name="Renamed"))
    other = await create_event(client, url=MEET)
    meet = await client.post(bot_path(other), json=body(other))
    if meet.status_code == 200:
        await client.get(f"/api/v1/bot/{meet.json()['bots'][0]['bot_id']}/")
    ended = await create_event(client, ended=True)
    await client.post(bot_path(ended), json=body(ended))  # refused: not sent again
    await client.get("/api/v2/calendar-events/00000000-0000-4000-8000-000000000000/")
    await client.get(f"/api/v1/bot/{bot_id}/", headers={"Authorization": "Token wrong-key"})
    unicode_event = await create_event(client)
    await client.post(
        bot_path(unicode_event), json=body(unicode_event, bot_name="Prise de notes ✓")
    )
    await client.delete(bot_path(event))
    await client.delete(bot_path(event))


async def probing(client: httpx.AsyncClient) -> None:
    """The polite session; a schedule giving its own meeting URL and join_at, re-scheduled
    with a metadata key dropped; then three schedule bodies the fragment forbids."""
    await polite(client)
    event = await create_event(client)
    path = bot_path(event)
    start = datetime.fromisoformat(event["start_time"].replace("Z", "+00:00"))
    join_at = (start + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    first = body(event, meeting_url=MEET, join_at=join_at, metadata={"a": "1", "b": "2"})
    first["deduplication_key"] = f"{event['start_time']}-{MEET}-own-link"
    scheduled = await client.post(path, json=first)
    if scheduled.status_code == 200:
        bot_id = scheduled.json()["bots"][0]["bot_id"]
        await client.get(f"/api/v1/bot/{bot_id}/")
        again = {**first, "bot_config": {**first["bot_config"], "metadata": {"a": "1"}}}
        await client.post(path, json=again)
        await client.get(f"/api/v1/bot/{bot_id}/")
    await client.post(path, json={"bot_config": {}})
    await client.post(path, json={"deduplication_key": "k" * 2001, "bot_config": {}})
    # a boolean metadata value: refused under every reading (DRF would take a number as a string)
    metadata = {"metadata": {"n": True}}
    await client.post(path, json={"deduplication_key": "m", "bot_config": metadata})


async def careless(client: httpx.AsyncClient) -> None:
    """Ignores Retry-After (retries a throttled read at once, in a loop) and retries an ended
    event's refusal."""
    event = await create_event(client)
    for _ in range(8):
        await client.get(f"/api/v2/calendar-events/{event['id']}/")
    ended = await create_event(client, ended=True)
    for _ in range(2):
        await client.post(bot_path(ended), json=body(ended))
