"""The client rules about refusals and retries: Retry-After obeyed, throttled and transient
writes retried, no tight loop after a 429 or 5xx, an ended-event refusal not sent again.

Each rule is a pure function of a `LedgerView` and the `ClientRuleOptions`, giving its findings
or None when the ledger never exercised it.
"""

from __future__ import annotations

from bisect import bisect_right

from calbot.contracts.clients.ledger.record import SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.clients.options import ClientRuleOptions
from calbot.contracts.clients.view import Findings, LedgerView
from calbot.contracts.domain.model import DELETED_MESSAGE, ENDED_MESSAGE
from calbot.contracts.results import Finding
from calbot.spec.throttles import TRANSIENT_STATUSES, parse_retry_after

WRITES = (SCHEDULE, UNSCHEDULE)
TRANSIENT = tuple(sorted(TRANSIENT_STATUSES))
PERMANENT_400 = (ENDED_MESSAGE, DELETED_MESSAGE)
_EARLY_TOLERANCE = 0.001  # seconds: timestamps have microsecond resolution


def retry_after(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.retry-after: no request to an operation before the Retry-After of its 429."""
    exercised = False
    findings = []
    # (workspace, operation) -> (blocked until, in seconds from the origin; the 429 record)
    blocked: dict[tuple[str, str], tuple[float, LedgerRecord]] = {}
    for record in view.requests:
        scope = (record.workspace, record.operation or "")
        now = view.seconds(record)
        if scope in blocked:
            until, throttled = blocked[scope]
            if now < until - _EARLY_TOLERANCE:
                window = until - view.seconds(throttled)
                findings.append(
                    view.finding(
                        "client.retry-after",
                        record,
                        f"sent {now - view.seconds(throttled):.3f} s after the 429 of "
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
    view: LedgerView, statuses: tuple[int, ...], rule: str, kind: str
) -> tuple[bool, list[Finding]]:
    """Calls (writes only) whose first refusal in `statuses` was never followed by a retry."""
    exercised = False
    findings = []
    for (_, operation, _), records in view.calls.items():
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
                    view.finding(
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


def retries_throttled(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.retries-throttled: a write answered 429 is sent again."""
    exercised, findings = _gave_up(view, (429,), "client.retries-throttled", "throttled")
    return findings if exercised else None


def retries_transient(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.retries-transient: a write answered 409, 502, 503, 504 or 507 is sent again."""
    exercised, findings = _gave_up(view, TRANSIENT, "client.retries-transient", "refused")
    return findings if exercised else None


def no_tight_loop(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.no-tight-loop: at most N requests per period to a call after a 429 or 5xx."""
    limit, period = options.tight_loop.limit, options.tight_loop.period
    exercised = False
    findings = []
    for records in view.calls.values():
        times = [view.seconds(record) for record in records]
        quiet_until = float("-inf")  # one finding per burst
        for index, record in enumerate(records):
            if record.status != 429 and record.status < 500 and record.status not in TRANSIENT:
                continue  # backoff is owed after a 429, a 5xx and a 409 (retry with backoff)
            exercised = True
            start = times[index]
            if start < quiet_until:
                continue
            burst = records[index + 1 : bisect_right(times, start + period, lo=index + 1)]
            if len(burst) > limit:
                quiet_until = start + period
                span = f"+{times[index + 1]:.3f}s to +{view.seconds(burst[-1]):.3f}s"
                findings.append(
                    view.finding(
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


def ended_not_retried(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.ended-not-retried: a schedule refused as ended (or deleted) is not sent again."""
    exercised = False
    findings = []
    for (_, operation, _), records in view.calls.items():
        if operation != SCHEDULE:
            continue
        refused: LedgerRecord | None = None
        for record in records:
            if refused is not None:
                findings.append(
                    view.finding(
                        "client.ended-not-retried",
                        record,
                        f"sent again after #{refused.seq} answered 400: {refused.message}",
                        expected="no further schedule for an event that has ended (the 400 "
                        "is final; skip events whose end_time has passed)",
                        actual=f"schedule re-sent {_gap(view, refused, record)} s after "
                        "the refusal",
                        signature="re-sent after ended 400",
                        related=[refused],
                    )
                )
            elif record.status == 400 and record.message in PERMANENT_400:
                exercised = True
                refused = record
    return findings if exercised else None


def _gap(view: LedgerView, first: LedgerRecord, then: LedgerRecord) -> str:
    return f"{view.seconds(then) - view.seconds(first):.3f}"
