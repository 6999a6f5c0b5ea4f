"""The workspaces contract: skipped without a second key; two workspaces, two bots; a bot read
across workspaces is 404 or 403 (pass), 2xx (a finding), 401 or another 4xx (neither: skipped,
saying why); the second key is checked before the contracts."""

from __future__ import annotations

import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.engine.preflight import preflight
from calbot.contracts.engine.registry import NO_SECOND_KEY
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.outcomes import CouldNotRun
from calbot.contracts.results import RunResult, Status
from calbot.server import Handler, Request, Response, ServerConfig, create_app
from calbot.spec.states import STATES_PATH

A, B = "calbot-test-key-a", "calbot-test-key-b"


def run(*hooks: object, second: str | None = B) -> RunResult:
    app = create_app(ServerConfig(api_keys=(A, B), rate_limit=BUILTIN_BUDGET, hooks=hooks))  # type: ignore[arg-type]
    options = Conformance(
        app=app,
        state_url=STATES_PATH,
        api_key=A,
        second_api_key=second,
        rate_limit=BUILTIN_BUDGET,
        contracts=["workspaces"],
        seed=1,
    )
    return run_conformance(options)


def statuses(result: RunResult) -> dict[str, Status]:
    return {check.name: check.status for check in result.checks}


def test_the_reference_server_keeps_workspaces_apart() -> None:
    result = run()
    assert set(statuses(result).values()) == {Status.PASSED}, result.checks
    assert {name for c in result.checks for name in c.exercised} == {
        "workspaces.key-scope",
        "workspaces.bot-isolation",
    }


def test_without_a_second_key_both_checks_are_skipped_saying_so() -> None:
    result = run(second=None)
    assert set(statuses(result).values()) == {Status.SKIPPED}
    assert {check.reason for check in result.checks} == {NO_SECOND_KEY}
    assert NO_SECOND_KEY == "no second workspace's API key was given"


def answering(status: int) -> object:
    """A hook: the reference server's 404 for another workspace's bot becomes `status`."""

    def hook(request: Request, following: Handler) -> Response:
        response = following(request)
        if request.path.startswith("/api/v1/bot/") and response.status == 404:
            return Response(status, {"detail": "Not for you."})
        return response

    return hook


def test_403_for_another_workspaces_bot_is_isolation() -> None:
    assert statuses(run(answering(403)))["bots-not-readable-across"] is Status.PASSED


@pytest.mark.parametrize("status", [401, 400])
def test_a_refused_key_or_another_4xx_proves_nothing_and_is_skipped(status: int) -> None:
    result = run(answering(status))
    check = next(c for c in result.checks if c.name == "bots-not-readable-across")
    assert check.status is Status.SKIPPED, check
    assert f": {status}" in (check.reason or "")
    assert not check.findings


def test_a_bot_given_to_another_workspace_is_a_finding() -> None:
    def leak(request: Request, following: Handler) -> Response:
        response = following(request)
        if request.path.startswith("/api/v1/bot/") and response.status == 404:
            return Response(200, {"id": request.path.split("/")[-2], "bot_name": "leaked"})
        return response

    result = run(leak)
    check = next(c for c in result.checks if c.name == "bots-not-readable-across")
    assert check.status is Status.FAILED
    assert {f.rule for f in check.findings} == {"workspaces.isolated"}
    assert len(check.findings) == 2  # either way round
    for finding in check.findings:  # the keys are masked in the evidence
        assert A not in (finding.curl or "") and B not in (finding.curl or "")


def target(second: str) -> Target:
    app = create_app(ServerConfig(api_keys=(A, B)))
    return Target(TargetConfig(app=app, api_key=A, second_api_key=second))


def test_the_preflight_reads_with_the_second_key_too() -> None:
    preflight(target(B))
    with pytest.raises(CouldNotRun, match="refuses the second workspace's API key given"):
        preflight(target("calbot-unknown-key"))
    with pytest.raises(CouldNotRun, match="is the first key again"):
        preflight(target(A))
