"""The upstream's passive verdict: every check over a ledger, as a RunResult of kind "server".

Each check cites a rule of the catalogue (`contracts/rules.py`) and is passed, failed (MUST)
or a warning (SHOULD) with findings, or skipped when the traffic never showed what it needs.
A run in which nothing could be judged has the verdict "error" (exit 2): the ledger holds no
answer of the upstream's to the four operations (the last check, `traffic.upstream-answered`,
says so as an error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calbot.contracts.clients.ledger import LedgerRecord
from calbot.contracts.clients.view import judged, ledger_run
from calbot.contracts.results import CheckResult, Finding, RunResult, Status, group_findings
from calbot.contracts.rules import RULES_BY_ID
from calbot.contracts.traffic import answers, behaviour, refusals, shapes
from calbot.contracts.traffic.traffic import PROXY, Traffic


@dataclass(frozen=True, slots=True)
class PassiveCheck:
    """One passive check: its name, the rule it cites, and what it needs from the traffic."""

    contract: str
    name: str
    rule: str
    run: Callable[[Traffic], list[Finding] | None]
    needs: str


CHECKS: tuple[PassiveCheck, ...] = (
    PassiveCheck(
        "schema",
        "answers-match-the-fragment",
        "schema.responses",
        shapes.schema_responses,
        "no recorded answer below 500",
    ),
    PassiveCheck(
        "schema",
        "invalid-requests-refused",
        "schema.invalid-requests",
        refusals.invalid_requests,
        "no schedule body broke a documented constraint",
    ),
    PassiveCheck(
        "meeting_url",
        "string-on-events",
        "meeting_url.event-string",
        shapes.event_string,
        "no event in a 200 answer",
    ),
    PassiveCheck(
        "meeting_url",
        "object-on-the-bot",
        "meeting_url.bot-object",
        shapes.bot_object,
        "no Bot read whose scheduled link form Recall's patterns cover",
    ),
    PassiveCheck(
        "defaults",
        "from-the-event",
        "defaults.from-event",
        behaviour.defaults_from_event,
        "no bot of one event read back after a schedule recorded whole",
    ),
    PassiveCheck(
        "override",
        "replaces-the-config",
        "override.replace",
        behaviour.override_replaces,
        "no event scheduled twice",
    ),
    PassiveCheck(
        "ended",
        "documented-refusal",
        "ended.refused",
        refusals.ended_refused,
        "no schedule on an event known to have ended",
    ),
    PassiveCheck(
        "rate-limit",
        "retry-after-on-429",
        "rate-limit.throttle",
        answers.retry_after,
        "no 429 answer",
    ),
    PassiveCheck(
        "errors", "detail-bodies", "errors.bodies", answers.detail_bodies, "no 401 or 404 answer"
    ),
    PassiveCheck(
        "robustness",
        "no-5xx",
        "robustness.no-5xx",
        answers.no_server_errors,
        "no answer from the upstream",
    ),
    PassiveCheck(
        "traffic",
        "upstream-answered",
        "traffic.upstream-answered",
        answers.upstream_answered,
        "no request forwarded by calbot proxy",
    ),
)


def check_traffic(records: Sequence[LedgerRecord], *, upstream: str = "") -> list[CheckResult]:
    """One result per passive check, in order."""
    traffic = Traffic(records, upstream=upstream)
    results = []
    for spec in CHECKS:
        findings = spec.run(traffic)
        grouped = None if findings is None else group_findings(findings)
        rule = RULES_BY_ID[spec.rule]
        results.append(
            judged(
                spec.contract,
                spec.name,
                rule,
                grouped,
                needs=spec.needs,
                started_at=traffic.origin,
            )
        )
    if not traffic.answers and traffic.all:
        results[-1].status = Status.ERROR
        results[-1].reason = (
            f"the upstream answered none of the {len(traffic.all)} requests in the ledger "
            "(unreachable, or a ledger without API requests)"
        )
    return results


def traffic_result(
    records: Sequence[LedgerRecord],
    *,
    target: str = "upstream",
    upstream: str = "",
    strict: bool = False,
    details: Mapping[str, Any] | None = None,
) -> RunResult:
    """The upstream's passive verdict on a ledger, as a RunResult of kind "server"."""
    upstream_answers = [r for r in records if r.operation and r.answered_by != PROXY]
    shown: dict[str, Any] = {
        "mode": "passive (recorded traffic)",
        "requests": len(records),
        "answers judged": len(upstream_answers),
        "answered by the proxy": sum(1 for r in records if r.answered_by == PROXY),
    }
    return ledger_run(
        records,
        check_traffic(records, upstream=upstream),
        kind="server",
        target=target,
        strict=strict,
        options={**shown, **(details or {})},
    )
