"""The rules a client of the API must follow, checked from the reference server's ledger.

Pure functions over `LedgerRecord`s: `check_ledger(records)` gives one `CheckResult` per rule
in `CLIENT_RULES` (passed, failed/warning with findings, or skipped when the ledger never
exercised the rule); `client_result` wraps them in a `RunResult` of kind "client", the form
every report writer reads. `describe_violations` lists the findings for a terminal.

A *call* is what a retry repeats: the same operation on the same event (or bot) in the same
workspace. Times are the server's clock; `+1.204s` is counted from the ledger's first record.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calbot.contracts.clients.ledger import SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.domain.model import DELETED_MESSAGE, ENDED_MESSAGE
from calbot.contracts.results import (
    CheckResult,
    Exchange,
    Finding,
    Level,
    RunResult,
    Status,
    level_status,
    new_run,
)
from calbot.contracts.rules import CLIENT_RULES, CLIENT_RULES_BY_ID, DEFAULT_TIGHT_LOOP, source_of
from calbot.spec.text import shorten
from calbot.spec.throttles import TRANSIENT_STATUSES, RateLimit, parse_retry_after

WRITES = (SCHEDULE, UNSCHEDULE)
TRANSIENT = tuple(sorted(TRANSIENT_STATUSES))
PERMANENT_400 = (ENDED_MESSAGE, DELETED_MESSAGE)
_EARLY_TOLERANCE = 0.001  # seconds: timestamps have microsecond resolution


@dataclass(frozen=True, slots=True)
class ClientRuleOptions:
    """How strictly to read the ledger: the tight-loop threshold and rules to leave out."""

    tight_loop: RateLimit = DEFAULT_TIGHT_LOOP
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.ignore) - set(CLIENT_RULES_BY_ID))
        if unknown:
            known = ", ".join(CLIENT_RULES_BY_ID)
            raise ValueError(f"unknown client rule {', '.join(unknown)}; known: {known}")


Findings = list[Finding] | None
"""A rule's answer: its findings, or None when the ledger never exercised it."""


class _Ledger:
    """The records, with what every rule needs: the time origin and records per call."""

    def __init__(self, records: Sequence[LedgerRecord]) -> None:
        self.records = [record for record in records if record.operation]
        self.origin = records[0].time if records else datetime.now(UTC)
        self.calls: dict[tuple[str, str, str | None], list[LedgerRecord]] = defaultdict(list)
        for record in self.records:
            self.calls[record.call].append(record)

    def seconds(self, record: LedgerRecord) -> float:
        return (record.time - self.origin).total_seconds()

    def at(self, record: LedgerRecord) -> str:
        return f"#{record.seq} +{self.seconds(record):.3f}s"

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
    ) -> Finding:
        head = f"{self.at(record)} {record.method} {record.path} → {record.status}"
        return Finding(
            rule=rule,
            message=f"{head}: {what}",
            expected=expected,
            actual=actual,
            operation=record.operation,
            exchanges=[exchange(item) for item in (*related, record)],
            signature=signature,
        )


def check_ledger(
    records: Sequence[LedgerRecord], options: ClientRuleOptions | None = None
) -> list[CheckResult]:
    """One check per client rule, in catalogue order."""
    options = options or ClientRuleOptions()
    ledger = _Ledger(records)
    results = []
    for rule in CLIENT_RULES:
        name, check, untested = _CHECKS[rule.id]
        result = CheckResult(
            rule.area, name, rule.id, rule.level, Status.PASSED, rule.text, started_at=ledger.origin
        )
        if rule.id in options.ignore:
            result.status, result.reason = Status.SKIPPED, "ignored (relaxed for this run)"
        elif (findings := check(ledger, options)) is None:
            result.status, result.reason = Status.SKIPPED, f"not exercised: {untested}"
        elif findings:
            result.status = level_status(rule.level)
            result.findings = findings
            for finding in findings:
                finding.source = finding.source or source_of(finding.rule)
        results.append(result)
    return results


def client_result(
    records: Sequence[LedgerRecord],
    options: ClientRuleOptions | None = None,
    *,
    target: str = "client",
    strict: bool = False,
    details: Mapping[str, Any] | None = None,
) -> RunResult:
    """The client rules' verdict on a ledger, as a RunResult of kind "client"."""
    options = options or ClientRuleOptions()
    checks = check_ledger(records, options)
    started = records[0].time if records else datetime.now(UTC)
    duration = (records[-1].time - started).total_seconds() if records else 0.0
    shown: dict[str, Any] = {
        "requests": len(records),
        "tight_loop": f"{options.tight_loop.limit}/{options.tight_loop.period:g}s",
    }
    if options.ignore:
        shown["ignore"] = ",".join(sorted(options.ignore))
    return new_run(
        target,
        started,
        duration=max(0.0, duration),
        kind="client",
        options={**shown, **(details or {})},
        checks=checks,
        strict=strict,
    )


