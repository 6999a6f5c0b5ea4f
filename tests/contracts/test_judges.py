"""One judge per rule: the active checks and the passive verdict call the same function.

`calbot.contracts.judges.JUDGES` maps each rule both sides judge to its one function. These
tests hold the registry to that (one function a rule, every shared rule judged by one, both
sides holding it), and hold the two sides to one verdict on the same answer: the ended-event
answer, judged by `calbot run` through `calbot proxy` and by the proxy's ledger afterwards.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.domain.model import ENDED_BODY, ENDED_MESSAGE
from calbot.contracts.engine.runner import all_checks
from calbot.contracts.judges import JUDGES, judges
from calbot.contracts.judges.answers import ended_body_differences
from calbot.contracts.results import Status
from calbot.contracts.traffic.verdict import CHECKS, check_traffic
from calbot.proxy import ProxyConfig, ProxyLedger, create_proxy
from calbot.server import Handler, Request, Response, ServerConfig, create_app
from calbot.spec.states import STATES_PATH

EXEMPT = {
    "schema.responses": "the active side is schemathesis' response_schema_conformance on its "
    "generated cases; the passive side validates recorded bodies against the same fragment "
    "(contracts/traffic/schemas.py)",
}
"""Rules both sides judge with no shared judge, and why."""


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _holds(module: ModuleType, judge: Callable[..., Any]) -> bool:
    """Whether `module` imported (or defines) `judge`: the very function, not a look-alike."""
    return any(value is judge for value in vars(module).values())


def _active_rules() -> set[str]:
    return {spec.rule for spec in all_checks()}


def _passive_rules() -> set[str]:
    return {check.rule for check in CHECKS}


# --- the registry ----------------------------------------------------------------------------


def test_every_rule_both_sides_judge_has_its_one_judge() -> None:
    shared = _active_rules() & _passive_rules()
    assert shared - set(EXEMPT) <= set(JUDGES), shared - set(EXEMPT) - set(JUDGES)
    assert set(EXEMPT) <= shared, "an exemption for a rule only one side judges"
    assert not set(EXEMPT) & set(JUDGES), "a rule with a judge needs no exemption"


def test_a_rule_has_one_judge_a_second_is_refused() -> None:
    rule, first = next(iter(JUDGES.items()))
    with pytest.raises(ValueError, match="already has a judge"):
        judges(rule)(lambda body: body)
    assert JUDGES[rule] is first
    with pytest.raises(ValueError, match="unknown rule"):
        judges("no.such-rule")


def test_each_judge_lives_with_the_judges_or_the_spec() -> None:
    for rule, judge in JUDGES.items():
        assert judge.__module__.startswith(("calbot.contracts.judges.", "calbot.spec.")), rule


@pytest.mark.parametrize("rule", sorted(JUDGES))
def test_both_sides_call_the_judge(rule: str) -> None:
    judge = JUDGES[rule]
    passive = {check.run.__module__ for check in CHECKS if check.rule == rule}
    for name in passive:
        assert _holds(_module(name), judge), f"{name} judges {rule} without {judge.__name__}"
    active = {spec.function.__module__ for spec in all_checks() if spec.rule == rule}
    callers = [name for name in active if _holds(_module(name), judge)]
    engine = [
        name
        for name in ("calbot.contracts.engine.steps", "calbot.contracts.engine.registry")
        if _holds(_module(name), judge)
    ]
    assert callers or engine, f"no active check of {rule} calls {judge.__name__}"


def test_the_sides_keep_no_judge_of_their_own() -> None:
    """The judged questions are asked in the judges only: no module of either side defines a
    function under a judge's name."""
    names = {judge.__name__ for judge in JUDGES.values()}
    sides = {spec.function.__module__ for spec in all_checks()} | {
        check.run.__module__ for check in CHECKS
    }
    for name in sorted(sides):
        module = _module(name)
        for attribute in names:
            value = getattr(module, attribute, None)
            if value is not None:
                assert value is next(j for j in JUDGES.values() if j.__name__ == attribute), (
                    f"{name}.{attribute} is its own function"
                )


# --- the ended-event answer: one verdict on both sides ----------------------------------------

EXTRA_KEY = {**ENDED_BODY, "request_id": "req_123"}
REWORDED = {**ENDED_BODY, "message": "Other words."}
NOT_AN_OBJECT: list[str] = [ENDED_MESSAGE]


@pytest.mark.parametrize(
    ("body", "differs"),
    [
        (ENDED_BODY, {}),
        (EXTRA_KEY, {}),
        (REWORDED, {"message": "Other words."}),
        (
            {**ENDED_BODY, "errors": {"non_field_errors": ["Gone."]}},
            {"errors.non_field_errors": ["Gone."]},
        ),
        (NOT_AN_OBJECT, {"code": None, "message": None, "errors.non_field_errors": None}),
    ],
)
def test_the_ended_judge_holds_the_literals_and_allows_other_keys(
    body: object, differs: dict[str, object]
) -> None:
    assert ended_body_differences(body) == differs


def _answering(body: object) -> Callable[[Request, Handler], Response]:
    """A hook: the ended-event 400 answered with `body` instead."""

    def hook(request: Request, following: Handler) -> Response:
        response = following(request)
        if response.status == 400 and response.body == ENDED_BODY:
            return Response(400, body, response.headers)
        return response

    return hook


def _both_verdicts(body: object) -> tuple[Status, Status]:
    """`calbot run`'s ended check through a proxy in front of a server answering the ended 400
    with `body`, and the passive verdict on the ledger that proxy kept."""
    upstream = create_app(ServerConfig(rate_limit=BUILTIN_BUDGET, hooks=(_answering(body),)))
    ledger = ProxyLedger()
    proxy = create_proxy(
        ProxyConfig(
            "http://upstream.test", ledger=ledger, transport=httpx.ASGITransport(app=upstream)
        )
    )
    try:
        result = run_conformance(
            Conformance(
                app=proxy,
                state_url=STATES_PATH,
                rate_limit=BUILTIN_BUDGET,
                contracts=["ended::refused-with-documented-body"],
                seed=1,
            )
        )
    finally:
        asyncio.run(proxy.aclose())
    (active,) = result.checks
    passive = {check.rule: check.status for check in check_traffic(ledger.records)}
    return active.status, passive["ended.refused"]


@pytest.mark.parametrize(
    ("body", "status"),
    [(ENDED_BODY, Status.PASSED), (EXTRA_KEY, Status.PASSED), (REWORDED, Status.FAILED)],
    ids=["documented", "one-more-key", "another-message"],
)
def test_both_sides_give_the_same_answer_the_same_verdict(body: object, status: Status) -> None:
    assert _both_verdicts(body) == (status, status)
