"""Error answers: 401/404 bodies, 429 with a usable Retry-After, no 5xx, an upstream answering."""

from __future__ import annotations

from calbot.contracts.judges.answers import is_detail_body, is_server_error, usable_retry_after
from calbot.contracts.results import Finding
from calbot.contracts.traffic.traffic import PROXY, Traffic
from calbot.spec.throttles import TRANSIENT_STATUSES

Findings = list[Finding] | None

OUTAGE = tuple(sorted(status for status in TRANSIENT_STATUSES if status >= 500))
"""5xx answers Recall documents as transient (retry later): not judged as server errors."""


def detail_bodies(traffic: Traffic) -> Findings:
    """A 401 or 404 answer is JSON `{"detail": "..."}`, as Django REST Framework answers."""
    judged = [r for r in traffic.answers if r.status in (401, 404)]
    if not judged:
        return None
    findings = []
    for record in judged:
        body = record.response
        if is_detail_body(body):
            continue
        findings.append(
            traffic.finding(
                "errors.bodies",
                record,
                f'the {record.status} body is not {{"detail": "..."}}',
                expected='{"detail": "..."}',
                actual=body if body is not None else str(record.response_note),
                signature=f"{record.status} body",
            )
        )
    return findings


def retry_after(traffic: Traffic) -> Findings:
    """A 429 carries a Retry-After that can be read (delta-seconds or an HTTP-date)."""
    throttled = [r for r in traffic.answers if r.status == 429]
    if not throttled:
        return None
    return [
        traffic.finding(
            "rate-limit.throttle",
            record,
            "the 429 has no usable Retry-After",
            expected="Retry-After: delta-seconds or an HTTP-date",
            actual=f"Retry-After: {record.retry_after}" if record.retry_after else "no Retry-After",
            signature="retry-after " + ("missing" if record.retry_after is None else "unparseable"),
        )
        for record in throttled
        if not usable_retry_after(record.retry_after, record.time)
    ]


def no_server_errors(traffic: Traffic) -> Findings:
    """No answer is a 5xx server error (the transient 502/503/504/507 aside)."""
    if not traffic.answers:
        return None
    return [
        traffic.finding(
            "robustness.no-5xx",
            record,
            f"the upstream answered {record.status}",
            expected="no 5xx (502, 503, 504 and 507 are documented as transient)",
            actual=record.message or str(record.status),
            signature=f"status {record.status}",
        )
        for record in traffic.answers
        if is_server_error(record.status, OUTAGE)
    ]


def upstream_answered(traffic: Traffic) -> Findings:
    """Every forwarded request got an answer from the upstream."""
    forwarded = [
        r
        for r in traffic.all
        if r.answered_by is not None and not (r.answered_by == PROXY and r.upstream_error is None)
    ]
    if not forwarded:
        return None
    return [
        traffic.finding(
            "traffic.upstream-answered",
            record,
            f"no answer from the upstream: {record.upstream_error}",
            expected="an answer",
            actual=f"{record.status} from calbot proxy"
            if record.answered_by == PROXY
            else "an answer broken off",
            signature=f"no answer ({record.status})",
        )
        for record in forwarded
        if record.upstream_error is not None
    ]
