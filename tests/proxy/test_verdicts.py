"""Both verdicts from one proxy ledger: the client's (client rules) and the upstream's (passive)."""

from __future__ import annotations

from typing import Any

import pytest

from calbot.contracts.clients.verify import client_result
from calbot.contracts.results import RunResult, Status
from calbot.contracts.traffic.verdict import traffic_result
from calbot.server.faults import Faults, parse_fault

from .traffic import KEY, MUTANTS, careless, polite, probing, session, upstream

# What the recorded traffic of `probing` shows of each mutant, and the rule the passive verdict
# names. The other mutants break rules only active probing shows (dedup, budgets, delete,
# auth): their answers to this traffic are each, on their own, conformant.
VISIBLE = {
    "ended-event-accepted": "ended.refused",
    "ended-event-wrong-body": "ended.refused",
    "429-without-retry-after": "rate-limit.throttle",
    "meeting-url-object-on-event": "meeting_url.event-string",
    "meeting-url-string-on-bot": "meeting_url.bot-object",
    "field-of-wrong-type": "schema.responses",
    "5xx-on-valid-input": "robustness.no-5xx",
    "missing-key-accepted": "schema.invalid-requests",
    "over-long-key-accepted": "schema.invalid-requests",
    "non-string-metadata-accepted": "schema.invalid-requests",
    "bots-items-missing-fields": "schema.responses",
    "override-merges": "override.replace",
    "override-adds-a-second-bot": "override.replace",
    "join_at-not-from-the-event": "defaults.from-event",
    "bot_config-meeting_url-ignored": "defaults.from-event",
    # a 400 for an unknown id: the traffic shows an undocumented status (the id's being
    # unknown it cannot show)
    "unknown-event-400": "schema.responses",
    # the probe's key on the ended event holds a URL (Recall's recipe): refused as a key, the
    # ended event gets a 400 that is not the documented one
    "slug-keys-only": "ended.refused",
}


# What the traffic shows of a mutant that breaks an inferred rule: a warning, as `calbot run`
# gives it (the active and the passive side judge with the same function and the same rule).
WARNED = {
    # Recall's doc versions disagree on whether bot_config.join_at wins
    "join_at-ignored": "defaults.join-at-override",
}


def warned(result: RunResult) -> set[str]:
    return {f.rule for c in result.checks if c.status is Status.WARNING for f in c.findings}


def broken(result: RunResult) -> set[str]:
    return {f.rule for c in result.checks if c.status is Status.FAILED for f in c.findings}


def describe(result: RunResult) -> str:
    lines = [f"{result.verdict.value}"]
    for check in result.checks:
        lines.append(f"  {check.rule}: {check.status.value} {check.reason or ''}")
        lines += [f"    {f.message}" for f in check.findings[:3]]
    return "\n".join(lines)


def test_a_polite_client_and_the_reference_server_are_both_clean() -> None:
    records = session(upstream(), polite)
    client = client_result(records)
    server = traffic_result(records)
    assert client.exit_code == 0 and not client.findings(), describe(client)
    assert server.exit_code == 0 and not server.findings(), describe(server)
    exercised = {c.rule for c in server.checks if c.status is Status.PASSED}
    assert exercised >= {
        "schema.responses",
        "meeting_url.event-string",
        "meeting_url.bot-object",
        "ended.refused",
        "rate-limit.throttle",
        "defaults.from-event",
        "override.replace",
        "errors.bodies",
        "robustness.no-5xx",
        "traffic.upstream-answered",
    }, describe(server)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_passive_verdict_names_what_the_traffic_shows(mutant: Any) -> None:
    keys = () if mutant.name == "no-authentication" else (KEY,)
    result = traffic_result(session(upstream(mutant, keys=keys), probing))
    if mutant.name in VISIBLE:
        assert VISIBLE[mutant.name] in broken(result), describe(result)
        assert result.exit_code == 1
    elif mutant.name in WARNED:
        assert WARNED[mutant.name] in warned(result), describe(result)
        assert result.exit_code == 0, describe(result)
    else:
        assert result.exit_code == 0, describe(result)


def test_the_probing_traffic_is_conformant_on_the_reference_server() -> None:
    result = traffic_result(session(upstream(), probing))
    assert result.exit_code == 0 and not result.findings(), describe(result)


def test_a_careless_client_is_flagged_as_client_report_flags_it() -> None:
    faults = Faults(parse_fault("429:1:op=get-event:retry-after=30"))  # from the proxy
    records = session(upstream(), careless, faults=faults)
    client = client_result(records)
    assert client.exit_code == 1
    expected = {"client.retry-after", "client.no-tight-loop", "client.ended-not-retried"}
    assert expected <= broken(client), describe(client)
    assert traffic_result(records).exit_code == 0  # the server did nothing wrong


def test_a_fault_from_the_proxy_is_judged_on_the_client_only() -> None:
    faults = Faults(parse_fault("500:1:op=schedule"))  # the upstream never sees it
    records = session(upstream(), polite, faults=faults)
    by_proxy = [(r.status, r.fault) for r in records if r.answered_by == "proxy"]
    assert by_proxy == [(500, "500:1:op=schedule")]
    server = traffic_result(records)
    assert server.exit_code == 0 and not server.findings(), describe(server)
