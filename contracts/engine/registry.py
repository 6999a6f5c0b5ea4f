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
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from calbot.contracts.behaviours import BEHAVIOURS_BY_ID
from calbot.contracts.domain.operations import BOT, EVENT, EVENT_BOT
from calbot.contracts.engine.defaults import MAX_EXAMPLES
from calbot.contracts.engine.events import event_params
from calbot.contracts.engine.retrying import persisted
from calbot.contracts.engine.state_setup import StateSetup, StateSetupFailed, StateUnavailable
from calbot.contracts.engine.target import Target
from calbot.contracts.judges.answers import is_server_error
from calbot.contracts.results import CheckResult, Finding, Level, Status
from calbot.contracts.rules import RULES_BY_ID
from calbot.spec.text import shorten

SERVER_ERROR_RULE = "robustness.no-5xx"
TRANSIENT_RULE = "robustness.transient-clears"
NO_SECOND_KEY = "no second workspace's API key was given"
# A finding with no single response rests on the check's latest API exchanges: at most these.
EVIDENCE_EXCHANGES = 6
BODY_EXCERPT = 301
"""How much of a body a finding's `actual` quotes: 300 characters and "…"."""


class Skip(Exception):
    """The check cannot run here; the message says why."""


class NoState(Skip):
    """The check needs state (events) the target cannot be given; the message says which.

    Its result is skipped (an error when state is required), kind `SkipKind.NEEDS_EVENTS`."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check."""

    contract: str
    name: str
    rule: str
    function: Callable[[Context], None]
    description: str = ""
    covers: tuple[str, ...] = ()  # behaviours (calbot.contracts.behaviours) it exercises

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
    contract: str, name: str, *, rule: str, covers: tuple[str, ...] = ()
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    """Register a check under `contract::name`, citing a rule from `calbot.contracts.rules`
    and the behaviours it exercises (`calbot.contracts.behaviours`)."""
    if rule not in RULES_BY_ID:
        raise ValueError(f"unknown rule {rule!r}")
    unknown = [behaviour for behaviour in covers if behaviour not in BEHAVIOURS_BY_ID]
    if unknown:
        raise ValueError(f"unknown behaviours {unknown!r}")

    def register(function: Callable[[Context], None]) -> Callable[[Context], None]:
        doc = (function.__doc__ or "").strip().split("\n")[0]
        spec = CheckSpec(contract, name, rule, function, doc, tuple(covers))
        if any(existing.id == spec.id for existing in REGISTRY):
            raise ValueError(f"check {spec.id} registered twice")
        REGISTRY.append(spec)
        return function

    return register


