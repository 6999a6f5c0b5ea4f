"""The client rules' broken findings as terminal text (`calbot.violations`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from calbot.contracts.clients.ledger import SCHEDULE, LedgerRecord
from calbot.contracts.clients.verify import check_ledger
from calbot.violations import describe_violations

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
A = "00000000-0000-0000-0000-00000000000a"
PATH = f"/api/v2/calendar-events/{A}/bot/"


def schedule(seq: int, at: float, status: int, **fields: object) -> LedgerRecord:
    return LedgerRecord(
        seq=seq,
        time=T0 + timedelta(seconds=at),
        method="POST",
        path=PATH,
        status=status,
        operation=SCHEDULE,
        resource=A,
        validation="valid",
        config_keys=("bot_name",),
        **fields,  # type: ignore[arg-type]
    )


def violating() -> list[LedgerRecord]:
    """A 429 not waited for (a MUST broken) and a key changed (a SHOULD broken)."""
    body = {"deduplication_key": "k", "bot_config": {}}
    return [
        schedule(1, 0, 429, retry_after="2", key="k", body=body),
        schedule(2, 0.5, 200, key="other", event={"start_time": "x", "meeting_url": None}),
    ]


def test_describe_violations_lists_rule_when_and_request() -> None:
    checks = check_ledger(violating())
    text = describe_violations(checks)
    assert text.startswith("2 client rules broken (2 violations):")
    assert "✗ client.retry-after (MUST)" in text
    assert "! client.dedup-stable-key (SHOULD, a warning)" in text
    assert f"#2 +0.500s POST {PATH} → 200: sent 0.500 s" in text
    assert "expected: no POST /api/v2/calendar-events/{id}/bot/ request until +2.000s" in text
    assert "client.dedup-stable-key" not in describe_violations(checks, include_warnings=False)
    assert describe_violations([]) == "no client rule was broken"


def test_the_request_body_is_shown_and_cut() -> None:
    long = {"deduplication_key": "k" * 500, "bot_config": {}}
    records = [*violating()[:1], schedule(2, 0.5, 200, key="other", body=long)]
    text = describe_violations(check_ledger(records))
    line = next(line for line in text.splitlines() if "request body:" in line)
    assert line.endswith("…") and len(line.split("request body: ", 1)[1]) == 200


def test_the_contracts_hold_no_terminal_text() -> None:
    """The presentation lives beside the adapters that print it, not in the contracts."""
    import calbot.contracts

    root = Path(calbot.contracts.__file__).parent
    for path in root.rglob("*.py"):
        assert "def describe_violations" not in path.read_text(encoding="utf-8"), path
