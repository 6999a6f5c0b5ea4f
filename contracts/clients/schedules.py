"""The client rules about what a client schedules: a body that matches the fragment, one
deduplication key per event and per meeting, the full bot_config on every re-schedule.

Each rule is a pure function of a `LedgerView` and the `ClientRuleOptions`, giving its findings
or None when the ledger never exercised it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from calbot.contracts.clients.ledger.record import SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.clients.options import ClientRuleOptions
from calbot.contracts.clients.view import Findings, LedgerView
from calbot.spec.text import shorten


def request_conforms(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.request-conforms: every schedule body matches the fragment."""
    schedules = [record for record in view.requests if record.operation == SCHEDULE]
    if not schedules:
        return None
    findings = []
    for record in schedules:
        if record.validation != "invalid":
            continue
        problems = flatten_errors(record.errors or {})
        findings.append(
            view.finding(
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


def dedup_stable_key(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.dedup-stable-key: an event is re-scheduled under the key it was scheduled with."""
    exercised = False
    findings = []
    for history in _event_histories(view):
        previous: LedgerRecord | None = None
        known_event: dict[str, Any] | None = None
        unscheduled = False
        for record in history:
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
                        view.finding(
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


def _event_histories(view: LedgerView) -> Iterator[list[LedgerRecord]]:
    """Each scheduled event's schedules, with its unschedules, in ledger order."""
    for (workspace, operation, resource), schedules in view.calls.items():
        if operation != SCHEDULE:
            continue
        unschedules = view.calls.get((workspace, UNSCHEDULE, resource), [])
        yield sorted([*schedules, *unschedules], key=lambda record: record.seq)


def dedup_same_meeting(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.dedup-same-meeting: events of one meeting are scheduled under one key."""
    # (workspace, start_time, meeting_url) -> event id -> its latest successful schedule
    meetings: dict[tuple[str, str, str], dict[str, LedgerRecord]] = defaultdict(dict)
    for record in view.requests:
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
            view.finding(
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


def override_full_config(view: LedgerView, options: ClientRuleOptions) -> Findings:
    """client.override-full-config: a re-schedule keeps every bot_config key of the last one."""
    exercised = False
    findings = []
    for history in _event_histories(view):
        previous: LedgerRecord | None = None
        for record in history:
            if record.status != 200 or record.config_keys is None:
                if record.operation == UNSCHEDULE and record.status == 200:
                    previous = None
                continue
            if previous is not None and previous.config_keys is not None:
                exercised = True
                dropped = _dropped(previous.config_keys, record.config_keys)
                if dropped:
                    findings.append(
                        view.finding(
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


def _quote(key: str | None, limit: int = 80) -> str:
    text = "" if key is None else key
    return json.dumps(shorten(text, limit), ensure_ascii=False)
