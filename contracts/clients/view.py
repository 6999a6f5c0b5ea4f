"""`LedgerView`: a ledger as the rules that judge it read it, the client rules
(`calbot.contracts.clients.verify`) and the upstream's passive verdict (`calbot.contracts.traffic`).

What both need, in one place: the time origin (the first record's time: `+1.204s` counts from
it), the API requests (records with an operation) grouped by call, the heading a finding
names a record by (`#4 +1.204s POST /api/v2/calendar-events/…/bot/ → 429`), the finding
itself, a rule's check from its findings, and the run a verdict on a ledger is.

A *call* is what a retry repeats: the same operation on the same event (or bot) in the same
workspace. Times are the recorder's clock.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from calbot.contracts.clients.ledger.record import LedgerRecord
from calbot.contracts.results import (
    CheckResult,
    Exchange,
    Finding,
    RunResult,
    Status,
    level_status,
    new_run,
)
from calbot.contracts.rules import Rule, findings_level, source_of

Call = tuple[str, str, str | None]
"""(workspace, operation, resource): what a retry repeats (`LedgerRecord.call`)."""
Findings = list[Finding] | None
"""A rule's answer: its findings, or None when the ledger never exercised it."""


class LedgerView:
    """The records, with the time origin, the API requests and the requests per call."""

    def __init__(self, records: Sequence[LedgerRecord]) -> None:
        self.all = list(records)
        self.origin = records[0].time if records else datetime.now(UTC)
        self.requests = [record for record in records if record.operation]
        self.calls: dict[Call, list[LedgerRecord]] = defaultdict(list)
        for record in self.requests:
            self.calls[record.call].append(record)

    def seconds(self, record: LedgerRecord) -> float:
        """When `record` arrived, in seconds from the origin."""
        return (record.time - self.origin).total_seconds()

    def at(self, record: LedgerRecord) -> str:
        """`#4 +1.204s`: the record's number and time."""
        return f"#{record.seq} +{self.seconds(record):.3f}s"

    def heading(self, record: LedgerRecord) -> str:
        """`#4 +1.204s POST /api/… → 429`: how a finding names the request it is about."""
        return f"{self.at(record)} {record.method} {record.path} → {record.status}"

    def finding(
        self,
        rule: str,
        record: LedgerRecord,
        what: str,
        *,
        expected: str,
        actual: str,
        signature: str,
        related: Iterable[LedgerRecord] = (),
        exchanges: Sequence[Exchange] | None = None,
        curl: str | None = None,
    ) -> Finding:
        """A finding about `record` (after the `related` records it rests on): its heading,
        then `what`. The exchanges are the records' own unless given."""
        shown = [record_exchange(item) for item in (*related, record)]
        return Finding(
            rule=rule,
            message=f"{self.heading(record)}: {what}",
            expected=expected,
            actual=actual,
            operation=record.operation,
            curl=curl,
            exchanges=list(exchanges) if exchanges is not None else shown,
            signature=signature,
            source=source_of(rule),
        )


def record_exchange(record: LedgerRecord) -> Exchange:
    """A ledger record as the report's request/response excerpt (what the ledger holds)."""
    headers = {}
    if record.retry_after is not None:
        headers["Retry-After"] = record.retry_after
    if record.fault is not None:
        headers["X-Calbot-Fault"] = record.fault
    body = None if record.body is None else json.dumps(record.body, ensure_ascii=False)
    return Exchange(
        method=record.method,
        url=record.path,
        request_body=body,
        status_code=record.status,
        response_headers=headers,
        response_body=record.message,
    )


def judged(
    contract: str,
    name: str,
    rule: Rule,
    findings: Findings,
    *,
    needs: str,
    started_at: datetime,
) -> CheckResult:
    """A rule's check from its findings: passed, failed or a warning (by the rule's level), or
    skipped when the ledger never exercised it ("not exercised: <needs>")."""
    check = CheckResult(
        contract, name, rule.id, rule.level, Status.PASSED, rule.text, started_at=started_at
    )
    if findings is None:
        check.status, check.reason = Status.SKIPPED, f"not exercised: {needs}"
    elif findings:
        # A finding of a SHOULD rule in a MUST rule's check warns, as in the active checks.
        level = findings_level((finding.rule for finding in findings), rule.level)
        check.status, check.findings = level_status(level), findings
    return check


def ledger_run(
    records: Sequence[LedgerRecord],
    checks: list[CheckResult],
    *,
    kind: str,
    target: str,
    strict: bool,
    options: Mapping[str, Any],
) -> RunResult:
    """A verdict on a ledger as a RunResult: it starts at the first record and lasts until the
    last one."""
    started = records[0].time if records else datetime.now(UTC)
    duration = (records[-1].time - started).total_seconds() if records else 0.0
    return new_run(
        target,
        started,
        duration=max(0.0, duration),
        kind=kind,
        options=dict(options),
        checks=checks,
        strict=strict,
    )