@dataclass
class RunOptions:
    """What the user asked of a run."""

    max_examples: int = MAX_EXAMPLES
    seed: int | None = None
    rate_limit_contract: bool = True
    strict: bool = False
    require_state: bool = False
    allow_skips: bool = False
    min_coverage: float | None = None  # percent of the behaviours a run must exercise
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
        self.created: list[tuple[str, str | None]] = []  # (event id, the workspace's key)
        self.exercised: dict[str, int] = {}
        self.notes: list[str] = []  # how the check ran, shown with its result
        self._keys = itertools.count(1)
        self._lock = threading.Lock()
        self._first_exchange = len(target.transcript)

    # --- state ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC)

    def event(
        self, kind: str = "upcoming", *, api_key: str | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A fresh calendar event of `kind` on the target (skips the check if impossible).

        `api_key` puts it in that key's workspace (the second workspace's: `second_key()`).
        `overrides` (times, say) need a state setup that chooses them, not given event ids."""
        if overrides and not self.states.chooses_times:
            raise NoState(
                f"an event with chosen times or fields ({', '.join(overrides)}); "
                f"{self.states.description} cannot give one"
            )
        params = {**event_params(kind, now=self.now()), **overrides}
        try:
            if api_key is None:
                body = self.states.create_event(kind, params)
            else:
                body = self.states.create_event(kind, params, api_key=api_key)
        except StateSetupFailed:
            raise  # broken, not unsupported: the run stops (exit 2)
        except StateUnavailable as exc:
            raise NoState(str(exc)) from None
        with self._lock:
            self.created.append((body["id"], api_key))
        return body

    def key(self, label: str = "key") -> str:
        """A deduplication key no other check or run uses."""
        with self._lock:
            number = next(self._keys)
        return f"calbot-{self.options.nonce}-{self.spec.name}-{label}-{number}"

    def second_key(self) -> str:
        """Another workspace's API key; skips the check when none was given."""
        key = self.target.config.second_api_key
        if not key:
            raise Skip(NO_SECOND_KEY)
        return key

    def note(self, text: str) -> None:
        """Say how the check ran, when that matters to reading its result (it waited for a
        clean window, it judged a second attempt): shown as the result's reason unless a skip
        or an error gives one."""
        if text not in self.notes:
            self.notes.append(text)

    # --- coverage -------------------------------------------------------------------------------

    @contextmanager
    def exercising(self, *behaviours: str) -> Iterator[None]:
        """Count the API requests sent inside the block towards `behaviours` (which the check
        must declare in `covers`): they were exercised, whatever the block found."""
        undeclared = [name for name in behaviours if name not in self.spec.covers]
        if undeclared:
            raise ValueError(f"{self.spec.id} does not declare {undeclared!r} in covers")
        start = len(self.target.transcript)
        try:
            yield
        finally:
            sent = self._api_requests(self.target.transcript[start:])
            with self._lock:
                for name in behaviours:
                    self.exercised[name] = self.exercised.get(name, 0) + max(sent, 1)

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

    def _api_requests(self, responses: list[httpx.Response]) -> int:
        operation_of = self.target.operation_of
        return sum(1 for r in responses if operation_of(r.request.method, r.request.url.path))

    def exercised_whole(self) -> None:
        """The check ran to its end: a check that declares one behaviour and counted none
        exercised it with every API request it sent."""
        if len(self.spec.covers) == 1 and not self.exercised:
            sent = self._api_requests(self.target.transcript[self._first_exchange :])
            self.exercised[self.spec.covers[0]] = max(sent, 1)

    def _with_events(self, message: str) -> str:
        missing = [event_id for event_id, _ in self.created if event_id not in message]
        if not missing:
            return message
        noun = "event" if len(missing) == 1 else "events"
        return f"{message} ({noun} {', '.join(missing)})"

    def expect_status(self, response: httpx.Response, status: int, what: str) -> bool:
        """Record a finding unless the response has `status`; says whether it had.

        A documented transient answer that persisted past calbot's retries is a finding of
        its own rule (`robustness.transient-clears`), saying so."""
        if response.status_code == status:
            return True
        if self.failed_persisting(response, what, wanted=str(status)):
            return False
        self.fail(
            f"{what}: expected {status}, got {response.status_code}",
            expected=status,
            actual=f"{response.status_code} {_excerpt(response)}",
            response=response,
            signature=f"{what}: status {response.status_code}",
            rule=SERVER_ERROR_RULE if is_server_error(response.status_code) else None,
        )
        return False

    def failed_persisting(self, response: httpx.Response, what: str, wanted: str) -> bool:
        """Record a finding of `robustness.transient-clears` when the answer is a documented
        transient one that persisted past calbot's retries; says whether it was."""
        mark = persisted(response)
        if mark is None:
            return False
        self.fail(
            f"{what}: {mark.describe()}",
            expected=f"{wanted} once the transient {mark.status} clears",
            actual=f"{response.status_code} {_excerpt(response)}",
            response=response,
            signature=f"{what}: {mark.status} persisted",
            rule=TRANSIENT_RULE,
        )
        return True

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
        for event_id, api_key in self.created:
            try:
                if api_key is None:
                    self.states.teardown(event_id)
                else:
                    self.states.teardown(event_id, api_key=api_key)
            except Exception:  # cleanup must never turn a result into an error
                continue
        self.created.clear()


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _excerpt(response: httpx.Response) -> str:
    return shorten(response.text, BODY_EXCERPT)
