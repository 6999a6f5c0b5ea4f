"""The schedule contract: events in progress and starting soon are accepted, deleted events keep
no bot; lenient where Recall leaves the answer open."""

from __future__ import annotations

import httpx
import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.checks import schedule
from calbot.contracts.checks.schedule import refused_as_ended
from calbot.contracts.domain.model import (
    ENDED_BODY,
    NOT_FOUND_BODY,
    Outcome,
    Workspace,
    World,
    envelope,
)
from calbot.contracts.results import CheckResult, RunResult, Status
from calbot.server import Handler, Hook, Request, Response, ServerConfig, create_app
from calbot.server.faults import Faults, parse_fault
from calbot.spec.states import STATES_PATH

IN_PROGRESS = "schedule::in-progress-not-refused-as-ended"
SOON = "schedule::starting-soon-accepted"
DELETED = "schedule::deleted-event-keeps-no-bot"


def run(
    *checks: str,
    hooks: tuple[Hook, ...] = (),
    workspace: type[Workspace] | None = None,
    max_wait: float = 60.0,
) -> RunResult:
    config = ServerConfig(rate_limit=BUILTIN_BUDGET, hooks=hooks)
    app = create_app(config)
    if workspace is not None:
        app.core.world = World(clock=config.clock, workspace_class=workspace)
    options = Conformance(
        app=app,
        state_url=STATES_PATH,
        rate_limit=BUILTIN_BUDGET,
        contracts=list(checks),
        seed=1,
        max_wait=max_wait,
    )
    return run_conformance(options)


def only(result: RunResult) -> CheckResult:
    (check,) = result.checks
    return check


def rules(check: CheckResult) -> set[str]:
    return {finding.rule for finding in check.findings}


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a deleted event again at once (the check waits 2 s against a real server)."""
    monkeypatch.setattr(schedule, "SETTLE", 0.0)


def test_the_reference_server_passes_all_three() -> None:
    result = run(IN_PROGRESS, SOON, DELETED)
    assert [c.status for c in result.checks] == [Status.PASSED] * 3, result.findings()
    exercised = {name: n for check in result.checks for name, n in check.exercised.items()}
    assert exercised == {"ended.in-progress": 1, "schedule.starting-soon": 2, "deleted.no-bot": 2}


# --- the ended refusal, recognised ----------------------------------------------------------


def test_the_ended_refusal_is_recognised_by_its_documented_message() -> None:
    assert refused_as_ended(httpx.Response(400, json=ENDED_BODY))
    assert refused_as_ended(httpx.Response(422, json={"detail": [ENDED_BODY]}))
    text = "Cannot schedule bot as calendar event has ended."
    assert refused_as_ended(httpx.Response(400, text=f"error: {text}"))
    assert not refused_as_ended(httpx.Response(400, json=envelope({"x": ["started"]})))
    assert not refused_as_ended(httpx.Response(200, json={"errors": ENDED_BODY}))


# --- in progress ------------------------------------------------------------------------------


class StartedRefused(Workspace):
    """Refuses an event once it has started, with `body`."""

    body = ENDED_BODY

    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        if event is not None and not event.is_deleted and event.start_time <= self.clock():
            return Outcome(400, dict(self.body))
        return super().schedule(event_id, body)


class StartedRefusedOtherwise(StartedRefused):
    body = envelope({"non_field_errors": ["The meeting has already started."]})


def test_an_event_in_progress_refused_as_ended_is_a_warning() -> None:
    result = run(IN_PROGRESS, workspace=StartedRefused)
    check = only(result)
    assert check.status is Status.WARNING
    assert rules(check) == {"ended.in-progress"}
    assert result.exit_code == 0


def test_any_other_answer_for_an_event_in_progress_is_the_servers_choice() -> None:
    assert only(run(IN_PROGRESS, workspace=StartedRefusedOtherwise)).status is Status.PASSED


def server_error(request: Request, following: Handler) -> Response:
    if request.method == "POST" and request.path.endswith("/bot/"):
        return Response(500, {"detail": "Internal server error."})
    return following(request)


def test_a_500_for_an_event_in_progress_fails_as_a_server_error() -> None:
    check = only(run(IN_PROGRESS, hooks=(server_error,)))
    assert check.status is Status.FAILED
    assert rules(check) == {"robustness.no-5xx"}


# --- starting soon ----------------------------------------------------------------------------


class SoonRefused(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        if event is not None and (event.start_time - self.clock()).total_seconds() < 600:
            return Outcome(400, envelope({"non_field_errors": ["Too soon."]}))
        return super().schedule(event_id, body)


def test_an_event_starting_soon_refused_fails_naming_the_rule() -> None:
    check = only(run(SOON, workspace=SoonRefused))
    assert check.status is Status.FAILED
    assert rules(check) == {"schedule.accepted"}
    assert len(check.findings) == 2  # in a minute, and in 9 minutes


def test_an_empty_ad_hoc_pool_is_retried_and_passes() -> None:
    faults = Faults(parse_fault("507:2:op=schedule:retry-after=0"))
    check = only(run(SOON, hooks=(faults,)))
    assert check.status is Status.PASSED, check.findings
    assert check.retried == {"507": 2}


def test_an_ad_hoc_pool_that_stays_empty_is_a_finding_of_its_own_rule() -> None:
    faults = Faults(parse_fault("507:*:op=schedule"))
    check = only(run(SOON, hooks=(faults,), max_wait=0.5))
    assert check.status is Status.FAILED
    assert rules(check) == {"robustness.transient-clears"}


class NoBotShown(Workspace):
    def event_json(self, event: object) -> dict[str, object]:
        return {**super().event_json(event), "bots": []}  # type: ignore[arg-type]


def test_an_acceptance_without_the_bot_is_a_finding() -> None:
    check = only(run(SOON, workspace=NoBotShown))
    assert check.status is Status.FAILED
    assert rules(check) == {"schedule.accepted"}


# --- deleted events ---------------------------------------------------------------------------


class DeletedScheduled(Workspace):
    """Schedules on a deleted event as on any other (the bot stays)."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        event = self.events.get(event_id)
        if event is None or not event.is_deleted:
            return super().schedule(event_id, body)
        event.is_deleted = False
        try:
            return super().schedule(event_id, body)
        finally:
            event.is_deleted = True


