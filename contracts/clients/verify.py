"""The client rules' verdict on a ledger: one check per rule, and the run they make.

`check_ledger(records)` gives one `CheckResult` per rule in `CLIENT_RULES` (passed,
failed/warning with findings, or skipped when the ledger never exercised the rule);
`client_result` wraps them in a `RunResult` of kind "client", the form every report writer
reads. The rules themselves are pure functions of a `LedgerView` (`retries`, `schedules`);
how strictly they read is `ClientRuleOptions` (`options`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calbot.contracts.clients import retries, schedules
from calbot.contracts.clients.ledger.record import LedgerRecord
from calbot.contracts.clients.options import ClientRuleOptions
from calbot.contracts.clients.view import Findings, LedgerView, judged, ledger_run
from calbot.contracts.results import CheckResult, RunResult
from calbot.contracts.rules import CLIENT_RULES
from calbot.spec.throttles import RateLimit

IGNORED = "ignored (relaxed for this run)"


@dataclass(frozen=True, slots=True)
class ClientCheck:
    """One client rule's check: its name, the function that judges it, and what it needs."""

    name: str
    run: Callable[[LedgerView, ClientRuleOptions], Findings]
    needs: str


# rule id -> its check ("needs": why the ledger may not exercise it)
CHECKS: dict[str, ClientCheck] = {
    "client.request-conforms": ClientCheck(
        "conforms",
        schedules.request_conforms,
        "no schedule request (POST /api/v2/calendar-events/{id}/bot/) was made",
    ),
    "client.retry-after": ClientCheck(
        "retry-after",
        retries.retry_after,
        "no request was answered 429 with a Retry-After (inject one: "
        "calbot_server.fail_next(status=429) or --fault 429)",
    ),
    "client.retries-throttled": ClientCheck(
        "throttled-retried",
        retries.retries_throttled,
        "no schedule or unschedule was answered 429",
    ),
    "client.no-tight-loop": ClientCheck(
        "no-tight-loop", retries.no_tight_loop, "no request was answered 429 or 5xx"
    ),
    "client.ended-not-retried": ClientCheck(
        "not-retried",
        retries.ended_not_retried,
        "no schedule was refused because its event had ended (schedule on an ended event, "
        "or inject one: --fault ended)",
    ),
    "client.retries-transient": ClientCheck(
        "transient-retried",
        retries.retries_transient,
        "no schedule or unschedule was answered 409, 502, 503, 504 or 507",
    ),
    "client.dedup-stable-key": ClientCheck(
        "stable-key", schedules.dedup_stable_key, "no event was scheduled twice"
    ),
    "client.dedup-same-meeting": ClientCheck(
        "same-meeting",
        schedules.dedup_same_meeting,
        "no two events with the same start time and meeting URL were scheduled",
    ),
    "client.override-full-config": ClientCheck(
        "full-config",
        schedules.override_full_config,
        "no event was re-scheduled after a successful schedule",
    ),
}


def check_ledger(
    records: Sequence[LedgerRecord], options: ClientRuleOptions | None = None
) -> list[CheckResult]:
    """One check per client rule, in catalogue order."""
    options = options or ClientRuleOptions()
    view = LedgerView(records)
    results = []
    for rule in CLIENT_RULES:
        check = CHECKS[rule.id]
        ignored = rule.id in options.ignore
        findings = None if ignored else check.run(view, options)
        result = judged(
            rule.area, check.name, rule, findings, needs=check.needs, started_at=view.origin
        )
        if ignored:
            result.reason = IGNORED
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
    shown: dict[str, Any] = {"requests": len(records), "tight_loop": _rate(options.tight_loop)}
    if options.ignore:
        shown["ignore"] = ",".join(sorted(options.ignore))
    return ledger_run(
        records,
        check_ledger(records, options),
        kind="client",
        target=target,
        strict=strict,
        options={**shown, **(details or {})},
    )


def _rate(limit: RateLimit) -> str:
    return f"{limit.limit}/{limit.period:g}s"
