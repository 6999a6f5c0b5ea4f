"""What the answers show of the behaviour: defaults from the event, override replacing.

Judged only where the traffic leaves no doubt: a bot seen on one event only (a bot shared
through a deduplication key may carry another event's settings), bodies recorded whole, and
an override compared with earlier schedules of the same event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from calbot.contracts.clients.ledger import GET_BOT, GET_EVENT, SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.domain.timestamps import parse_timestamp
from calbot.contracts.judges.behaviour import expected_defaults, merged_metadata, metadata_keys
from calbot.contracts.results import Finding
from calbot.contracts.traffic.traffic import Traffic

Findings = list[Finding] | None
EVENT_ANSWERS = (SCHEDULE, UNSCHEDULE, GET_EVENT)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A successful schedule: the config sent (None when not recorded whole) and the answer."""

    record: LedgerRecord
    event_id: str
    bot_id: str
    config: dict[str, Any] | None
    event_start: object  # the answer's start_time, as given
    event_url: str | None
    bot_url: object


def schedules(traffic: Traffic) -> list[Scheduled]:
    """Every successful, valid schedule whose answer shows the event's one bot."""
    found = []
    for record in traffic.of(SCHEDULE):
        answer = record.response
        if record.status != 200 or record.validation != "valid" or not isinstance(answer, dict):
            continue
        bots = answer.get("bots")
        if not isinstance(bots, list) or len(bots) != 1 or not isinstance(bots[0], dict):
            continue
        body = record.body if isinstance(record.body, dict) and not record.body_truncated else {}
        config = body.get("bot_config")
        found.append(
            Scheduled(
                record,
                record.resource or "",
                str(bots[0].get("bot_id")),
                config if isinstance(config, dict) else None,
                answer.get("start_time"),
                answer.get("meeting_url") if isinstance(answer.get("meeting_url"), str) else None,
                bots[0].get("meeting_url"),
            )
        )
    return found


def _events_of_bots(traffic: Traffic) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for record in traffic.of(*EVENT_ANSWERS):
        if isinstance(record.response, dict):
            for item in record.response.get("bots") or ():
                if isinstance(item, dict) and record.resource:
                    seen[str(item.get("bot_id"))].add(record.resource)
    return seen


def _latest(done: list[Scheduled], bot_id: str, before: LedgerRecord) -> list[Scheduled]:
    """The schedules of `bot_id` before `before`, oldest first."""
    return [s for s in done if s.bot_id == bot_id and s.record.seq < before.seq]


def defaults_from_event(traffic: Traffic) -> Findings:
    """The bot's meeting URL and join_at are the event's unless bot_config gives them."""
    done = schedules(traffic)
    shared = {bot for bot, events in _events_of_bots(traffic).items() if len(events) > 1}
    findings: list[Finding] = []
    judged = False
    for scheduled in done:
        if scheduled.bot_id in shared or scheduled.config is None:
            continue
        defaults = expected_defaults(scheduled.config, scheduled.event_url, scheduled.event_start)
        if defaults.meeting_url is None or not isinstance(scheduled.bot_url, str):
            continue
        judged = True
        if not defaults.joins(scheduled.bot_url):
            findings.append(
                traffic.finding(
                    "defaults.from-event",
                    scheduled.record,
                    f"the bot's meeting_url is not the one {defaults.url_from} gave",
                    expected=defaults.meeting_url,
                    actual=scheduled.bot_url,
                    signature=f"meeting_url not from {defaults.url_from}",
                )
            )
    for record in traffic.of(GET_BOT):
        earlier = _latest(done, record.resource or "", record)
        if record.status != 200 or not isinstance(record.response, dict) or not earlier:
            continue
        last = earlier[-1]
        join_at = record.response.get("join_at")
        if last.bot_id in shared or last.config is None or parse_timestamp(join_at) is None:
            continue
        defaults = expected_defaults(last.config, last.event_url, last.event_start)
        if defaults.join_at is None:
            continue
        judged = True
        if not defaults.joins_at(join_at):
            # bot_config's join_at winning is inferred (Recall's doc versions disagree)
            given = defaults.join_at_from == "bot_config"
            findings.append(
                traffic.finding(
                    "defaults.join-at-override" if given else "defaults.from-event",
                    record,
                    f"the Bot's join_at is not {defaults.join_at_from}",
                    expected=defaults.join_at.isoformat(),
                    actual=str(join_at),
                    signature=f"join_at not from {defaults.join_at_from}",
                )
            )
    return findings if judged else None


def override_replaces(traffic: Traffic) -> Findings:
    """Scheduling again replaces the config as a whole and leaves the event one bot."""
    done = schedules(traffic)
    per_event: dict[str, int] = defaultdict(int)
    for scheduled in done:
        per_event[scheduled.event_id] += 1
    rescheduled = {event for event, count in per_event.items() if count > 1}
    findings: list[Finding] = []
    for record in traffic.of(*EVENT_ANSWERS):
        bots = record.response.get("bots") if isinstance(record.response, dict) else None
        if record.status == 200 and isinstance(bots, list) and len(bots) > 1:
            findings.append(
                traffic.finding(
                    "override.replace",
                    record,
                    f"the event has {len(bots)} bots",
                    expected="one bot per event: scheduling again replaces it",
                    actual={"bots": bots[:5]},
                    signature="second bot on the event",
                )
            )
    judged = bool(rescheduled or findings)
    for record in traffic.of(GET_BOT):
        earlier = _latest(done, record.resource or "", record)
        if record.status != 200 or not isinstance(record.response, dict) or len(earlier) < 2:
            continue
        last = earlier[-1]
        same_event = [s for s in earlier if s.event_id == last.event_id]
        if last.config is None or any(s.config is None for s in same_event):
            continue
        earlier_configs = [s.config or {} for s in same_event[:-1]]
        metadata = record.response.get("metadata")
        kept = merged_metadata(earlier_configs, last.config, metadata)
        if kept is None:
            continue
        judged = True
        if kept:
            findings.append(
                traffic.finding(
                    "override.replace",
                    record,
                    f"the Bot still has metadata {', '.join(kept)} that the last schedule "
                    f"(#{last.record.seq}) dropped: the configs were merged",
                    expected=f"metadata keys {sorted(metadata_keys(last.config))}",
                    actual={"metadata": metadata},
                    signature="override merged metadata",
                )
            )
    return findings if judged else None
