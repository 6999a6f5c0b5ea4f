"""What the upstream refuses: ended events (the documented body's literals exactly, other keys
allowed, as the active check judges it), invalid requests."""

from __future__ import annotations

import json
from datetime import timedelta

from calbot.contracts.clients.ledger import SCHEDULE, LedgerRecord
from calbot.contracts.domain.model import ENDED_BODY
from calbot.contracts.domain.validation import NOT_A_STRING, NOT_BLANK, NOT_NULL, REQUIRED, TOO_LONG
from calbot.contracts.judges.answers import ended_body_differences
from calbot.contracts.results import Finding
from calbot.contracts.traffic.traffic import Traffic
from calbot.spec.evidence import documented_violations

Findings = list[Finding] | None

CLOCK_SKEW = timedelta(minutes=5)
"""An event counts as ended when it ended this long before the request (the proxy's clock and
the upstream's may differ)."""


def ended_refused(traffic: Traffic) -> Findings:
    """A schedule on an ended event is refused with the documented 400 body: its literals
    exactly, other keys allowed (`ended_body_differences`, the active check's judge too).

    An answer is judged when it says the event has ended, or when the traffic showed the event's
    end time well before the (valid) request. A deleted event may be refused otherwise.
    """
    findings: list[Finding] = []
    judged = False
    for record in traffic.of(SCHEDULE):
        says_ended = record.status == 400 and "has ended" in _text(record.response).lower()
        if not (says_ended or _ended_before(traffic, record)):
            continue
        if record.status not in (200, 201, 400) and not says_ended:
            continue  # throttled, conflicting, ...: says nothing about the event
        judged = True
        if record.status != 400:
            findings.append(
                traffic.finding(
                    "ended.refused",
                    record,
                    "a schedule on an event that had ended was accepted",
                    expected=f"400 {json.dumps(ENDED_BODY)}",
                    actual=f"{record.status} (the event ended at "
                    f"{traffic.ended_at[record.resource or ''].isoformat()})",
                    signature="ended accepted",
                )
            )
        elif ended_body_differences(record.response):
            findings.append(
                traffic.finding(
                    "ended.refused",
                    record,
                    "the ended-event 400 is not the documented body",
                    expected=json.dumps(ENDED_BODY),
                    actual=record.response
                    if record.response is not None
                    else str(record.response_note),
                    signature="ended body",
                )
            )
    return findings if judged else None


def _ended_before(traffic: Traffic, record: LedgerRecord) -> bool:
    event = record.resource or ""
    if record.validation != "valid" or event in traffic.deleted or event not in traffic.ended_at:
        return False
    return traffic.ended_at[event] < record.time - CLOCK_SKEW


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# Request errors Django REST Framework would certainly refuse for a documented constraint
# (a number for the key is not one: DRF's CharField takes it as a string).
_KEY_ERRORS = ([REQUIRED], [NOT_NULL], [NOT_BLANK], [TOO_LONG])
_CONFIG_ERRORS = ([REQUIRED], [NOT_NULL])


def certainly_invalid(record: LedgerRecord) -> list[str]:
    """The documented constraints a recorded schedule body breaks beyond doubt.

    A body kept whole is judged as the active checks judge one (`spec.evidence`: under every
    reading, Django REST Framework's included); a cut excerpt only by the errors beyond doubt.
    """
    if record.body is not None and not record.body_truncated:
        return documented_violations(record.body)
    errors = record.errors or {}
    broken = []
    if errors.get("deduplication_key") in _KEY_ERRORS:
        broken.append(f"deduplication_key: {errors['deduplication_key'][0]}")
    config = errors.get("bot_config")
    if config in _CONFIG_ERRORS or (
        isinstance(config, list) and config and str(config[0]).startswith("Expected a dictionary")
    ):
        broken.append(f"bot_config: {config[0]}")
    metadata = config.get("metadata") if isinstance(config, dict) else None
    if (
        isinstance(metadata, dict)
        and metadata
        and all(v == [NOT_A_STRING] for v in metadata.values())
    ):
        broken.append(f"bot_config.metadata: values of {', '.join(sorted(metadata))} not strings")
    return broken  # an unreadable body is not judged: the upstream may read bodies differently


def invalid_requests(traffic: Traffic) -> Findings:
    """A schedule body that breaks a documented constraint is refused with a 4xx."""
    judged = [(r, certainly_invalid(r)) for r in traffic.of(SCHEDULE) if r.validation == "invalid"]
    judged = [(r, broken) for r, broken in judged if broken]
    if not judged:
        return None
    return [
        traffic.finding(
            "schema.invalid-requests",
            record,
            "an invalid schedule body was accepted: " + "; ".join(broken),
            expected="400 with the envelope {code, message, errors}",
            actual=str(record.status),
            signature="accepted " + ",".join(sorted(b.split(":")[0] for b in broken)),
        )
        for record, broken in judged
        if 200 <= record.status < 300
    ]
