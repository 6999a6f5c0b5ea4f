"""The retry policy for documented transient answers: which, how long to wait, when to stop."""

from __future__ import annotations

import email.utils
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.registry import TRANSIENT_RULE, CheckSpec, Context, RunOptions
from calbot.contracts.engine.retrying import (
    FIRST_BACKOFF,
    MALFORMED_TRANSIENT,
    MAX_BACKOFF,
    MAX_TRANSIENT_TRIES,
    TRANSIENT,
    Persisted,
    Retries,
    Transient,
    backoff,
    describe_retries,
    next_wait,
    persisted,
)
from calbot.contracts.engine.runner import run_check
from calbot.contracts.engine.state_setup import NoStates, ProviderStates, StateSetupFailed
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.results import CheckResult, RunResult, Status
from calbot.spec.throttles import TRANSIENT_STATUSES


def answer(status: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, headers=headers)


def test_the_documented_transient_answers_are_409_502_503_504_and_507() -> None:
    assert frozenset({409, 502, 503, 504, 507}) == TRANSIENT_STATUSES
    assert all(status in TRANSIENT for status in TRANSIENT_STATUSES)
    assert 500 not in TRANSIENT and 429 not in TRANSIENT and 400 not in TRANSIENT


def test_backoff_doubles_from_a_quarter_second_and_is_capped() -> None:
    assert [backoff(retry) for retry in range(1, 6)] == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert backoff(1) == FIRST_BACKOFF
    assert backoff(30) == MAX_BACKOFF


@pytest.mark.parametrize("status", sorted(TRANSIENT_STATUSES))
def test_without_retry_after_each_retry_backs_off(status: int) -> None:
    waits = [next_wait(answer(status), tries, 0.0, 60.0) for tries in range(1, 6)]
    assert waits == [backoff(tries) for tries in range(1, 6)]


def test_retry_after_in_seconds_is_honoured_over_backoff() -> None:
    assert next_wait(answer(507, "3"), 1, 0.0, 60.0) == 3.0
    assert next_wait(answer(503, "0"), 4, 0.0, 60.0) == 0.0


def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = next_wait(answer(507, when), 1, 0.0, 60.0)
    assert isinstance(wait, float) and 25 <= wait <= 31


def test_an_unusable_retry_after_falls_back_to_backoff() -> None:
    assert next_wait(answer(409, "soon"), 2, 0.0, 60.0) == backoff(2)
    assert next_wait(answer(409, "-3"), 1, 0.0, 60.0) == backoff(1)


def test_the_tries_run_out_after_the_bound() -> None:
    why = next_wait(answer(503), MAX_TRANSIENT_TRIES, 0.0, 60.0)
    assert isinstance(why, str)
    assert f"at most {MAX_TRANSIENT_TRIES - 1} times" in why


def test_a_retry_after_past_max_wait_stops_at_once_and_says_so() -> None:
    why = next_wait(answer(507, "120"), 1, 0.0, 60.0, max_wait_named="--max-wait")
    assert isinstance(why, str)
    assert "120 s" in why and "Retry-After" in why and "(--max-wait)" in why
    assert "(max_wait)" in str(next_wait(answer(507, "120"), 1, 0.0, 60.0))  # Python's name


def test_waiting_is_bounded_by_max_wait_in_all() -> None:
    assert next_wait(answer(507, "20"), 3, 40.0, 60.0) == 20.0
    why = next_wait(answer(507, "20"), 4, 41.0, 60.0)
    assert isinstance(why, str) and "60 s" in why
    backoff_why = next_wait(answer(409), 3, 0.9, 1.0)
    assert isinstance(backoff_why, str) and "backoff" in backoff_why


def test_a_set_of_statuses_is_a_policy_retrying_each_up_to_the_bound() -> None:
    policy = Transient.of({409})
    assert 409 in policy and 503 not in policy
    assert policy.tries(409, [409, 409]) == (2, MAX_TRANSIENT_TRIES)
    assert policy.marks(409)
    assert Transient.of(MALFORMED_TRANSIENT) is MALFORMED_TRANSIENT
    assert Transient.of(()) == Transient(frozenset())


def test_for_a_malformed_body_a_5xx_is_asked_once_more_and_never_marked() -> None:
    for status in (502, 503, 504, 507):
        assert status in MALFORMED_TRANSIENT
        assert not MALFORMED_TRANSIENT.marks(status)
        assert MALFORMED_TRANSIENT.tries(status, [status]) == (1, 2)
    assert 500 not in MALFORMED_TRANSIENT
    # A 409 before it does not use up the 5xx's one recheck.
    assert MALFORMED_TRANSIENT.tries(503, [409, 503]) == (1, 2)
    assert MALFORMED_TRANSIENT.marks(409)
    assert MALFORMED_TRANSIENT.tries(409, [409, 409, 409]) == (3, MAX_TRANSIENT_TRIES)
    why = next_wait(answer(503), 2, 0.25, 60.0, most=2)
    assert isinstance(why, str) and "at most 1 time" in why


