"""Results to render: a small run with every status, an empty one, a giant one, one with secrets,
one with behaviour coverage and transient retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calbot.contracts.results import (
    CheckResult,
    Coverage,
    Exchange,
    Finding,
    Level,
    RunResult,
    Status,
)

API_KEY = "sk_live_9f8e7d6c5b4a3210"
EVENT = "/api/v2/calendar-events/5f1c9a52-8b8e-4d0c-9d7e-2a4b6c8d0e1f/bot/"
BASE = "https://recall.example.test"
START = datetime(2026, 11, 24, 17, 0, 0, tzinfo=UTC)


def curl(body: str, key: str = "<API_KEY>") -> str:
    return (
        f"curl -X POST '{BASE}{EVENT}' -H 'Authorization: Token {key}' "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )


def exchange(
    body: str, status: int = 200, response: str = "{}", key: str = "<API_KEY>"
) -> Exchange:
    return Exchange(
        method="POST",
        url=f"{BASE}{EVENT}",
        request_headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        request_body=body,
        status_code=status,
        response_headers={"Content-Type": "application/json"},
        response_body=response,
        elapsed_ms=41.7,
    )


def check(
    contract: str,
    name: str,
    rule: str,
    status: Status,
    findings: list[Finding] | None = None,
    *,
    level: Level = Level.MUST,
    reason: str | None = None,
    offset: float = 0.0,
) -> CheckResult:
    return CheckResult(
        contract=contract,
        name=name,
        rule=rule,
        level=level,
        status=status,
        description=f"Checks {rule}.",
        reason=reason,
        findings=findings or [],
        started_at=START + timedelta(seconds=offset),
        duration=0.25,
    )


def dedup_finding(key: str = "<API_KEY>") -> Finding:
    body = '{"deduplication_key": "team-standup-2026-11-24"}'
    return Finding(
        rule="dedup.shared-bot",
        message="two events scheduled with the same deduplication_key got different bots",
        expected="one bot_id shared by both events",
        actual="bot_id 7d3a… on event A, 91fe… on event B",
        operation="POST /api/v2/calendar-events/{id}/bot/",
        curl=curl(body, key),
        exchanges=[
            exchange(body, 200, '{"bots": [{"bot_id": "7d3a"}]}', key),
            exchange(body, 200, '{"bots": [{"bot_id": "91fe"}]}', key),
        ],
        signature="dedup:different-bot",
    )


def server_error(n: int, key: str = "<API_KEY>") -> Finding:
    body = '{"bot_config": {"metadata": {"k": ' + str(n) + "}}}"
    return Finding(
        rule="robustness.no-5xx",
        message="server answered 500 to a request with non-string metadata values",
        expected="400 with the error envelope",
        actual="500 Internal Server Error",
        operation="POST /api/v2/calendar-events/{id}/bot/",
        curl=curl(body, key),
        exchanges=[exchange(body, 500, "<html>Internal Server Error</html>", key)],
        signature="5xx:metadata",
    )


def sample(key: str = "<API_KEY>") -> RunResult:
    """Several failed checks, a warning, a skipped one, an error and passes."""
    return RunResult(
        target=f"{BASE}/",
        kit_version="0.1.0",
        spec_version="1.0.0",
        started_at=START,
        duration=12.5,
        seed=1234,
        options={"rate_limit": "600/60s"},
        checks=[
            check(
                "dedup",
                "same-key-same-bot",
                "dedup.shared-bot",
                Status.FAILED,
                [dedup_finding(key)],
                offset=0,
            ),
            check(
                "robustness",
                "no-5xx",
                "robustness.no-5xx",
                Status.FAILED,
                [server_error(n, key) for n in range(7)] + [server_error(0, key)],
                offset=1,
            ),
            check(
                "ended",
                "refused",
                "ended.refused",
                Status.FAILED,
                [
                    Finding(
                        rule="ended.refused",
                        message="scheduling on an ended event was accepted",
                        expected='400 {"non_field_errors": ["Cannot schedule bot as calendar '
                        'event has ended."]}',
                        actual="201 Created",
                        operation="POST /api/v2/calendar-events/{id}/bot/",
                        curl=curl('{"deduplication_key": "ended-1"}', key),
                    )
                ],
                offset=2,
            ),
            check(
                "rate-limit",
                "budget",
                "rate-limit.budget",
                Status.WARNING,
                [
                    Finding(
                        rule="rate-limit.budget",
                        message="throttled after 480 of 600 requests",
                        expected="no 429 before 600 requests in 60 s",
                        actual="429 at request 481",
                    )
                ],
                level=Level.SHOULD,
                offset=3,
            ),
            check(
                "override",
                "replace",
                "override.replace",
                Status.SKIPPED,
                reason="no state setup: the target has no provider-state URL",
                offset=4,
            ),
            check(
                "errors",
                "auth",
                "errors.auth",
                Status.ERROR,
                reason="the target stopped answering (connection refused)",
                offset=5,
            ),
            check("errors", "not-found", "errors.not-found", Status.PASSED, offset=6),
            check("schema", "responses", "schema.responses", Status.PASSED, offset=7),
            check("delete", "unschedule", "delete.unschedule", Status.PASSED, offset=8),
        ],
    )


NO_SECOND_KEY = "workspaces::key-scope skipped: no second workspace's API key was given"


def with_coverage(run: RunResult) -> RunResult:
    """`run` with a coverage list (2 of 6 behaviours exercised) and transient retries on two
    checks (a failed one and a passed one)."""
    run.coverage = [
        Coverage(
            "dedup.across-events",
            "dedup.shared-bot",
            "one key on two events gives one bot",
            "typical",
            requests=3,
            checks=["dedup::same-key-same-bot"],
        ),
        Coverage(
            "dedup.different-keys",
            "dedup.shared-bot",
            "different keys give different bots",
            "typical",
            requests=1,
            checks=["dedup::same-key-same-bot"],
        ),
        Coverage(
            "workspaces.key-scope",
            "workspaces.isolated",
            "one key in two workspaces gives two bots",
            "workspaces",
            checks=["workspaces::key-scope"],
            reason=NO_SECOND_KEY,
        ),
        Coverage(
            "workspaces.bot-isolation",
            "workspaces.isolated",
            "one workspace cannot read another's bot",
            "workspaces",
            checks=["workspaces::key-scope"],
            reason=NO_SECOND_KEY,
        ),
        Coverage(
            "ended.moment-ago",
            "ended.refused",
            "an event that ended a moment ago is refused",
            "time",
            checks=["ended::refused"],
            reason="its checks were not selected for this run",
        ),
        Coverage(
            "override.whole-config",
            "override.replace",
            "scheduling again replaces the whole config",
            "typical",
            checks=["override::replace"],
            reason="override::replace skipped: needs events: no state setup",
        ),
    ]
    run.checks[0].retried = {"507": 3}
    run.checks[6].retried = {"409": 1}
    return run


@pytest.fixture
def covered() -> RunResult:
    return with_coverage(sample())


@pytest.fixture
def result() -> RunResult:
    return sample()


@pytest.fixture
def empty() -> RunResult:
    return RunResult(target=BASE, kit_version="0.1.0", spec_version="1.0.0", started_at=START)


@pytest.fixture
def passing() -> RunResult:
    run = sample()
    run.checks = [c for c in run.checks if c.status is Status.PASSED]
    return run


@pytest.fixture
def secret_result() -> RunResult:
    """The API key in findings, exchanges, curls, headers, options, the target and a reason
    a behaviour was not exercised."""
    run = with_coverage(sample(key=API_KEY))
    run.coverage[5].reason = f"override::replace skipped: state URL refused key {API_KEY}"
    run.target = f"{BASE}/?api_key={API_KEY}"
    run.options = {"api_key": API_KEY, "header": f"Authorization: Token {API_KEY}"}
    run.checks[0].findings[0].message = f"the key {API_KEY} was echoed back"
    run.checks[4].reason = f"state URL refused key {API_KEY}"
    return run


def giant(checks: int = 40, distinct: int = 100, repeats: int = 3) -> RunResult:
    """Thousands of findings: `distinct` different ones per check, each seen `repeats` times."""
    run = sample()
    padding = "x" * 800
    for index in range(checks):
        findings = [
            Finding(
                rule="robustness.no-5xx",
                message=f"server answered 500 for input #{n}",
                expected="a 4xx answer",
                actual=f"500 with body {padding}",
                operation="POST /api/v2/calendar-events/{id}/bot/",
                curl=curl('{"bot_config": {"n": ' + str(n) + ', "pad": "' + padding + '"}}'),
                exchanges=[exchange('{"n": ' + str(n) + "}", 500, padding)],
                signature=f"5xx:{n}",
            )
            for n in range(distinct)
            for _ in range(repeats)
        ]
        run.checks.append(
            check(f"fuzz-{index}", f"case-{index}", "robustness.no-5xx", Status.FAILED, findings)
        )
    return run


@pytest.fixture(scope="session")
def huge() -> RunResult:
    """40 failed checks × 300 findings (100 distinct), each with an 800-character body."""
    return giant()
