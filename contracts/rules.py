"""The rule catalogue: what a server (`RULES`) and a client (`CLIENT_RULES`) must do, with
the evidence behind each rule and its public sources.

Evidence decides the level (design.md, "Evidence: what may fail a run"):

- `Evidence.DOCUMENTED`: a Recall docs page or Recall's published OpenAPI says it. MUST: a
  broken documented rule fails the run. Every source is a public URL.
- `Evidence.INFERRED`: strongly implied, with the reasoning in `why`. SHOULD: a warning, never
  a failure unless the user asks for `--strict`.
- `Evidence.OWN`: calbot's own guess. Listed so the report says what calbot does *not*
  enforce; no check cites an own rule, so it is never a finding against the server (the rule
  matrix shows it as not tested).

Checks and findings cite rules by id; the reports read the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from calbot.contracts.results import Level
from calbot.spec.throttles import RateLimit


class Evidence(StrEnum):
    """How calbot knows a rule: Recall documents it, calbot infers it, or calbot guesses."""

    DOCUMENTED = "documented"
    INFERRED = "inferred"
    OWN = "own"


# Public sources. Recall's docs pages, and Recall's published OpenAPI fragment for the
# operation (the per-endpoint document Recall's reference pages are generated from).
D_CREATE = "https://docs.recall.ai/reference/calendar_events_bot_create"
D_DESTROY = "https://docs.recall.ai/reference/calendar_events_bot_destroy"
D_RETRIEVE = "https://docs.recall.ai/reference/calendar_events_retrieve"
D_SCHEDULING = "https://docs.recall.ai/docs/scheduling-guide"
D_MEETING_URLS = "https://docs.recall.ai/docs/meeting-urls"
D_ERRORS = "https://docs.recall.ai/reference/errors"
D_AUTH = "https://docs.recall.ai/reference/authentication"
D_BOT_RETRIEVE = "https://docs.recall.ai/reference/bot_retrieve"
D_BOT_CREATE = "https://docs.recall.ai/reference/bot_create"
D_CALENDAR_FAQ = "https://docs.recall.ai/v1.10/docs/calendar-integration-faq"
D_CREATING_BOTS = "https://docs.recall.ai/docs/creating-and-scheduling-bots"
D_BEST_PRACTICES = "https://docs.recall.ai/docs/scheduling-bots-best-practices"
OPENAPI_CREATE = (
    "https://docs.recall.ai/recallai/api-next/v2/branches/1.11/reference/"
    "calendar_events_bot_create?dereference=false&reduce=true"
)
DRF_FIELDS = "https://www.django-rest-framework.org/api-guide/fields/"
RFC_6585_429 = "https://www.rfc-editor.org/rfc/rfc6585#section-4"
RFC_9110_404 = "https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found"

RECALL_DOC_PREFIXES = ("https://docs.recall.ai/",)

DEFAULT_TIGHT_LOOP = RateLimit(5, 1.0)
"""`client.no-tight-loop`'s default threshold: more than 5 requests within 1 s to the same call
after a 429 or 5xx is a tight loop (`calbot client-report --tight-loop`, the client fixture's
`tight_loop`)."""
"""Where a documented rule's sources live: Recall's docs site (pages and published OpenAPI)."""

_LEVEL = {Evidence.DOCUMENTED: Level.MUST, Evidence.INFERRED: Level.SHOULD}


@dataclass(frozen=True, slots=True)
class Rule:
    """One behaviour, with its evidence and public sources; checks cite rules by `id`."""

    id: str
    area: str
    text: str
    evidence: Evidence
    sources: tuple[str, ...]
    why: str = ""  # for inferred and own rules: the reasoning (or what makes it a guess)

    @property
    def level(self) -> Level:
        """MUST for documented rules, SHOULD otherwise (own rules are never checked)."""
        return _LEVEL.get(self.evidence, Level.SHOULD)

    @property
    def source(self) -> str:
        """The sources as one line (what a finding carries)."""
        return " ".join(self.sources)


def _documented(id: str, area: str, text: str, *sources: str) -> Rule:
    return Rule(id, area, text, Evidence.DOCUMENTED, sources)


def _inferred(id: str, area: str, text: str, why: str, *sources: str) -> Rule:
    return Rule(id, area, text, Evidence.INFERRED, sources, why)


def _own(id: str, area: str, text: str, why: str) -> Rule:
    return Rule(id, area, text, Evidence.OWN, (), why)


RULES: tuple[Rule, ...] = (
    _documented(
        "schema.responses",
        "schema",
        "Every 200 body matches Recall's published schema: required fields present, "
        "documented types and formats right (CalendarEvent, bots[] items, the Bot).",
        OPENAPI_CREATE,
        D_CREATE,
        D_RETRIEVE,
        D_BOT_RETRIEVE,
    ),
    _documented(
        "schema.invalid-requests",
        "schema",
        "A body that breaks a documented constraint is refused with a 4xx (Recall: 400): "
        "deduplication_key or bot_config missing, deduplication_key not a string of 1-2000 "
        "characters (read as Django REST Framework does: numbers become strings, surrounding "
        "whitespace is trimmed), bot_config not an object, a metadata value neither a string "
        "nor null, join_at not a date-time.",
        OPENAPI_CREATE,
        D_CREATE,
        D_BOT_CREATE,
        D_ERRORS,
    ),
    _inferred(
        "schema.error-envelope",
        "schema",
        "A refused body gets Recall's error envelope {code, message, errors}.",
        "Recall shows the envelope for one 400 of this endpoint (the ended event) and says 400 "
        "bodies carry a detailed error message; that other validation errors use the same "
        "envelope (DRF serializer errors in `errors`) is inferred.",
        D_CREATE,
        D_ERRORS,
    ),
    _inferred(
        "schema.valid-requests-accepted",
        "schema",
        "A request the fragment allows is accepted (2xx).",
        "The fragment types only the bot_config fields calbot checks; Recall validates the "
        "other Create Bot fields with rules calbot does not model.",
        D_CREATE,
        D_BOT_CREATE,
    ),
    _inferred(
        "schema.error-answers",
        "schema",
        "Error answers use a status the fragment lists for the operation, a JSON content type, "
        "and the body shape the fragment gives for that status.",
        "Recall's published OpenAPI documents only the 200 answers of these operations; the "
        "error statuses and bodies are inferred from Recall's errors page and from Django REST "
        "Framework's defaults.",
        D_ERRORS,
        DRF_FIELDS,
    ),
    _documented(
        "meeting_url.event-string",
        "meeting_url",
        "On CalendarEvent and bots[] items, meeting_url is a string (on the event: string or "
        "null).",
        OPENAPI_CREATE,
        D_RETRIEVE,
    ),
    _documented(
        "meeting_url.bot-object",
        "meeting_url",
        "For a link in a form Recall's published patterns cover, the Bot's meeting_url (GET "
        "/api/v1/bot/{id}/) is that platform's object and carries what the pattern captures: "
        "Zoom meeting id and password, Meet id, Teams thread and message id or meeting id, "
        "Webex MTID; GoTo (app.goto.com): the platform.",
        D_MEETING_URLS,
        D_BOT_RETRIEVE,
    ),
    _own(
        "meeting_url.other-forms",
        "meeting_url",
        "Link forms no published pattern covers (meet.goto.com/<id>, "
        "global.gotomeeting.com/join/<id>, the GoTo meeting id): either a parsed object or null "
        "is conformant. Not checked.",
        "Recall's published GoTo pattern is cut off after app.goto.com in every copy of "
        "https://docs.recall.ai/docs/meeting-urls; calbot's parser knows more forms than that.",
    ),
    _own(
        "meeting_url.request-links",
        "meeting_url",
        "bot_config.meeting_url is a link of a known platform (the fragment's `format: "
        "meeting-url`). Not checked: a server may accept or refuse other strings.",
        "No Recall document says this endpoint refuses a non-link string in bot_config.",
    ),
    _documented(
        "defaults.from-event",
        "defaults",
        "With no meeting_url or join_at in bot_config, the bot joins the event's meeting URL "
        "at the event's start time; a meeting_url given in bot_config wins over the event's.",
        D_CREATE,
        D_CALENDAR_FAQ,
    ),
    _inferred(
        "defaults.join-at-override",
        "defaults",
        "A join_at given in bot_config wins over the event's start time.",
        "The June 2025 version of the Schedule Bot page said meeting_url and join_at are filled "
        "from the event 'unless specified in bot_config'; the current page and the published "
        "OpenAPI keep that qualifier for meeting_url only.",
        D_CREATE,
        OPENAPI_CREATE,
    ),
    _documented(
        "schedule.accepted",
        "schedule",
        "A valid schedule on an event that has not ended is accepted (200, the event with its "
        "bot), also for an event starting within 10 minutes (an ad-hoc bot: a 507 while the "
        "pool is empty is transient).",
        D_CREATE,
        D_CREATING_BOTS,
        D_BEST_PRACTICES,
    ),
    _documented(
        "dedup.shared-bot",
        "dedup",
        "Two events scheduled with the same deduplication_key share one bot (same bot_id); "
        "different keys get different bots.",
        D_SCHEDULING,
        D_CREATE,
    ),
    _documented(
        "override.replace",
        "override",
        "Scheduling again replaces the event's bot config as a whole: no merge of old keys, "
        "no second bot on the event.",
        D_CREATE,
        D_SCHEDULING,
    ),
    _documented(
        "ended.refused",
        "ended",
        "Scheduling on an ended event answers 400 with non_field_errors: ['Cannot schedule bot "
        "as calendar event has ended.'] in the envelope, and nothing changes.",
        D_CREATE,
    ),
    _inferred(
        "ended.in-progress",
        "ended",
        "An event that has started but not ended is not refused as ended.",
        "Recall refuses events that 'have ended'; whether one in progress is accepted is not "
        "documented, but its refusal text names only the end.",
        D_CREATE,
    ),
    _documented(
        "deleted.no-bot",
        "deleted",
        "A deleted calendar event keeps no bot: Recall removes the bots of deleted events, so "
        "scheduling on one (refused or accepted) leaves it without a bot.",
        D_SCHEDULING,
    ),
    _documented(
        "delete.unschedule",
        "delete",
        "DELETE returns the event with no bot, is idempotent, and keeps a bot another event "
        "still shares.",
        D_DESTROY,
        D_SCHEDULING,
    ),
    _documented(
        "concurrency.serializable",
        "concurrency",
        "Parallel schedules and unschedules end in a state some serial order of them gives: "
        "one bot per deduplication key, one bot per event, nothing lost. A 409 for a parallel "
        "call is allowed (Recall documents it; calbot retries it).",
        D_SCHEDULING,
        D_CREATE,
    ),
    _documented(
        "workspaces.isolated",
        "workspaces",
        "Deduplication keys and bots belong to one workspace: the same key in two workspaces "
        "gives two bots, and one workspace's key cannot read another workspace's bot "
        "(404 or 403).",
        D_SCHEDULING,
        D_AUTH,
    ),
    _documented(
        "rate-limit.throttle",
        "rate-limit",
        "Past the documented budget (the workspace's, across all its events): 429 with a "
        "parseable Retry-After; after waiting Retry-After the call succeeds.",
        D_ERRORS,
        OPENAPI_CREATE,
    ),
    _inferred(
        "rate-limit.no-effect",
        "rate-limit",
        "A throttled (429) request changes nothing.",
        "Recall says to retry a 429 after Retry-After, which is only safe if the throttled "
        "request had no effect (RFC 6585: the request was refused).",
        D_ERRORS,
        RFC_6585_429,
    ),
    _documented(
        "rate-limit.budget",
        "rate-limit",
        "No 429 before the documented budget (per operation and workspace) is spent.",
        OPENAPI_CREATE,
        D_CREATE,
    ),
    _inferred(
        "rate-limit.not-late",
        "rate-limit",
        "The first 429 comes soon after the budget is spent, not far after it.",
        "Recall documents the budget clients must stay within; a server that admits more (a "
        "fixed window, a looser limiter) is lenient rather than wrong.",
        OPENAPI_CREATE,
        D_ERRORS,
    ),
    _inferred(
        "errors.not-found",
        "errors",
        "An unknown event or bot id answers 404; a malformed id a 4xx.",
        "Recall's errors page does not list 404 and its OpenAPI documents only the 200 answers; "
        "404 is HTTP's and Django REST Framework's answer for an unknown object.",
        D_ERRORS,
        RFC_9110_404,
    ),
    _documented(
        "errors.auth",
        "errors",
        "A missing or wrong API key answers 401 when the target requires one.",
        D_ERRORS,
        D_AUTH,
    ),
    _inferred(
        "errors.bodies",
        "errors",
        "Error answers are JSON in Django REST Framework's shape: 404 and 401 as {detail}.",
        "Recall's envelope and non_field_errors are Django REST Framework's, whose 401 and 404 "
        "bodies are {detail}; Recall does not document these bodies.",
        D_ERRORS,
        DRF_FIELDS,
    ),
    _documented(
        "robustness.no-5xx",
        "robustness",
        "No input makes the server answer 500, and no malformed body a 5xx that repeats when "
        "asked again: Recall answers invalid input with 400 and documents 5xx only for load "
        "shedding (502-504) and an empty ad-hoc pool (507), which calbot retries as a client "
        "must (for a malformed body, once: a crash answers the same again).",
        D_ERRORS,
    ),
    _documented(
        "robustness.transient-clears",
        "robustness",
        "A documented transient answer (409 for parallel calls on one key, 502-504 load "
        "shedding, 507 an empty ad-hoc pool) clears when retried as Recall asks (after "
        "Retry-After, or with backoff), within calbot's bound: a number of tries and the "
        "longest wait it is allowed (--max-wait).",
        D_ERRORS,
        D_SCHEDULING,
    ),
    _documented(
        "stateful.model",
        "stateful",
        "Random sequences of schedule, re-schedule, unschedule and reads agree with the "
        "documented behaviour at every step (dedup, override, unschedule, ended events); where "
        "calbot's model guesses, either answer is accepted.",
        D_SCHEDULING,
        D_CREATE,
        D_DESTROY,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# --- client rules: what calbot checks of a client, from the requests it sent (a ledger) ---

CLIENT_RULES: tuple[Rule, ...] = (
    _documented(
        "client.request-conforms",
        "requests",
        "Schedule requests match the fragment: a JSON object with deduplication_key (a string "
        "of 1-2000 characters) and bot_config (an object whose metadata values are strings or "
        "null).",
        OPENAPI_CREATE,
        D_CREATE,
    ),
    _documented(
        "client.retry-after",
        "rate-limit",
        "After a 429, no request to the same operation (in the same workspace) before its "
        "Retry-After has passed.",
        D_ERRORS,
    ),
    _documented(
        "client.retries-throttled",
        "retries",
        "A throttled schedule or unschedule is sent again after Retry-After, not treated as "
        "a permanent failure.",
        D_ERRORS,
        D_SCHEDULING,
    ),
    _documented(
        "client.no-tight-loop",
        "retries",
        "After a 429, a 409 or a 5xx, the client does not retry in a tight loop: at most N "
        f"requests per period to the same call (default {DEFAULT_TIGHT_LOOP.limit} per "
        f"{DEFAULT_TIGHT_LOOP.period:g} s, a configurable reading of Recall's 'retry after "
        "Retry-After', 'retry with exponential backoff' and 'retry every 30 seconds').",
        D_ERRORS,
    ),
    _documented(
        "client.ended-not-retried",
        "ended",
        "A schedule refused with 400 because the event has ended (or was deleted) is not sent "
        "again for that event: Recall documents that scheduling on an ended event is refused.",
        D_CREATE,
        D_SCHEDULING,
    ),
    _inferred(
        "client.retries-transient",
        "retries",
        "A schedule or unschedule answered 409, 502, 503, 504 or 507 is retried with backoff "
        "(Recall: 'retry with exponential backoff', 'retry after about 30 s').",
        "Recall documents that these answers are worth retrying; that a client must retry "
        "(rather than report the failure) is inferred.",
        D_ERRORS,
        D_SCHEDULING,
    ),
    _inferred(
        "client.dedup-stable-key",
        "dedup",
        "An event is re-scheduled under the deduplication_key it was scheduled with (keep the "
        "key scheme consistent).",
        "Recall advises keeping the key scheme consistent; a changed key for one event is "
        "inferred to be a mistake.",
        D_SCHEDULING,
    ),
    _inferred(
        "client.dedup-same-meeting",
        "dedup",
        "Events with the same start time and meeting URL are scheduled under one key "
        "(Recall's recommended {start_time}-{meeting_url}); different keys send several bots "
        "to one meeting.",
        "Recall recommends, but does not require, one bot per meeting.",
        D_SCHEDULING,
    ),
    _inferred(
        "client.override-full-config",
        "override",
        "A re-schedule sends the full bot_config: the last request's config replaces the "
        "bot's whole config, so a key the previous one had is not dropped.",
        "Recall documents that partial updates are not supported; that a dropped key was not "
        "meant to be dropped is inferred.",
        D_SCHEDULING,
    ),
)

CLIENT_RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in CLIENT_RULES}

# --- passive rules: what `calbot proxy-report` checks of an upstream from recorded traffic ---
# (the passive checks also cite the server rules above; these are the ones only traffic shows)

TRAFFIC_RULES: tuple[Rule, ...] = (
    _inferred(
        "traffic.upstream-answered",
        "traffic",
        "The upstream answers every request the proxy forwards: no refused connection, no "
        "timeout, no answer broken off (the client got a 502/504 from the proxy instead).",
        "Recall documents the answers each operation gives, not its availability; a request "
        "left unanswered within calbot proxy's --timeout is reported, never failed.",
        D_ERRORS,
    ),
)

RULES = (*RULES, *TRAFFIC_RULES)
RULES_BY_ID.update((rule.id, rule) for rule in TRAFFIC_RULES)

ALL_RULES_BY_ID: dict[str, Rule] = {**RULES_BY_ID, **CLIENT_RULES_BY_ID}


def source_of(rule_id: str) -> str:
    """The public sources of a rule (server or client), or "" for an unknown id."""
    rule = ALL_RULES_BY_ID.get(rule_id)
    return rule.source if rule else ""


def findings_level(rule_ids: Iterable[str], default: Level) -> Level:
    """The level a check's findings reach: MUST if any cites a MUST rule, else SHOULD.

    A check citing a MUST rule whose findings only break SHOULD rules warns instead of failing.
    Unknown ids count at `default` (the check's own level).
    """
    levels = {ALL_RULES_BY_ID[r].level if r in ALL_RULES_BY_ID else default for r in rule_ids}
    if not levels:
        return default
    return Level.MUST if Level.MUST in levels else Level.SHOULD
