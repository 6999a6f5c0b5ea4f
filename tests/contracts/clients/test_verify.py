"""The client rules' verdict (`calbot.contracts.clients.verify`): one check per rule of the
catalogue, rules left out, the run every writer renders."""

from __future__ import annotations

import json

import jsonschema

from calbot.contracts.clients.verify import CHECKS, client_result
from calbot.contracts.results import Level, Status, Verdict
from calbot.contracts.rules import CLIENT_RULES, CLIENT_RULES_BY_ID
from calbot.reports import FORMATS, render, result_schema
from calbot.reports.matrix import rule_matrix

from .records import Records, violating


def test_catalogue() -> None:
    ids = [rule.id for rule in CLIENT_RULES]
    assert len(ids) == len(set(ids)) == 9
    assert all(rule_id.startswith("client.") for rule_id in ids)
    should = {rule.id for rule in CLIENT_RULES if rule.level is Level.SHOULD}
    assert should == {
        "client.retries-transient",
        "client.dedup-stable-key",
        "client.dedup-same-meeting",
        "client.override-full-config",
    }


def test_every_client_rule_has_one_check_and_every_check_a_rule() -> None:
    assert list(CHECKS) == [rule.id for rule in CLIENT_RULES]
    names = [(rule.area, CHECKS[rule.id].name) for rule in CLIENT_RULES]
    assert len(set(names)) == len(names)


def test_an_empty_ledger_verifies_nothing() -> None:
    result = client_result([])
    assert {check.status for check in result.checks} == {Status.SKIPPED}
    assert result.verdict is Verdict.ERROR and result.exit_code == 2
    assert all(check.reason and check.reason.startswith("not exercised") for check in result.checks)


# --- options, result, presentation ---------------------------------------------------------------


def test_ignored_rules_are_skipped_with_a_reason() -> None:
    records = Records()
    records.add(0, 429, retry_after="1")
    check = records.checks(ignore=frozenset({"client.retries-throttled"}))[
        "client.retries-throttled"
    ]
    assert check.status is Status.SKIPPED and check.reason == "ignored (relaxed for this run)"


def test_the_result_is_a_client_run_every_writer_renders() -> None:
    result = client_result(violating(), target="my client", details={"ledger": "l.jsonl"})
    assert result.kind == "client" and result.verdict is Verdict.NON_CONFORMANT
    assert result.options == {"requests": 2, "tight_loop": "5/1s", "ledger": "l.jsonl"}
    assert result.duration == 0.5
    data = result.to_dict()
    jsonschema.validate(data, result_schema())
    assert json.loads(render(result, "json"))["checks"][1]["rule"] == "client.retry-after"
    for fmt in FORMATS:
        assert "client.retry-after" in render(result, fmt)
    html = render(result, "html")
    assert "calbot client conformance report" in html
    assert "schema.responses" not in html  # the matrix lists the client rules, not the server's


def test_the_matrix_of_a_client_run_lists_the_client_rules() -> None:
    result = client_result(violating())
    areas = rule_matrix(result.checks, CLIENT_RULES)
    rows = [row.rule for area in areas for row in area.rows]
    assert rows == [
        rule.id
        for area in dict.fromkeys(r.area for r in CLIENT_RULES)
        for rule in CLIENT_RULES
        if rule.area == area
    ]
    assert set(rows) == set(CLIENT_RULES_BY_ID)