# --- the rules -------------------------------------------------------------------------------


def _request_conforms(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    schedules = [record for record in ledger.records if record.operation == SCHEDULE]
    if not schedules:
        return None
    findings = []
    for record in schedules:
        if record.validation != "invalid":
            continue
        problems = flatten_errors(record.errors or {})
        findings.append(
            ledger.finding(
                "client.request-conforms",
                record,
                "the body does not match the fragment: " + "; ".join(problems[:3]),
                expected="a JSON object: deduplication_key a string of 1-2000 characters, "
                "bot_config an object, metadata values strings or null",
                actual="; ".join(problems),
                signature="invalid " + ",".join(sorted(p.split(":")[0] for p in problems)),
            )
        )
    return findings


def _retry_after(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised = False
    findings = []
    # (workspace, operation) -> (blocked until, in seconds from the origin; the 429 record)
    blocked: dict[tuple[str, str], tuple[float, LedgerRecord]] = {}
    for record in ledger.records:
        scope = (record.workspace, record.operation or "")
        now = ledger.seconds(record)
        if scope in blocked:
            until, throttled = blocked[scope]
            if now < until - _EARLY_TOLERANCE:
                window = until - ledger.seconds(throttled)
                findings.append(
                    ledger.finding(
                        "client.retry-after",
                        record,
                        f"sent {now - ledger.seconds(throttled):.3f} s after the 429 of "
                        f"#{throttled.seq}, which said Retry-After: {throttled.retry_after}",
                        expected=f"no {record.operation} request until +{until:.3f}s "
                        f"({window:g} s after the 429)",
                        actual=f"sent at +{now:.3f}s, {until - now:.3f} s early",
                        signature="sent before Retry-After",
                        related=[throttled],
                    )
                )
        if record.status == 429:
            delay = parse_retry_after(record.retry_after, record.time)
            if delay is not None:
                exercised = True
                until = now + delay
                if scope not in blocked or blocked[scope][0] < until:
                    blocked[scope] = (until, record)
    return findings if exercised else None


def _gave_up(
    ledger: _Ledger, statuses: tuple[int, ...], rule: str, kind: str
) -> tuple[bool, list[Finding]]:
    """Calls (writes only) whose first refusal in `statuses` was never followed by a retry."""
    exercised = False
    findings = []
    for (_, operation, _), records in ledger.calls.items():
        if operation not in WRITES:
            continue
        for index, record in enumerate(records):
            if record.status not in statuses:
                continue
            exercised = True
            retried_before = index > 0 and records[index - 1].status in statuses
            if index == len(records) - 1 and not retried_before:
                said = f" (Retry-After: {record.retry_after})" if record.retry_after else ""
                findings.append(
                    ledger.finding(
                        rule,
                        record,
                        f"a {kind} {operation} was never sent again{said}",
                        expected=f"the same request sent again after "
                        f"{'Retry-After' if record.status == 429 else 'a backoff'}",
                        actual=f"no later {operation} request for this event: the client "
                        f"gave up after one {record.status}",
                        signature=f"gave up after {record.status}",
                    )
                )
    return exercised, findings


def _retries_throttled(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised, findings = _gave_up(ledger, (429,), "client.retries-throttled", "throttled")
    return findings if exercised else None


def _retries_transient(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised, findings = _gave_up(ledger, TRANSIENT, "client.retries-transient", "refused")
    return findings if exercised else None


def _no_tight_loop(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    limit, period = options.tight_loop.limit, options.tight_loop.period
    exercised = False
    findings = []
    for records in ledger.calls.values():
        times = [ledger.seconds(record) for record in records]
        quiet_until = float("-inf")  # one finding per burst
        for index, record in enumerate(records):
            if record.status != 429 and record.status < 500:
                continue
            exercised = True
            start = times[index]
            if start < quiet_until:
                continue
            burst = records[index + 1 : bisect_right(times, start + period, lo=index + 1)]
            if len(burst) > limit:
                quiet_until = start + period
                span = f"+{times[index + 1]:.3f}s to +{ledger.seconds(burst[-1]):.3f}s"
                findings.append(
                    ledger.finding(
                        "client.no-tight-loop",
                        burst[-1],
                        f"{len(burst)} requests within {period:g} s after the "
                        f"{record.status} of #{record.seq} (limit {limit})",
                        expected=f"at most {limit} requests per {period:g} s to the same call "
                        "after a 429 or 5xx (back off: Retry-After, or exponential)",
                        actual=f"{len(burst)} requests, #{burst[0].seq} to #{burst[-1].seq}, "
                        f"{span}",
                        signature="tight loop",
                        related=[record],
                    )
                )
    return findings if exercised else None


def _ended_not_retried(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised = False
    findings = []
    for (_, operation, _), records in ledger.calls.items():
        if operation != SCHEDULE:
            continue
        refused: LedgerRecord | None = None
        for record in records:
            if refused is not None:
                findings.append(
                    ledger.finding(
                        "client.ended-not-retried",
                        record,
                        f"sent again after #{refused.seq} answered 400: {refused.message}",
                        expected="no further schedule for an event that has ended (the 400 "
                        "is final; skip events whose end_time has passed)",
                        actual=f"schedule re-sent {_gap(ledger, refused, record)} s after "
                        "the refusal",
                        signature="re-sent after ended 400",
                        related=[refused],
                    )
                )
            elif record.status == 400 and record.message in PERMANENT_400:
                exercised = True
                refused = record
    return findings if exercised else None


def _gap(ledger: _Ledger, first: LedgerRecord, then: LedgerRecord) -> str:
    return f"{ledger.seconds(then) - ledger.seconds(first):.3f}"


def _dedup_stable_key(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised = False
    findings = []
    for (_, operation, _), records in ledger.calls.items():
        if operation != SCHEDULE:
            continue
        previous: LedgerRecord | None = None
        known_event: dict[str, Any] | None = None
        unscheduled = False
        for record in _with_unschedules(ledger, records):
            if record.operation == UNSCHEDULE:
                unscheduled = unscheduled or record.status == 200
                continue
            if unscheduled:
                previous, unscheduled = None, False
            moved = record.event is not None and known_event not in (None, record.event)
            known_event = record.event or known_event
            if record.validation != "valid" or record.key is None:
                continue
            if previous is not None:
                exercised = True
                if record.key != previous.key and not moved:
                    findings.append(
                        ledger.finding(
                            "client.dedup-stable-key",
                            record,
                            f"event re-scheduled under deduplication_key {_quote(record.key)}, "
                            f"not {_quote(previous.key)} (#{previous.seq})",
                            expected="the key the event was scheduled with (one key scheme, "
                            "e.g. {start_time}-{meeting_url})",
                            actual=f"{_quote(previous.key)} at #{previous.seq}, then "
                            f"{_quote(record.key)} at #{record.seq}",
                            signature="key changed",
                            related=[previous],
                        )
                    )
            previous = record
    return findings if exercised else None


def _with_unschedules(ledger: _Ledger, schedules: list[LedgerRecord]) -> list[LedgerRecord]:
    """An event's schedules, with the unschedules of the same event, in ledger order."""
    first = schedules[0]
    unschedules = ledger.calls.get((first.workspace, UNSCHEDULE, first.resource), [])
    return sorted([*schedules, *unschedules], key=lambda record: record.seq)


def _dedup_same_meeting(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    # (workspace, start_time, meeting_url) -> event id -> its latest successful schedule
    meetings: dict[tuple[str, str, str], dict[str, LedgerRecord]] = defaultdict(dict)
    for record in ledger.records:
        event = record.event
        if record.operation != SCHEDULE or record.status != 200 or not event or not record.key:
            continue
        start, url = event.get("start_time"), event.get("meeting_url")
        if isinstance(start, str) and isinstance(url, str) and record.resource:
            meetings[(record.workspace, start, url)][record.resource] = record
    exercised = False
    findings = []
    for (_, start, url), by_event in meetings.items():
        if len(by_event) < 2:
            continue
        exercised = True
        latest = sorted(by_event.values(), key=lambda record: record.seq)
        keys = dict.fromkeys(record.key for record in latest)
        if len(keys) < 2:
            continue
        listed = ", ".join(f"#{r.seq} {_quote(r.key)}" for r in latest[:5])
        findings.append(
            ledger.finding(
                "client.dedup-same-meeting",
                latest[-1],
                f"{len(latest)} events with the same start time and meeting URL were "
                f"scheduled under {len(keys)} different keys",
                expected=f"one key for the meeting at {start} ({url}), e.g. "
                "{start_time}-{meeting_url}, so that one bot joins",
                actual=listed,
                signature="one meeting, several keys",
                related=latest[:-1][:4],
            )
        )
    return findings if exercised else None


def _override_full_config(ledger: _Ledger, options: ClientRuleOptions) -> Findings:
    exercised = False
    findings = []
    for (_, operation, _), records in ledger.calls.items():
        if operation != SCHEDULE:
            continue
        previous: LedgerRecord | None = None
        for record in _with_unschedules(ledger, records):
            if record.status != 200 or record.config_keys is None:
                if record.operation == UNSCHEDULE and record.status == 200:
                    previous = None
                continue
            if previous is not None and previous.config_keys is not None:
                exercised = True
                dropped = _dropped(previous.config_keys, record.config_keys)
                if dropped:
                    findings.append(
                        ledger.finding(
                            "client.override-full-config",
                            record,
                            f"re-schedule dropped bot_config keys the previous one "
                            f"(#{previous.seq}) had: {', '.join(dropped)}",
                            expected="the full bot_config every time (partial updates are not "
                            "supported; the last config replaces the bot's whole config)",
                            actual=f"missing: {', '.join(dropped)}",
                            signature="dropped " + ",".join(dropped),
                            related=[previous],
                        )
                    )
            previous = record
    return findings if exercised else None


def _dropped(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """Key paths in `before` and not in `after`, without the children of a dropped key."""
    gone = set(before) - set(after)
    return sorted(path for path in gone if path.rpartition(".")[0] not in gone)


_Check = Callable[[_Ledger, ClientRuleOptions], Findings]

# rule id -> (check name, check, why the ledger may not exercise it)
_CHECKS: dict[str, tuple[str, _Check, str]] = {
    "client.request-conforms": (
        "conforms",
        _request_conforms,
        "no schedule request (POST /api/v2/calendar-events/{id}/bot/) was made",
    ),
    "client.retry-after": (
        "retry-after",
        _retry_after,
        "no request was answered 429 with a Retry-After (inject one: "
        "calbot_server.fail_next(status=429) or --fault 429)",
    ),
    "client.retries-throttled": (
        "throttled-retried",
        _retries_throttled,
        "no schedule or unschedule was answered 429",
    ),
    "client.no-tight-loop": ("no-tight-loop", _no_tight_loop, "no request was answered 429 or 5xx"),
    "client.ended-not-retried": (
        "not-retried",
        _ended_not_retried,
        "no schedule was refused because its event had ended (schedule on an ended event, "
        "or inject one: --fault ended)",
    ),
    "client.retries-transient": (
        "transient-retried",
        _retries_transient,
        "no schedule or unschedule was answered 409, 502, 503, 504 or 507",
    ),
    "client.dedup-stable-key": ("stable-key", _dedup_stable_key, "no event was scheduled twice"),
    "client.dedup-same-meeting": (
        "same-meeting",
        _dedup_same_meeting,
        "no two events with the same start time and meeting URL were scheduled",
    ),
    "client.override-full-config": (
        "full-config",
        _override_full_config,
        "no event was re-scheduled after a successful schedule",
    ),
}


# --- presentation ----------------------------------------------------------------------------


def flatten_errors(errors: Mapping[str, Any], prefix: str = "") -> list[str]:
    """DRF-style errors as `field.path: message` lines."""
    lines = []
    for name, value in errors.items():
        path = str(name) if name == "non_field_errors" and not prefix else f"{prefix}{name}"
        if isinstance(value, Mapping):
            lines += flatten_errors(value, f"{path}.")
        elif isinstance(value, list):
            lines += [f"{path}: {message}" for message in value]
        else:
            lines.append(f"{path}: {value}")
    return lines


def exchange(record: LedgerRecord) -> Exchange:
    """A ledger record as the report's request/response excerpt."""
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


def _quote(key: str | None, limit: int = 80) -> str:
    text = "" if key is None else key
    return json.dumps(shorten(text, limit), ensure_ascii=False)


_SYMBOL = {Status.FAILED: "✗", Status.WARNING: "!"}


def describe_violations(
    checks: Sequence[CheckResult], *, include_warnings: bool = True, per_rule: int = 10
) -> str:
    """The broken rules and their findings, one block per rule, for a terminal."""
    shown = [Status.FAILED, Status.WARNING] if include_warnings else [Status.FAILED]
    broken = [check for check in checks if check.status in shown and check.findings]
    if not broken:
        return "no client rule was broken"
    total = sum(len(check.findings) for check in broken)
    lines = [f"{_plural(len(broken), 'client rule')} broken ({_plural(total, 'violation')}):"]
    for check in broken:
        kind = "MUST" if check.level is Level.MUST else "SHOULD, a warning"
        lines.append(f"{_SYMBOL[check.status]} {check.rule} ({kind}): {check.description}")
        for finding in check.findings[:per_rule]:
            lines.append(f"    {finding.message}")
            lines.append(f"      expected: {finding.expected}")
            request = finding.exchanges[-1].request_body if finding.exchanges else None
            if request:
                lines.append(f"      request body: {shorten(request, 200)}")
        if len(check.findings) > per_rule:
            lines.append(f"    … and {len(check.findings) - per_rule} more")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
