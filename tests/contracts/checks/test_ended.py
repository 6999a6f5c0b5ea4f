"""The ended contract at its time edge: an event that ended seconds ago, and clock skew."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.checks.ended import MOMENT, ended_a_moment_ago, server_clock
from calbot.contracts.domain.model import Outcome, Workspace, World
from calbot.contracts.results import CheckResult, RunResult, Status
from calbot.server import Handler, Hook, Request, Response, ServerConfig, create_app
from calbot.server.config import utc_now
from calbot.spec.states import STATES_PATH

MOMENT_AGO = "ended::refused-a-moment-after"


def run(
    *checks: str,
    clock: Callable[[], datetime] = utc_now,
    hooks: tuple[Hook, ...] = (),
    workspace: type[Workspace] | None = None,
) -> RunResult:
    config = ServerConfig(rate_limit=BUILTIN_BUDGET, clock=clock, hooks=hooks)
    app = create_app(config)
    if workspace is not None:
        app.core.world = World(clock=clock, workspace_class=workspace)
    options = Conformance(
        app=app, state_url=STATES_PATH, rate_limit=BUILTIN_BUDGET, contracts=list(checks), seed=1
    )
    return run_conformance(options)


def only(result: RunResult) -> CheckResult:
    (check,) = result.checks
    return check


def behind(seconds: float) -> Callable[[], datetime]:
    """A server clock that reads `seconds` behind calbot's."""
    return lambda: utc_now() - timedelta(seconds=seconds)


def dated(clock: Callable[[], datetime]) -> Hook:
    """Answers carry a `Date` header from the server's clock, as HTTP servers send it."""

    def hook(request: Request, following: Handler) -> Response:
        response = following(request)
        date = email.utils.format_datetime(clock(), usegmt=True)
        return Response(response.status, response.body, (*response.headers, ("Date", date)))

    return hook


class GraceMinute(Workspace):
    """Takes an event as ended only a minute after its end."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        real = self.clock
        self.clock = lambda: real() - timedelta(minutes=1)
        try:
            return super().schedule(event_id, body)
        finally:
            self.clock = real


# --- the times ------------------------------------------------------------------------------


def test_the_event_ended_a_moment_before_now_in_whole_seconds() -> None:
    now = datetime(2026, 12, 1, 17, 0, 0, 750_000, tzinfo=UTC)
    times = ended_a_moment_ago(now)
    assert times == {"start_time": "2026-12-01T16:29:55Z", "end_time": "2026-12-01T16:59:55Z"}
    end = datetime.fromisoformat(times["end_time"])
    assert now - MOMENT - timedelta(seconds=1) < end <= now - MOMENT
    assert timedelta(minutes=1) > MOMENT  # still inside any grace period a server might allow


def test_the_servers_clock_comes_from_its_date_header() -> None:
    def answer(**headers: str) -> httpx.Response:
        return httpx.Response(200, headers=headers)

    assert server_clock(answer(date="Tue, 01 Dec 2026 17:00:05 GMT")) == datetime(
        2026, 12, 1, 17, 0, 5, tzinfo=UTC
    )
    assert server_clock(answer()) is None
    assert server_clock(answer(date="yesterday")) is None


# --- against servers ------------------------------------------------------------------------


def test_the_reference_server_refuses_an_event_that_ended_a_moment_ago() -> None:
    check = only(run(MOMENT_AGO))
    assert check.status is Status.PASSED, check.findings
    assert check.exercised == {"ended.moment-ago": 1}


@pytest.mark.parametrize("skew", [0.0, 3.0])
def test_a_server_a_few_seconds_behind_passes_without_a_date_header(skew: float) -> None:
    assert only(run(MOMENT_AGO, clock=behind(skew))).status is Status.PASSED


def test_a_server_further_behind_is_judged_by_its_own_date_header() -> None:
    clock = behind(90)
    check = only(run(MOMENT_AGO, clock=clock, hooks=(dated(clock),)))
    assert check.status is Status.PASSED, check.findings


def test_a_grace_period_fails_naming_the_rule() -> None:
    check = only(run(MOMENT_AGO, workspace=GraceMinute))
    assert check.status is Status.FAILED
    (finding,) = check.findings
    assert finding.rule == "ended.refused"
    assert "ended 5 s ago" in finding.message


def test_a_grace_period_fails_also_when_its_date_header_agrees_with_calbot() -> None:
    check = only(run(MOMENT_AGO, workspace=GraceMinute, hooks=(dated(utc_now),)))
    assert check.status is Status.FAILED
    assert {finding.rule for finding in check.findings} == {"ended.refused"}


class EveryEventAccepted(Workspace):
    """Takes no event as ended."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        real = self.clock
        self.clock = lambda: datetime(1990, 1, 1, tzinfo=UTC)
        try:
            return super().schedule(event_id, body)
        finally:
            self.clock = real


def test_a_server_far_behind_that_accepts_ended_events_fails_by_its_own_clock() -> None:
    clock = behind(3600)
    check = only(run(MOMENT_AGO, workspace=EveryEventAccepted, hooks=(dated(clock),)))
    assert check.status is Status.FAILED
    assert {finding.rule for finding in check.findings} == {"ended.refused"}
    assert check.exercised == {"ended.moment-ago": 2}  # once more, by the server's clock


def test_a_date_header_that_keeps_falling_back_skips_the_check() -> None:
    calls = iter(range(1, 1000))

    def falling() -> datetime:
        return datetime(2000, 1, 1, tzinfo=UTC) - timedelta(days=next(calls))

    check = only(run(MOMENT_AGO, workspace=EveryEventAccepted, hooks=(dated(falling),)))
    assert check.status is Status.SKIPPED
    assert check.reason is not None and "clock" in check.reason


def test_the_long_ago_check_keeps_its_message() -> None:
    def reworded(request: Request, following: Handler) -> Response:
        response = following(request)
        if response.status == 400:
            return Response(400, {**response.body, "message": "Something else."})
        return response

    result = run("ended::refused-with-documented-body", hooks=(reworded,))
    (finding,) = only(result).findings
    assert finding.message.startswith("the ended-event body differs from Recall's documented one")
    assert finding.signature == "ended body: message"
