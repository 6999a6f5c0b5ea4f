"""The client rules about refusals and retries (`calbot.contracts.clients.retries`): each rule
caught, passed, skipped."""

from __future__ import annotations

import pytest

from calbot.contracts.clients.ledger import UNSCHEDULE
from calbot.contracts.domain.model import DELETED_MESSAGE, ENDED_MESSAGE
from calbot.contracts.results import Status
from calbot.spec.throttles import RateLimit

from .records import B, Records

# --- Retry-After ---------------------------------------------------------------------------------


def test_a_request_before_retry_after_fails() -> None:
    records = Records()
    records.add(0, 429, retry_after="2")
    records.add(1.5)
    check = records.checks()["client.retry-after"]
    assert check.status is Status.FAILED
    assert (
        "sent 1.500 s after the 429 of #1, which said Retry-After: 2" in check.findings[0].message
    )
    assert [e.status_code for e in check.findings[0].exchanges] == [429, 200]


def test_waiting_retry_after_passes_and_other_scopes_are_free() -> None:
    records = Records()
    records.add(0, 429, retry_after="2")
    records.add(0.5, operation=UNSCHEDULE)  # another operation: its own budget
    records.add(0.6, workspace="key2")  # another workspace: its own budget
    records.add(2.0)
    assert records.status("client.retry-after") is Status.PASSED


def test_the_window_covers_every_event_of_the_operation() -> None:
    records = Records()
    records.add(0, 429, retry_after="3")
    records.add(1, resource=B)
    records.add(2, 429, retry_after="1")  # an early request that is throttled again counts too
    assert len(records.checks()["client.retry-after"].findings) == 2


def test_retry_after_as_an_http_date() -> None:
    records = Records()
    records.add(0, 429, retry_after="Tue, 01 Jan 2030 09:00:05 GMT")
    records.add(4)
    records.add(5)
    assert len(records.checks()["client.retry-after"].findings) == 1


def test_no_429_means_retry_after_was_not_exercised() -> None:
    records = Records()
    records.add(0)
    check = records.checks()["client.retry-after"]
    assert check.status is Status.SKIPPED and "fail_next" in (check.reason or "")


# --- retries -------------------------------------------------------------------------------------


def test_a_throttled_schedule_that_is_never_sent_again_fails() -> None:
    records = Records()
    records.add(0, 429, retry_after="1")
    check = records.checks()["client.retries-throttled"]
    assert check.status is Status.FAILED
    assert "was never sent again (Retry-After: 1)" in check.findings[0].message


def test_retrying_or_giving_up_after_retrying_passes() -> None:
    records = Records()
    records.add(0, 429, retry_after="1")
    records.add(1)
    records.add(2, 429, retry_after="1", resource=B)
    records.add(3, 429, retry_after="1", resource=B)  # retried once, then gave up: fine
    assert records.status("client.retries-throttled") is Status.PASSED


def test_a_throttled_read_need_not_be_retried() -> None:
    records = Records()
    records.add(0, 429, retry_after="1", operation="GET /api/v2/calendar-events/{id}/")
    assert records.status("client.retries-throttled") is Status.SKIPPED


@pytest.mark.parametrize("status", [409, 502, 503, 504, 507])
def test_giving_up_after_a_transient_error_is_a_warning(status: int) -> None:
    records = Records()
    records.add(0, status, operation=UNSCHEDULE)
    assert records.status("client.retries-transient") is Status.WARNING
    records.add(1, operation=UNSCHEDULE)
    assert records.status("client.retries-transient") is Status.PASSED


# --- tight loops ---------------------------------------------------------------------------------


def test_more_than_five_requests_a_second_after_a_5xx_is_a_tight_loop() -> None:
    records = Records()
    records.add(0, 503)
    for n in range(1, 6):
        records.add(n * 0.1, 503)
    assert records.status("client.no-tight-loop") is Status.PASSED  # 5 in the second after
    records.add(0.9)
    check = records.checks()["client.no-tight-loop"]
    assert check.status is Status.FAILED
    assert len(check.findings) == 1  # one finding per burst
    assert "6 requests within 1 s after the 503 of #1 (limit 5)" in check.findings[0].message


def test_a_tight_loop_after_a_409_is_one_too() -> None:
    """Recall: a 409 on parallel calls is retried with exponential backoff."""
    records = Records()
    for n in range(7):
        records.add(n * 0.1, 409)
    records.add(0.8)
    check = records.checks()["client.no-tight-loop"]
    assert check.status is Status.FAILED
    assert "after the 409 of #1" in check.findings[0].message


def test_the_threshold_is_configurable() -> None:
    records = Records()
    records.add(0, 429, retry_after="0")
    for n in range(1, 5):
        records.add(n * 0.2)
    assert records.status("client.no-tight-loop") is Status.PASSED
    assert records.status("client.no-tight-loop", tight_loop=RateLimit(3, 1.0)) is Status.FAILED


def test_a_busy_client_on_other_events_is_not_a_loop() -> None:
    records = Records()
    records.add(0, 503)
    for n in range(10):
        records.add(0.01 * n, resource=f"00000000-0000-0000-0000-{n:012d}")
    records.add(0.5)
    assert records.status("client.no-tight-loop") is Status.PASSED


# --- ended events --------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [ENDED_MESSAGE, DELETED_MESSAGE])
def test_a_schedule_refused_as_ended_must_not_be_sent_again(message: str) -> None:
    records = Records()
    records.add(0, 400, message=message)
    assert records.status("client.ended-not-retried") is Status.PASSED
    records.add(5, 400, message=message)
    check = records.checks()["client.ended-not-retried"]
    assert check.status is Status.FAILED
    assert f"sent again after #1 answered 400: {message}" in check.findings[0].message


def test_another_400_may_be_corrected_and_sent_again() -> None:
    records = Records()
    records.add(0, 400, message="deduplication_key: This field is required.")
    records.add(1)
    assert records.status("client.ended-not-retried") is Status.SKIPPED
