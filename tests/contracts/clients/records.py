"""`Records`: ledger records built one by one for the client rules' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from calbot.contracts.clients.ledger import SCHEDULE, LedgerRecord
from calbot.contracts.clients.options import ClientRuleOptions
from calbot.contracts.clients.verify import check_ledger
from calbot.contracts.results import CheckResult, Status

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
MEETING = {"start_time": "2030-01-02T10:00:00Z", "meeting_url": "https://meet.google.com/a-b-c"}


class Records:
    """Builds records one by one: `add(at_seconds, status, **fields)` (a schedule of event A
    unless told otherwise), and checks them."""

    def __init__(self) -> None:
        self.records: list[LedgerRecord] = []

    def add(self, at: float, status: int = 200, **fields: Any) -> LedgerRecord:
        operation = fields.pop("operation", SCHEDULE)
        resource = fields.pop("resource", A)
        method, template = operation.split(" ", 1)
        defaults: dict[str, Any] = {}
        if operation == SCHEDULE:
            defaults = {"validation": "valid", "key": "k", "config_keys": ("bot_name",)}
            if status == 200:
                defaults["event"] = dict(MEETING)
        record = LedgerRecord(
            seq=len(self.records) + 1,
            time=T0 + timedelta(seconds=at),
            method=method,
            path=template.replace("{id}", resource),
            status=status,
            operation=operation,
            resource=resource,
            **{**defaults, **fields},
        )
        self.records.append(record)
        return record

    def checks(self, **options: Any) -> dict[str, CheckResult]:
        return {
            check.rule: check for check in check_ledger(self.records, ClientRuleOptions(**options))
        }

    def status(self, rule: str, **options: Any) -> Status:
        return self.checks(**options)[rule].status


def violating() -> list[LedgerRecord]:
    """A 429 not waited for (a MUST broken) and a key changed (a SHOULD broken)."""
    records = Records()
    records.add(0, 429, retry_after="2", body={"deduplication_key": "k", "bot_config": {}})
    records.add(0.5, key="other")
    return records.records
