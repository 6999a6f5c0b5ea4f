"""Schema conformance with schemathesis: generated requests, real ids, the fragment's schemas.

Cases come from schemathesis (positive and negative); every request goes through calbot's
target (pacing, 429 handling, curl, masking) and every response through schemathesis' checks.
Ids in the path are real (random UUIDs would only ever test 404), unless the case's path is
the negative part.

Evidence decides what a failure means. A 200 body that breaks the fragment breaks a documented
rule; an error answer (status, content type, body) only an inferred one. A negative case is
generated only from the body or the path (calbot always sends the API key, so a mutation of
the Authorization header could not be sent as generated; `errors::credentials-401` owns
authentication), and an accepted negative case is a failure only when the body breaks a
constraint Recall documents under every reading (`calbot.spec.evidence`): a number for a
string field, surrounding whitespace, `null` for an optional field or a non-link meeting_url
may be accepted.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from calbot.contracts.domain.operations import BOT, EVENT, EVENT_BOT
from calbot.contracts.engine.registry import Context, Skip, check
from calbot.contracts.engine.retrying import MALFORMED_TRANSIENT, persisted
from calbot.contracts.engine.steps import only_bot_id, refused_in_envelope, schedule_ok
from calbot.contracts.results import Finding
from calbot.spec.evidence import documented_violations, drf_refusals
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.loader import load_schemathesis_schema
from calbot.spec.throttles import TRANSIENT_STATUSES

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

# schemathesis check → the rule a failure of it breaks (see `_rule`)
RULE_BY_CHECK = {
    "not_a_server_error": "robustness.no-5xx",
    "negative_data_rejection": "schema.invalid-requests",
    "positive_data_acceptance": "schema.valid-requests-accepted",
    "status_code_conformance": "schema.error-answers",
}
ERROR_ANSWERS_RULE = "schema.error-answers"
NOT_FOUND_RULE = "errors.not-found"
CHECK_BY_CODE = {
    "ST101": "not_a_server_error",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST103": "status_code_conformance",
    "ST104": "content_type_conformance",
    "ST105": "content_type_conformance",
    "ST106": "content_type_conformance",
    "ST108": "response_schema_conformance",
    "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance",
}
# Negative cases may break these parts only: headers (the API key) and the query are not sent
# as generated.
NEGATIVE_PARTS = frozenset({"BODY", "PATH"})
_DROPPED_HEADERS = {"authorization", "user-agent", "x-schemathesis-testcaseid"}


@functools.cache
def _schema() -> OpenApiSchema:
    return load_schemathesis_schema()


def _checks(positive: bool) -> list[Callable[..., Any]]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        positive_data_acceptance,
        response_schema_conformance,
        status_code_conformance,
    )

    common = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    return [*common, positive_data_acceptance if positive else negative_data_rejection]


def _rule(check_name: str, status: int, negative_parts: frozenset[str]) -> str:
    """The rule a schemathesis failure breaks, by evidence (see the module's docstring)."""
    if check_name == "negative_data_rejection" and "BODY" not in negative_parts:
        return NOT_FOUND_RULE  # only the path id was broken: a 4xx for it is inferred
    if check_name in RULE_BY_CHECK:
        return RULE_BY_CHECK[check_name]
    return "schema.responses" if status < 400 else ERROR_ANSWERS_RULE


@dataclass(frozen=True, slots=True)
class Sent:
    """What one generated case sent, as the finding shows it."""

    label: str
    mutation: str  # what schemathesis changed to make the case negative ("" for positive)
    negative_parts: frozenset[str]  # negative cases: the parts a server must refuse
    body: object


@dataclass
class _Collector:
    """Keeps one finding per signature (the smallest example) and counts the rest."""

    ctx: Context
    kept: dict[str, tuple[int, Finding]] = field(default_factory=dict)

    def add(self, failure: Any, check_name: str, sent: Sent, response: httpx.Response) -> None:
        title = str(getattr(failure, "title", type(failure).__name__))
        code = str(getattr(failure, "code", "") or "")
        signature = f"{code} {title} — {sent.label} → {response.status_code}".strip()
        size = len(response.request.content)
        if signature in self.kept:
            kept_size, finding = self.kept[signature]
            finding.count += 1
            if size >= kept_size:
                return
            count = finding.count
        else:
            count = 1
        message = str(getattr(failure, "message", "") or "").strip()
        expected = _expected(check_name)
        if sent.mutation:
            expected += f"; the request was made invalid by: {sent.mutation[:500]}"
        if check_name == "negative_data_rejection" and "BODY" in sent.negative_parts:
            broken = documented_violations(sent.body)
            more = f"; and {len(broken) - 3} more" if len(broken) > 3 else ""
            expected += f" (documented constraints broken: {'; '.join(broken[:3])}{more})"
        finding = Finding(
            rule=_rule(check_name, response.status_code, sent.negative_parts),
            message=f"{title} on {sent.label}",
            expected=expected,
            actual=message[:2000] or f"status {response.status_code}",
            operation=sent.label,
            curl=self.ctx.target.curl(response.request),
            exchanges=[self.ctx.target.exchange(response)],
            signature=signature,
            count=count,
        )
        self.kept[signature] = (size, finding)

    def flush(self) -> None:
        self.ctx.findings.extend(finding for _size, finding in self.kept.values())


def _expected(check_name: str) -> str:
    return {
        "not_a_server_error": "no 5xx answer",
        "negative_data_rejection": "a 4xx for a request that violates the fragment",
        "positive_data_acceptance": "a 2xx for a request the fragment allows",
        "status_code_conformance": "a status code the fragment documents",
        "content_type_conformance": "a documented Content-Type",
        "response_schema_conformance": "a body matching the fragment's schema",
    }.get(check_name, "what the fragment says")


def _real_ids(ctx: Context) -> dict[str, str]:
    """Events and a bot the generated cases can point at (reads never touch `scheduled`)."""
    scheduled, read = ctx.event(), ctx.event()
    bot_id = None
    for event in (scheduled, read):
        body = {"deduplication_key": ctx.key("schema"), "bot_config": {}}
        answer = schedule_ok(ctx, event["id"], body, "set-up schedule")
        bot_id = only_bot_id(ctx, answer, "set-up schedule") if answer else None
        if bot_id is None:
            raise Skip("could not schedule a bot for generated cases to point at (see findings)")
    assert bot_id is not None
    return {
        f"POST {EVENT_BOT}": scheduled["id"],
        f"DELETE {EVENT_BOT}": scheduled["id"],
        f"GET {EVENT}": read["id"],
        f"GET {BOT}": bot_id,
    }


def _request(
    case: Case,  # type: ignore[type-arg]
    base_url: str,
) -> tuple[str, str, dict[str, str], bytes | None] | None:
    """Method, path, headers and body of a case, or None when it cannot be sent as-is."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {
        name: str(value)
        for name, value in (kwargs.get("headers") or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    }
    body: bytes | None = None
    if "json" in kwargs:
        try:
            body = json.dumps(kwargs["json"], allow_nan=False).encode()
        except (TypeError, ValueError):
            return None
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body = data.encode() if isinstance(data, str) else bytes(data)
    url = str(kwargs["url"])
    path = url[len(base_url) :] if url.startswith(base_url) else httpx.URL(url).raw_path.decode()
    return str(kwargs["method"]), path, headers, body


def _explore(ctx: Context, *, positive: bool) -> None:
    from hypothesis import seed as hypothesis_seed

    checks = _checks(positive)
    ids = _real_ids(ctx)
    collector = _Collector(ctx)
    for result in _schema().get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # the shipped fragment is valid
        send = _sender(ctx, operation, positive, ids, collector, checks)
        if ctx.options.seed is not None:
            send = hypothesis_seed(ctx.options.seed)(send)
        send()
    collector.flush()


def _sender(  # noqa: PLR0917
    ctx: Context,
    operation: Any,
    positive: bool,
    ids: dict[str, str],
    collector: _Collector,
    checks: list[Callable[..., Any]],
) -> Callable[[], None]:
    """A Hypothesis test sending the operation's generated cases."""
    from hypothesis import HealthCheck, Phase, assume, given, settings
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    mode = GenerationMode.POSITIVE if positive else GenerationMode.NEGATIVE
    label = operation.label
    base_url = ctx.target.base_url

    @settings(
        max_examples=ctx.options.max_examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Case) -> None:  # type: ignore[type-arg]
        negative_parts = frozenset(
            kind.name
            for kind, info in (case.meta.components if case.meta else {}).items()
            if info.mode is mode
        )
        if not positive:
            assume(negative_parts and negative_parts <= NEGATIVE_PARTS)
        if positive or "PATH" not in negative_parts:
            case.path_parameters = {**(case.path_parameters or {}), "id": ids[label]}
        request = _request(case, base_url)
        assume(request is not None)
        assert request is not None
        method, path, headers, body = request
        broken = negative_parts if positive else _documented_parts(negative_parts, case.body)
        # A 5xx for a malformed body is a failure, not transient (`MALFORMED_TRANSIENT`).
        malformed = not positive and "BODY" in broken
        transient = MALFORMED_TRANSIENT if malformed else TRANSIENT_STATUSES
        response = ctx.target.send(method, path, content=body, headers=headers, transient=transient)
        if persisted(response) is not None:
            ctx.expect_status(response, 200, f"{label} (generated)")
            return
        sent = Sent(label, "" if positive else _mutation(case), broken, case.body)
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                name = _check_name(failure)
                if name == "negative_data_rejection" and not broken:
                    continue  # nothing documented was broken: accepting it is conformant
                if name == "positive_data_acceptance" and drf_refusals(case.body):
                    continue  # Django REST Framework refuses it too: refusing it is conformant
                collector.add(failure, name, sent, response)

    return send


def _mutation(case: Case) -> str:  # type: ignore[type-arg]
    """schemathesis' description of what it changed to make the case negative."""
    phase = getattr(case.meta, "phase", None)
    data = getattr(phase, "data", None)
    return str(getattr(data, "description", "") or "").strip()


def _documented_parts(negative_parts: frozenset[str], body: object) -> frozenset[str]:
    """The negative parts a server must refuse: the body only if it breaks a documented
    constraint under every reading (`documented_violations`)."""
    if "BODY" in negative_parts and not documented_violations(body):
        return negative_parts - {"BODY"}
    return negative_parts


def _check_name(failure: Any) -> str:
    if type(failure).__name__ in ("ServerError", "ContentTypeServerError"):
        return "not_a_server_error"
    if type(failure).__name__ == "MalformedJson":
        return "response_schema_conformance"
    return CHECK_BY_CODE.get(str(getattr(failure, "code", "")), type(failure).__name__)


@check("schema", "responses-conform", rule="schema.responses", covers=("schema.bodies",))
def responses_conform(ctx: Context) -> None:
    """Valid generated requests get documented statuses and bodies matching the fragment."""
    _explore(ctx, positive=True)


@check(
    "schema",
    "invalid-requests-rejected",
    rule="schema.invalid-requests",
    covers=("schema.invalid-bodies",),
)
def invalid_requests_rejected(ctx: Context) -> None:
    """Generated requests that violate the fragment are refused with a documented 4xx."""
    _explore(ctx, positive=False)


# Bodies every reading refuses (`calbot.spec.evidence.documented_violations`; a test holds each
# to it). Not here, on purpose: a number for a string field (Django REST Framework turns it into
# a string), a key that is blank only after trimming, `null` for an optional field, a
# non-link meeting_url: a conformant server may accept them. `bot_config: null` is here: the
# field is required and typed as an object without `nullable` in Recall's published OpenAPI.
INVALID_BODIES: tuple[tuple[str, Any], ...] = (
    ("deduplication_key missing", {"bot_config": {}}),
    ("bot_config missing", {"deduplication_key": "calbot-k"}),
    ("deduplication_key blank", {"deduplication_key": "", "bot_config": {}}),
    ("deduplication_key a boolean", {"deduplication_key": True, "bot_config": {}}),
    ("bot_config a list", {"deduplication_key": "calbot-k", "bot_config": []}),
    ("bot_config a string", {"deduplication_key": "calbot-k", "bot_config": "{}"}),
    ("bot_config null", {"deduplication_key": "calbot-k", "bot_config": None}),
    (
        "metadata value a boolean",
        {"deduplication_key": "calbot-k", "bot_config": {"metadata": {"b": True}}},
    ),
    (
        "metadata value an object",
        {"deduplication_key": "calbot-k", "bot_config": {"metadata": {"o": {}}}},
    ),
    (
        "metadata value a list",
        {"deduplication_key": "calbot-k", "bot_config": {"metadata": {"l": ["x"]}}},
    ),
    (
        "join_at not a date-time",
        {"deduplication_key": "calbot-k", "bot_config": {"join_at": "next tuesday"}},
    ),
    ("body a list", [{"deduplication_key": "calbot-k", "bot_config": {}}]),
)


@check(
    "schema",
    "invalid-bodies-400-envelope",
    rule="schema.invalid-requests",
    covers=("schema.invalid-bodies", "schema.key-at-limit"),
)
def invalid_bodies(ctx: Context) -> None:
    """Each documented kind of invalid body gets 400 (MUST), in the envelope (SHOULD)."""
    event = ctx.event()
    with ctx.exercising("schema.invalid-bodies"):
        for what, body in INVALID_BODIES:
            refused_in_envelope(ctx, event["id"], what, body)
    with ctx.exercising("schema.key-at-limit"):
        refused_in_envelope(
            ctx,
            event["id"],
            f"deduplication_key of {MAX_KEY_LENGTH + 1} characters",
            {"deduplication_key": "k" * (MAX_KEY_LENGTH + 1), "bot_config": {}},
        )
        boundary = {"deduplication_key": ctx.key("x").ljust(MAX_KEY_LENGTH, "x"), "bot_config": {}}
        response = ctx.schedule(event["id"], boundary)
        ctx.expect_status(
            response, 200, f"a deduplication_key of exactly {MAX_KEY_LENGTH} characters"
        )