class DeletedScheduledThenCleaned(DeletedScheduled):
    """Accepts, shows the bot on the first read, then removes it (asynchronously, say)."""

    def get_event(self, event_id: str) -> Outcome:
        answer = super().get_event(event_id)
        event = self.events.get(event_id)
        if event is not None and event.is_deleted and event.bots:
            self._detach(event)
        return answer


class DeletedReadsAsGone(DeletedScheduled):
    """Accepts, but a deleted event reads as 404."""

    def get_event(self, event_id: str) -> Outcome:
        event = self.events.get(event_id)
        if event is not None and event.is_deleted:
            return Outcome(404, dict(NOT_FOUND_BODY))
        return super().get_event(event_id)


def test_a_bot_kept_on_a_deleted_event_fails_naming_the_rule() -> None:
    check = only(run(DELETED, workspace=DeletedScheduled))
    assert check.status is Status.FAILED
    assert rules(check) == {"deleted.no-bot"}
    assert check.exercised == {"deleted.no-bot": 3}  # schedule, read, read again


def test_a_bot_removed_by_the_second_read_passes() -> None:
    assert only(run(DELETED, workspace=DeletedScheduledThenCleaned)).status is Status.PASSED


def test_a_deleted_event_that_reads_as_404_has_no_bot() -> None:
    assert only(run(DELETED, workspace=DeletedReadsAsGone)).status is Status.PASSED


def test_any_refusal_of_a_deleted_event_is_fine() -> None:
    def refused(request: Request, following: Handler) -> Response:
        response = following(request)
        if response.status == 400:
            return Response(409, {"detail": "Deleted."}, (("Retry-After", "0"),))
        return response

    faults = Faults(parse_fault("ended:1:op=schedule"))  # the ended body, for a deleted event
    assert only(run(DELETED, hooks=(faults,))).status is Status.PASSED
    # a 409 that persists is a transient answer that did not clear: its own rule
    check = only(run(DELETED, hooks=(refused,), max_wait=0.5))
    assert rules(check) == {"robustness.transient-clears"}
