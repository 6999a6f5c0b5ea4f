"""The rule catalogue: what a server (`RULES`) and a client (`CLIENT_RULES`) must do, with
their sources. Checks and findings cite rules by id; the reports read the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from calbot.contracts.results import Level


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented behaviour; checks cite rules by `id`."""

    id: str
    area: str
    text: str
    level: Level
    source: str


RULES: tuple[Rule, ...] = (
    Rule(
        "schema.responses",
        "schema",
        "Every response body matches the fragment: required fields present, types and formats "
        "right.",
        Level.MUST,
        "spec/openapi.yaml",
    ),
    Rule(
        "schema.invalid-requests",
        "schema",
        "Invalid request bodies (missing, blank or over-2000-character key, non-object "
        "bot_config, non-string metadata values) get 400 with the envelope {code, message, "
        "errors}.",
        Level.MUST,
        "recall-domain §3.1, §5.1",
    ),
    Rule(
        "meeting_url.event-string",
        "meeting_url",
        "On CalendarEvent and bots[] items, meeting_url is a string (on the event: string or "
        "null).",
        Level.MUST,
        "recall-domain §2.3",
    ),
    Rule(
        "meeting_url.bot-object",
        "meeting_url",
        "On the Bot (GET /api/v1/bot/{id}/), meeting_url is the per-platform object, "
        "consistent with the URL the bot was scheduled with.",
        Level.MUST,
        "recall-domain §2.1, §2.3",
    ),
    Rule(
        "defaults.from-event",
        "defaults",
        "The bot's meeting URL and join_at come from the event unless bot_config gives them.",
        Level.MUST,
        "recall-domain §3.1",
    ),
    Rule(
        "dedup.shared-bot",
        "dedup",
        "Two events scheduled with the same deduplication_key share one bot (same bot_id); "
        "different keys get different bots.",
        Level.MUST,
        "recall-domain §3.3",
    ),
    Rule(
        "override.replace",
        "override",
        "Scheduling again replaces the event's bot config as a whole: no merge of old keys, "
        "no second bot on the event.",
        Level.MUST,
        "recall-domain §3.4",
    ),
    Rule(
        "ended.refused",
        "ended",
        "Scheduling on an ended event answers 400 with non_field_errors: ['Cannot schedule bot "
        "as calendar event has ended.'] in the envelope, and nothing changes.",
        Level.MUST,
        "seed; recall-domain §5.1",
    ),
    Rule(
        "delete.unschedule",
        "delete",
        "DELETE returns the event with no bot, is idempotent, and keeps a bot another event "
        "still shares.",
        Level.MUST,
        "recall-domain §3.5",
    ),
    Rule(
        "rate-limit.throttle",
        "rate-limit",
        "Past the documented budget: 429 with a parseable Retry-After; the throttled request "
        "changes nothing; after waiting Retry-After the call succeeds.",
        Level.MUST,
        "recall-domain §4",
    ),
    Rule(
        "rate-limit.budget",
        "rate-limit",
        "The first 429 comes when the budget is spent: not before it, and not far after it.",
        Level.MUST,
        "recall-domain §4.1",
    ),
    Rule(
        "errors.not-found",
        "errors",
        "An unknown event or bot id answers 404.",
        Level.MUST,
        "recall-domain §5.1",
    ),
    Rule(
        "errors.auth",
        "errors",
        "A missing or wrong API key answers 401 when the target requires one.",
        Level.MUST,
        "recall-domain §5.1, §5.2",
    ),
    Rule(
        "errors.bodies",
        "errors",
        "Error answers are JSON in Django REST Framework's shape: 404 and 401 as {detail}.",
        Level.SHOULD,
        "recall-domain §5.1 (inferred from DRF; not documented)",
    ),
    Rule(
        "robustness.no-5xx",
        "robustness",
        "No input makes the server answer 5xx.",
        Level.MUST,
        "design.md",
    ),
    Rule(
        "stateful.model",
        "stateful",
        "Random sequences of schedule, re-schedule, unschedule and reads agree with the "
        "reference model at every step.",
        Level.MUST,
        "recall-domain §3.3-§3.5",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# --- client rules: what calbot checks of a client, from the requests it sent (a ledger) ---

CLIENT_RULES: tuple[Rule, ...] = (
    Rule(
        "client.request-conforms",
        "requests",
        "Schedule requests match the fragment: a JSON object with deduplication_key (a string "
        "of 1-2000 characters) and bot_config (an object whose metadata values are strings or "
        "null).",
        Level.MUST,
        "recall-domain §3.1",
    ),
    Rule(
        "client.retry-after",
        "rate-limit",
        "After a 429, no request to the same operation (in the same workspace) before its "
        "Retry-After has passed.",
        Level.MUST,
        "recall-domain §4.2",
    ),
    Rule(
        "client.retries-throttled",
        "retries",
        "A throttled schedule or unschedule is sent again after Retry-After, not treated as "
        "a permanent failure.",
        Level.MUST,
        "recall-domain §4.2",
    ),
    Rule(
        "client.no-tight-loop",
        "retries",
        "After a 429 or a 5xx, the client does not retry in a tight loop: at most N requests "
        "per period to the same call (default 5 per 1 s).",
        Level.MUST,
        "recall-domain §4.2, §5.1",
    ),
    Rule(
        "client.ended-not-retried",
        "ended",
        "A schedule refused with 400 because the event has ended (or was deleted) is not sent "
        "again for that event.",
        Level.MUST,
        "recall-domain §3.6, §5.1",
    ),
    Rule(
        "client.retries-transient",
        "retries",
        "A schedule or unschedule answered 409, 502, 503, 504 or 507 is retried with backoff "
        "(Recall: 'retry with exponential backoff', 'retry after about 30 s').",
        Level.SHOULD,
        "recall-domain §3.4, §5.1",
    ),
    Rule(
        "client.dedup-stable-key",
        "dedup",
        "An event is re-scheduled under the deduplication_key it was scheduled with (keep the "
        "key scheme consistent).",
        Level.SHOULD,
        "recall-domain §3.3",
    ),
    Rule(
        "client.dedup-same-meeting",
        "dedup",
        "Events with the same start time and meeting URL are scheduled under one key "
        "(Recall's recommended {start_time}-{meeting_url}); different keys send several bots "
        "to one meeting.",
        Level.SHOULD,
        "recall-domain §3.3",
    ),
    Rule(
        "client.override-full-config",
        "override",
        "A re-schedule sends the full bot_config: the last request's config replaces the "
        "bot's whole config, so a key the previous one had is not dropped.",
        Level.SHOULD,
        "recall-domain §3.4",
    ),
)

CLIENT_RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in CLIENT_RULES}

# --- passive rules: what `calbot proxy-report` checks of an upstream from recorded traffic ---
# (the passive checks also cite the server rules above; these are the ones only traffic shows)

TRAFFIC_RULES: tuple[Rule, ...] = (
    Rule(
        "traffic.upstream-answered",
        "traffic",
        "The upstream answers every request the proxy forwards: no refused connection, no "
        "timeout, no answer broken off (the client got a 502/504 from the proxy instead).",
        Level.SHOULD,
        "inferred: the docs promise answers, not availability; calbot proxy's --timeout",
    ),
)

RULES = (*RULES, *TRAFFIC_RULES)
RULES_BY_ID.update((rule.id, rule) for rule in TRAFFIC_RULES)
