"""The client rules as pure functions over ledger records: each rule caught, passed, skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from calbot.contracts.clients.ledger import SCHEDULE, UNSCHEDULE, LedgerRecord
from calbot.contracts.clients.verify import (
    ClientRuleOptions,
    check_ledger,
    client_result,
    describe_violations,
    flatten_errors,
)
from calbot.contracts.domain.model import DELETED_MESSAGE, ENDED_MESSAGE
from calbot.contracts.results import Level, Status, Verdict
from calbot.contracts.rules import CLIENT_RULES, CLIENT_RULES_BY_ID
from calbot.reports import FORMATS, render, result_schema
from calbot.reports.matrix import rule_matrix
from calbot.spec.throttles import RateLimit

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
MEETING = {"start_time": "2030-01-02T10:00:00Z", "meeting_url": "https://meet.google.com/a-b-c"}


class Ledger:
    """Builds records one by one: `add(at_seconds, **fields)`."""

    def __init__(self) -> None:
        self.records: list[LedgerRecord] = []

    def add(self, at: float, status: int = 200, **fields: Any) -> LedgerRecord:
        operation = fields.pop("operation", SCHEDULE)
        resource = fields.pop("resource", A)
        method, template = operation.split(" ", 1)
        defaults: dict[str, Any] = {}
        if operation == SCHEDULE:
            defaults = {"validation": "valid", "key": "k", "config_keys": ("bot_name",)}
            if status == 200:
                defaults["event"] = dict(MEETING)
        record = LedgerRecord(
            seq=len(self.records) + 1,
            time=T0 + timedelta(seconds=at),
            method=method,
            path=template.replace("{id}", resource),
            status=status,
            operation=operation,
            resource=resource,
            **{**defaults, **fields},
        )
        self.records.append(record)
        return record

    def checks(self, **options: Any) -> dict[str, Any]:
        return {
            check.rule: check for check in check_ledger(self.records, ClientRuleOptions(**options))
        }

    def status(self, rule: str, **options: Any) -> Status:
        return self.checks(**options)[rule].status


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


def test_an_empty_ledger_verifies_nothing() -> None:
    result = client_result([])
    assert {check.status for check in result.checks} == {Status.SKIPPED}
    assert result.verdict is Verdict.ERROR and result.exit_code == 2
    assert all(check.reason and check.reason.startswith("not exercised") for check in result.checks)


# --- requests conform --------------------------------------------------------------------------


def test_invalid_bodies_fail_and_valid_ones_pass() -> None:
    ledger = Ledger()
    ledger.add(0)
    assert ledger.status("client.request-conforms") is Status.PASSED
    errors = {"bot_config": {"metadata": {"team": ["Not a valid string."]}}}
    ledger.add(1, 400, validation="invalid", errors=errors)
    check = ledger.checks()["client.request-conforms"]
    assert check.status is Status.FAILED
    (finding,) = check.findings
    assert "bot_config.metadata.team: Not a valid string." in finding.message
    assert finding.message.startswith(f"#2 +1.000s POST /api/v2/calendar-events/{A}/bot/ → 400")


def test_requests_to_other_operations_are_not_validated() -> None:
    ledger = Ledger()
    ledger.add(0, operation=UNSCHEDULE)
    assert ledger.status("client.request-conforms") is Status.SKIPPED


def test_flatten_errors() -> None:
    errors = {"non_field_errors": ["x"], "bot_config": {"metadata": {"a": ["y", "z"]}}}
    assert flatten_errors(errors) == [
        "non_field_errors: x",
        "bot_config.metadata.a: y",
        "bot_config.metadata.a: z",
    ]


# --- Retry-After ---------------------------------------------------------------------------------


def test_a_request_before_retry_after_fails() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="2")
    ledger.add(1.5)
    check = ledger.checks()["client.retry-after"]
    assert check.status is Status.FAILED
    assert (
        "sent 1.500 s after the 429 of #1, which said Retry-After: 2" in check.findings[0].message
    )
    assert [e.status_code for e in check.findings[0].exchanges] == [429, 200]


def test_waiting_retry_after_passes_and_other_scopes_are_free() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="2")
    ledger.add(0.5, operation=UNSCHEDULE)  # another operation: its own budget
    ledger.add(0.6, workspace="key2")  # another workspace: its own budget
    ledger.add(2.0)
    assert ledger.status("client.retry-after") is Status.PASSED


def test_the_window_covers_every_event_of_the_operation() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="3")
    ledger.add(1, resource=B)
    ledger.add(2, 429, retry_after="1")  # an early request that is throttled again counts too
    assert len(ledger.checks()["client.retry-after"].findings) == 2


def test_retry_after_as_an_http_date() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="Tue, 01 Jan 2030 09:00:05 GMT")
    ledger.add(4)
    ledger.add(5)
    assert len(ledger.checks()["client.retry-after"].findings) == 1


def test_no_429_means_retry_after_was_not_exercised() -> None:
    ledger = Ledger()
    ledger.add(0)
    check = ledger.checks()["client.retry-after"]
    assert check.status is Status.SKIPPED and "fail_next" in (check.reason or "")


# --- retries -------------------------------------------------------------------------------------


def test_a_throttled_schedule_that_is_never_sent_again_fails() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="1")
    check = ledger.checks()["client.retries-throttled"]
    assert check.status is Status.FAILED
    assert "was never sent again (Retry-After: 1)" in check.findings[0].message


def test_retrying_or_giving_up_after_retrying_passes() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="1")
    ledger.add(1)
    ledger.add(2, 429, retry_after="1", resource=B)
    ledger.add(3, 429, retry_after="1", resource=B)  # retried once, then gave up: fine
    assert ledger.status("client.retries-throttled") is Status.PASSED


def test_a_throttled_read_need_not_be_retried() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="1", operation="GET /api/v2/calendar-events/{id}/")
    assert ledger.status("client.retries-throttled") is Status.SKIPPED


@pytest.mark.parametrize("status", [409, 502, 503, 504, 507])
def test_giving_up_after_a_transient_error_is_a_warning(status: int) -> None:
    ledger = Ledger()
    ledger.add(0, status, operation=UNSCHEDULE)
    assert ledger.status("client.retries-transient") is Status.WARNING
    ledger.add(1, operation=UNSCHEDULE)
    assert ledger.status("client.retries-transient") is Status.PASSED


# --- tight loops ---------------------------------------------------------------------------------


def test_more_than_five_requests_a_second_after_a_5xx_is_a_tight_loop() -> None:
    ledger = Ledger()
    ledger.add(0, 503)
    for n in range(1, 6):
        ledger.add(n * 0.1, 503)
    assert ledger.status("client.no-tight-loop") is Status.PASSED  # 5 in the second after
    ledger.add(0.9)
    check = ledger.checks()["client.no-tight-loop"]
    assert check.status is Status.FAILED
    assert len(check.findings) == 1  # one finding per burst
    assert "6 requests within 1 s after the 503 of #1 (limit 5)" in check.findings[0].message


def test_a_tight_loop_after_a_409_is_one_too() -> None:
    """Recall: a 409 on parallel calls is retried with exponential backoff."""
    ledger = Ledger()
    for n in range(7):
        ledger.add(n * 0.1, 409)
    ledger.add(0.8)
    check = ledger.checks()["client.no-tight-loop"]
    assert check.status is Status.FAILED
    assert "after the 409 of #1" in check.findings[0].message


def test_the_threshold_is_configurable() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="0")
    for n in range(1, 5):
        ledger.add(n * 0.2)
    assert ledger.status("client.no-tight-loop") is Status.PASSED
    assert ledger.status("client.no-tight-loop", tight_loop=RateLimit(3, 1.0)) is Status.FAILED


def test_a_busy_client_on_other_events_is_not_a_loop() -> None:
    ledger = Ledger()
    ledger.add(0, 503)
    for n in range(10):
        ledger.add(0.01 * n, resource=f"00000000-0000-0000-0000-{n:012d}")
    ledger.add(0.5)
    assert ledger.status("client.no-tight-loop") is Status.PASSED


# --- ended events --------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [ENDED_MESSAGE, DELETED_MESSAGE])
def test_a_schedule_refused_as_ended_must_not_be_sent_again(message: str) -> None:
    ledger = Ledger()
    ledger.add(0, 400, message=message)
    assert ledger.status("client.ended-not-retried") is Status.PASSED
    ledger.add(5, 400, message=message)
    check = ledger.checks()["client.ended-not-retried"]
    assert check.status is Status.FAILED
    assert f"sent again after #1 answered 400: {message}" in check.findings[0].message


def test_another_400_may_be_corrected_and_sent_again() -> None:
    ledger = Ledger()
    ledger.add(0, 400, message="deduplication_key: This field is required.")
    ledger.add(1)
    assert ledger.status("client.ended-not-retried") is Status.SKIPPED


# --- deduplication -------------------------------------------------------------------------------


def test_re_scheduling_under_another_key_is_a_warning() -> None:
    ledger = Ledger()
    ledger.add(0, key="2030-01-02T10:00:00Z-https://meet.google.com/a-b-c")
    ledger.add(1, key="2030-01-02T10:00:00Z-https://meet.google.com/a-b-c")
    assert ledger.status("client.dedup-stable-key") is Status.PASSED
    ledger.add(2, key="f3b1c0de")
    check = ledger.checks()["client.dedup-stable-key"]
    assert check.status is Status.WARNING
    assert 're-scheduled under deduplication_key "f3b1c0de"' in check.findings[0].message


def test_a_new_key_after_unscheduling_or_after_the_event_moved_is_fine() -> None:
    ledger = Ledger()
    ledger.add(0, key="old")
    ledger.add(1, operation=UNSCHEDULE)
    ledger.add(2, key="new")
    moved = {**MEETING, "start_time": "2030-01-02T11:00:00Z"}
    ledger.add(3, key="newer", event=moved)
    assert ledger.status("client.dedup-stable-key") is Status.PASSED


def test_keys_of_throttled_retries_count_too() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="1", key="random-1", event=None)
    ledger.add(1, key="random-2")
    assert ledger.status("client.dedup-stable-key") is Status.WARNING


def test_one_meeting_under_several_keys_is_a_warning() -> None:
    ledger = Ledger()
    ledger.add(0, key="k1")
    ledger.add(1, key="k1", resource=B)
    assert ledger.status("client.dedup-same-meeting") is Status.PASSED
    ledger.add(2, key="k2", resource=B)
    check = ledger.checks()["client.dedup-same-meeting"]
    assert check.status is Status.WARNING
    assert "2 events with the same start time and meeting URL" in check.findings[0].message


def test_different_meetings_do_not_exercise_the_dedup_rule() -> None:
    ledger = Ledger()
    ledger.add(0, key="k1")
    ledger.add(1, key="k2", resource=B, event={**MEETING, "meeting_url": "https://x.zoom.us/j/1"})
    assert ledger.status("client.dedup-same-meeting") is Status.SKIPPED


# --- override ------------------------------------------------------------------------------------


def test_a_partial_config_on_override_is_a_warning() -> None:
    ledger = Ledger()
    full = ("bot_name", "metadata", "metadata.team", "recording_config", "recording_config.x")
    ledger.add(0, config_keys=full)
    ledger.add(1, config_keys=(*full, "chat"))
    assert ledger.status("client.override-full-config") is Status.PASSED
    ledger.add(2, config_keys=("bot_name", "metadata"))
    check = ledger.checks()["client.override-full-config"]
    assert check.status is Status.WARNING
    assert "dropped bot_config keys the previous one (#2) had: chat, metadata.team, " in (
        check.findings[0].message
    )
    assert check.findings[0].message.endswith("recording_config")  # not recording_config.x


def test_a_refused_or_unscheduled_config_is_not_the_previous_one() -> None:
    ledger = Ledger()
    ledger.add(0, config_keys=("bot_name", "chat"))
    ledger.add(1, operation=UNSCHEDULE)
    ledger.add(2, config_keys=("bot_name",))
    ledger.add(3, 429, retry_after="0", config_keys=())
    ledger.add(4, config_keys=("bot_name",))
    assert ledger.status("client.override-full-config") is Status.PASSED


# --- options, result, presentation ---------------------------------------------------------------


def test_ignored_rules_are_skipped_with_a_reason() -> None:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="1")
    check = ledger.checks(ignore=frozenset({"client.retries-throttled"}))[
        "client.retries-throttled"
    ]
    assert check.status is Status.SKIPPED and check.reason == "ignored (relaxed for this run)"
    with pytest.raises(ValueError, match=r"unknown client rule client\.nope"):
        ClientRuleOptions(ignore=frozenset({"client.nope"}))


def violating() -> list[LedgerRecord]:
    ledger = Ledger()
    ledger.add(0, 429, retry_after="2", body={"deduplication_key": "k", "bot_config": {}})
    ledger.add(0.5, key="other")
    return ledger.records


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


def test_describe_violations_lists_rule_when_and_request() -> None:
    checks = check_ledger(violating())
    text = describe_violations(checks)
    assert text.startswith("2 client rules broken (2 violations):")
    assert "✗ client.retry-after (MUST)" in text
    assert "! client.dedup-stable-key (SHOULD, a warning)" in text
    assert f"#2 +0.500s POST /api/v2/calendar-events/{A}/bot/ → 200: sent 0.500 s" in text
    assert "expected: no POST /api/v2/calendar-events/{id}/bot/ request until +2.000s" in text
    assert "client.dedup-stable-key" not in describe_violations(checks, include_warnings=False)
    assert describe_violations([]) == "no client rule was broken"