def test_a_persisted_mark_says_what_came_back_and_why_calbot_stopped() -> None:
    same = Persisted(507, 6, 7.75, "calbot retries a transient answer at most 5 times")
    assert same.describe() == (
        "the server answered 507 on all 6 tries (7.8 s waited; "
        "calbot retries a transient answer at most 5 times)"
    )
    mixed = Persisted(503, 3, 1.75, "why", (409, 507, 503))
    assert "answered 409, 507, 503 on all 3 tries" in mixed.describe()
    assert "its only try" in Persisted(507, 1, 0.0, "why", (507,)).describe()


def test_persisted_reads_the_mark_and_nothing_else() -> None:
    response = answer(507)
    assert persisted(response) is None
    mark = Persisted(507, 6, 1.0, "why")
    response.extensions["calbot.persisted"] = mark
    assert persisted(response) is mark
    response.extensions["calbot.persisted"] = "not a mark"
    assert persisted(response) is None


def test_retries_are_counted_by_status_since_a_snapshot() -> None:
    retries = Retries()
    retries.add(507)
    before = retries.snapshot()
    retries.add(507)
    retries.add(409)
    retries.add(409)
    assert retries.since(before) == {409: 2, 507: 1}
    assert retries.snapshot() == Counter({507: 2, 409: 2})
    assert retries.since(retries.snapshot()) == {}


def test_retries_are_described_in_words() -> None:
    assert describe_retries({}) == ""
    assert describe_retries({507: 3}) == "the server answered 507 three times; retried"
    assert describe_retries({507: 1, 409: 2, 503: 4}) == (
        "the server answered 409 twice, 503 4 times and 507 once; retried"
    )


# --- in a check: counted on the result, a persisting answer a finding of its own rule ----------


def scripted_target(statuses: list[int]) -> Target:
    """A target whose app answers `statuses` in turn, then 200 `{}`; it never really waits."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        status = statuses.pop(0) if statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    target = Target(TargetConfig(app=app))
    target.sleep = lambda seconds: None
    return target


def run_one(target: Target, function: Callable[[Context], None]) -> CheckResult:
    spec = CheckSpec("test", "check", "dedup.shared-bot", function)
    return run_check(spec, target, NoStates(), RunOptions())


def schedule_expecting_200(ctx: Context) -> None:
    response = ctx.target.send("POST", EVENT_BOT.format(id="e"), json={})
    ctx.expect_status(response, 200, "schedule")


def test_retries_that_cleared_are_counted_on_the_check_and_the_run() -> None:
    target = scripted_target([507, 507, 409])
    first = run_one(target, schedule_expecting_200)
    assert first.status is Status.PASSED and not first.findings
    assert first.retried == {"409": 1, "507": 2}
    second = run_one(target, schedule_expecting_200)
    assert second.retried == {}
    run = RunResult("t", "0", "0", datetime.now(UTC), checks=[first, second])
    assert run.retried() == {"409": 1, "507": 2}


def test_an_answer_that_persists_is_a_transient_clears_finding_saying_so() -> None:
    target = scripted_target([507] * MAX_TRANSIENT_TRIES)
    result = run_one(target, schedule_expecting_200)
    assert result.status is Status.FAILED
    [finding] = result.findings
    assert finding.rule == TRANSIENT_RULE == "robustness.transient-clears"
    assert finding.message.startswith("schedule: the server answered 507 on all 6 tries")
    assert finding.expected == "200 once the transient 507 clears"
    assert finding.actual is not None and finding.actual.startswith("507")
    assert result.retried == {"507": MAX_TRANSIENT_TRIES - 1}


def test_an_answer_that_is_not_transient_keeps_its_own_rule() -> None:
    result = run_one(scripted_target([500]), schedule_expecting_200)
    [finding] = result.findings
    assert finding.rule == "robustness.no-5xx"
    assert result.retried == {}


def test_state_setup_that_keeps_answering_503_says_calbot_retried_it() -> None:
    target = scripted_target([503] * MAX_TRANSIENT_TRIES)
    states = ProviderStates(target, "/_calbot/states")
    with pytest.raises(
        StateSetupFailed, match=r"answered 503 to setup \(the server answered 503 on all 6 tries"
    ):
        states.create_event("upcoming", {"start_time": "2030-01-01T10:00:00Z"})
