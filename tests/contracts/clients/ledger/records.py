"""A schedule record with every field of the reference server's ledger set."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from calbot.contracts.clients.ledger import SCHEDULE, LedgerRecord

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
EVENT = "0b8c7f5e-1111-4a2b-9c3d-1234567890ab"
PROXY_FIELDS = {"answered_by", "response", "response_note", "upstream_error", "elapsed_ms"}


def record(**fields: Any) -> LedgerRecord:
    values: dict[str, Any] = {
        "seq": 1,
        "time": T0,
        "method": "POST",
        "path": f"/api/v2/calendar-events/{EVENT}/bot/",
        "status": 200,
        "operation": SCHEDULE,
        "resource": EVENT,
        "validation": "valid",
        "key": "k",
        "config_keys": ("bot_name",),
        "body": {"deduplication_key": "k", "bot_config": {"bot_name": "x"}},
        "event": {"start_time": "2030-01-02T10:00:00Z", "meeting_url": None},
    }
    values.update(fields)
    return LedgerRecord(**values)
