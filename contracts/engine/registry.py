"""Named checks and the context they run in.

A contract is a module of checks; a check is a function taking a `Context`:

    @check("dedup", "same-key-same-bot", rule="dedup.shared-bot")
    def same_key_same_bot(ctx: Context) -> None:
        first, second = ctx.event(), ctx.event()
        ...
        ctx.fail("the events got different bots", expected=..., actual=..., response=r)

A check fails by recording findings (it keeps going, so one run shows every problem), skips by
raising `Skip(reason)`, and errors by raising anything else.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from calbot.contracts.domain.operations import BOT, EVENT, EVENT_BOT
from calbot.contracts.engine.events import event_params
from calbot.contracts.engine.state_setup import StateSetup, StateSetupFailed, StateUnavailable
from calbot.contracts.engine.target import Target
from calbot.contracts.results import CheckResult, Finding, Level, Status
from calbot.contracts.rules import RULES_BY_ID

SERVER_ERROR_RULE = "robustness.no-5xx"
# A finding with no single response rests on the check's latest API exchanges: at most these.
EVIDENCE_EXCHANGES = 6


class Skip(Exception):
    """The check cannot run here; the message says why."""


NEEDS_EVENTS = "needs events: "


class NoState(Skip):
    """The check needs state (events) the target cannot be given."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check."""

    contract: str
    name: str
    rule: str
    function: Callable[[Context], None]
    description: str = ""

    @property
    def id(self) -> str:
        return f"{self.contract}::{self.name}"

    @property
    def level(self) -> Level:
        return RULES_BY_ID[self.rule].level

    def result(self, status: Status, reason: str | None = None) -> CheckResult:
        """A result for this check with no findings yet, started now."""
        return CheckResult(
            contract=self.contract,
            name=self.name,
            rule=self.rule,
            level=self.level,
            status=status,
            description=self.description,
            reason=reason,
            started_at=datetime.now(UTC),
        )


REGISTRY: list[CheckSpec] = []


def check(
    contract: str, name: str, *, rule: str
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    """Register a check under `contract::name`, citing a rule from `calbot.contracts.rules`."""
    if rule not in RULES_BY_ID:
        raise ValueError(f"unknown rule {rule!r}")

    def register(function: Callable[[Context], None]) -> Callable[[Context], None]:
        doc = (function.__doc__ or "").strip().split("\n")[0]
        spec = CheckSpec(contract, name, rule, function, doc)
        if any(existing.id == spec.id for existing in REGISTRY):
            raise ValueError(f"check {spec.id} registered twice")
        REGISTRY.append(spec)
        return function

    return register


@dataclass
class RunOptions:
    """What the user asked of a run."""

    max_examples: int = 25
    seed: int | None = None
    rate_limit_contract: bool = True
    strict: bool = False
    require_state: bool = False
    allow_skips: bool = False
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


class Context:
    """What a check works with: the target, state setup, and a place for findings."""

    def __init__(
        self, target: Target, states: StateSetup, options: RunOptions, spec: CheckSpec
    ) -> None:
        self.target = target
        self.states = states
        self.options = options
        self.spec = spec
        self.findings: list[Finding] = []
        self.created: list[str] = []
        self._keys = itertools.count(1)
        self._first_exchange = len(target.transcript)

    # --- state ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC)

    def event(self, kind: str = "upcoming", **overrides: Any) -> dict[str, Any]:
        """A fresh calendar event of `kind` on the target (skips the check if impossible)."""
        params = {**event_params(kind, now=self.now()), **overrides}
        try:
            body = self.states.create_event(kind, params)
        except StateSetupFailed:
            raise  # broken, not unsupported: the run stops (exit 2)
        except StateUnavailable as exc:
            raise NoState(f"{NEEDS_EVENTS}{exc}") from None
        self.created.append(body["id"])
        return body

    def key(self, label: str = "key") -> str:
        """A deduplication key no other check or run uses."""
        return f"calbot-{self.options.nonce}-{self.spec.name}-{label}-{next(self._keys)}"

    # --- the API --------------------------------------------------------------------------------

    def schedule(self, event_id: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.target.send("POST", EVENT_BOT.format(id=event_id), json=body, **kwargs)

    def unschedule(self, event_id: str, **kwargs: Any) -> httpx.Response:
        return self.target.send("DELETE", EVENT_BOT.format(id=event_id), **kwargs)

    def get_event(self, event_id: str, **kwargs: Any) -> httpx.Response:
        return self.target.send("GET", EVENT.format(id=event_id), **kwargs)

    def get_bot(self, bot_id: str, **kwargs: Any) -> httpx.Response:
        return self.target.send("GET", BOT.format(id=bot_id), **kwargs)

    # --- findings -------------------------------------------------------------------------------

    def fail(
        self,
        message: str,
        *,
        expected: Any = "",
        actual: Any = "",
        response: httpx.Response | None = None,
        signature: str = "",
        rule: str | None = None,
    ) -> None:
        """Record that the target broke this check's rule (or `rule`, when another one).

        The finding carries its evidence: `response` when given, else the check's latest
        exchanges with the API (and the events it created are named in the message); a curl
        command per request either way."""
        operation, signature = None, signature or message
        if response is not None:
            evidence = [response]
            op = self.target.operation_of(response.request.method, response.request.url.path)
            operation = f"{op[0]} {op[1]}" if op else None
        else:
            evidence = self.api_exchanges()[-EVIDENCE_EXCHANGES:]
            message = self._with_events(message)
        self.findings.append(
            Finding(
                rule=rule or self.spec.rule,
                message=message,
                expected=_show(expected),
                actual=_show(actual),
                operation=operation,
                curl="\n".join(self.target.curl(r.request) for r in evidence) or None,
                exchanges=[self.target.exchange(r) for r in evidence],
                signature=signature,
            )
        )

    def api_exchanges(self) -> list[httpx.Response]:
        """The responses to API requests (not state setup) this check has had so far."""
        sent = self.target.transcript[self._first_exchange :]
        return [r for r in sent if self.target.operation_of(r.request.method, r.request.url.path)]

    def _with_events(self, message: str) -> str:
        missing = [event_id for event_id in self.created if event_id not in message]
        if not missing:
            return message
        noun = "event" if len(missing) == 1 else "events"
        return f"{message} ({noun} {', '.join(missing)})"

    def expect_status(self, response: httpx.Response, status: int, what: str) -> bool:
        """Record a finding unless the response has `status`; says whether it had."""
        if response.status_code == status:
            return True
        self.fail(
            f"{what}: expected {status}, got {response.status_code}",
            expected=status,
            actual=f"{response.status_code} {_excerpt(response)}",
            response=response,
            signature=f"{what}: status {response.status_code}",
            rule=SERVER_ERROR_RULE if response.status_code >= 500 else None,
        )
        return False

    def json_object(self, response: httpx.Response, what: str) -> dict[str, Any] | None:
        """The response's JSON object body, or a finding saying it is not one."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        self.fail(
            f"{what}: the body is not a JSON object",
            expected="a JSON object",
            actual=_excerpt(response),
            response=response,
        )
        return None

    def cleanup(self) -> None:
        """Remove the events this check created (best effort)."""
        for event_id in self.created:
            try:
                self.states.teardown(event_id)
            except Exception:  # cleanup must never turn a result into an error
                continue
        self.created.clear()


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _excerpt(response: httpx.Response, limit: int = 300) -> str:
    text = response.text
    return text if len(text) <= limit else text[:limit] + "…"
