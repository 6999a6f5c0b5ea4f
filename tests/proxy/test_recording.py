"""One record builder: a request recorded by the reference server's hook and the same request
recorded by the proxy give the same record, apart from the proxy's own fields."""

from __future__ import annotations

import ast
import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import calbot
from calbot.contracts.clients.ledger import LedgerRecord
from calbot.proxy import ProxyConfig, ProxyRecorder, create_proxy
from calbot.server import App, ServerConfig, create_app
from calbot.server.faults import Fault, Faults
from calbot.server.recorder import LedgerRecorder
from calbot.spec.states import STATES_PATH

KEY = "sk-one-builder-key-123"
NOW = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
PROXY_FIELDS = {"answered_by", "response", "response_note", "upstream_error", "elapsed_ms"}
PARAMS = {
    "start_time": "2030-02-01T10:00:00Z",
    "end_time": "2030-02-01T10:30:00Z",
    "meeting_url": "https://meet.google.com/abc-defg-hij",
}
Send = Callable[..., Any]


def app(*hooks: Any) -> App:
    """The reference server, its ids and clock fixed, a 429 queued for the first schedule."""
    ids = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count(1))
    faults = Faults([Fault("429", 1, retry_after=7, operation="schedule")])
    config = ServerConfig(
        api_keys=(KEY,),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
        hooks=(*hooks, faults),
    )
    return create_app(config)


async def client_session(transport: httpx.AsyncBaseTransport) -> None:
    """Every kind of request a recorder sees: state set-up, valid, invalid and unreadable
    schedules, a throttled one, reads, an unschedule, a 404, a 401 without a key."""
    headers = {"Authorization": f"Token {KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://calbot.test", headers=headers
    ) as http:
        state = {"state": "a calendar event", "params": PARAMS}
        event_id = (await http.post(STATES_PATH, json=state)).json()["id"]
        path = f"/api/v2/calendar-events/{event_id}/bot/"
        await http.post(path, json={"deduplication_key": KEY, "bot_config": []})  # throttled
        config = {"bot_name": "Notetaker", "metadata": {"team": "sales"}}
        scheduled = await http.post(path, json={"deduplication_key": "k1", "bot_config": config})
        await http.post(path, content=b"{not json", headers={"content-type": "application/json"})
        await http.post(path, content=b"a=1", headers={"content-type": "text/plain"})
        await http.post(path, json={"deduplication_key": "", "bot_config": {"x": "y" * 500}})
        await http.get(f"/api/v2/calendar-events/{event_id}/")
        await http.get(f"/api/v1/bot/{scheduled.json()['bots'][0]['bot_id']}/")
        await http.delete(path)
        await http.get("/api/v2/calendar-events/00000000-0000-4000-8000-999999999999/")
        await http.get(f"/api/v2/calendar-events/{event_id}/", headers={"Authorization": ""})


def recorded_by_the_server() -> list[LedgerRecord]:
    recorder = LedgerRecorder(api_keys=(KEY,), clock=lambda: NOW)
    asyncio.run(client_session(httpx.ASGITransport(app=app(recorder))))
    return recorder.records


def recorded_by_the_proxy() -> list[LedgerRecord]:
    recorder = ProxyRecorder()
    upstream = httpx.ASGITransport(app=app())
    proxy = create_proxy(ProxyConfig("http://upstream.test", ledger=recorder, transport=upstream))

    async def run() -> None:
        await client_session(httpx.ASGITransport(app=proxy))
        await proxy.aclose()

    asyncio.run(run())
    return recorder.records


def without(record: LedgerRecord, names: set[str]) -> dict[str, Any]:
    return {name: value for name, value in record.to_json().items() if name not in names}


def test_the_same_requests_give_the_same_records_from_server_and_proxy() -> None:
    served, proxied = recorded_by_the_server(), recorded_by_the_proxy()
    assert len(served) == len(proxied) == 11
    for server_record, proxy_record in zip(served, proxied, strict=True):
        assert not PROXY_FIELDS & set(server_record.to_json())
        assert proxy_record.answered_by == "upstream"
        # the time is each recorder's clock; everything else comes from the one builder
        assert without(proxy_record, PROXY_FIELDS | {"time"}) == without(server_record, {"time"})
    statuses = [record.status for record in served]
    assert statuses == [200, 429, 200, 400, 415, 400, 200, 200, 200, 404, 401]
    throttled = served[1]
    assert (throttled.retry_after, throttled.fault) == ("7", "429:1:retry-after=7:op=schedule")
    assert throttled.key == "****" and throttled.validation == "invalid"
    assert served[-1].workspace == proxied[-1].workspace == "unknown"  # no key: one label


def test_no_recorder_builds_a_record_itself() -> None:
    """The server's hook and the proxy's recorder hand what they saw to the one builder."""
    root = Path(calbot.__file__).parent
    for folder in ("server", "proxy"):
        for path in sorted((root / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            called = {
                node.func.id
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            }
            assert "LedgerRecord" not in called, f"{folder}/{path.name} builds a LedgerRecord"
    for module in ("server/recorder.py", "proxy/recording.py"):
        assert "build_record(" in (root / module).read_text(encoding="utf-8"), module


def test_the_former_name_still_imports() -> None:
    from calbot.proxy import ProxyLedger

    assert ProxyLedger is ProxyRecorder
