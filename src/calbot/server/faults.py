"""Fault injection as a server hook: chosen requests get 429, 409, 5xx or the ended-event 400.

A fault spec is `KIND[:COUNT][:OPTION=VALUE]...`:

- KIND: `429`, `409`, `500`, `502`, `503`, `504`, `507`, or `ended` (the 400 "Cannot schedule
  bot as calendar event has ended."; schedule requests only);
- COUNT: how many requests get it (default 1; `*` for every one from then on);
- options: `retry-after=SECONDS` (a whole number; 429 defaults to 1), `op=OPERATION` (only
  requests to `schedule`, `unschedule`, `get-event` or `get-bot`), `after=N` (let N matching
  requests through first).

Or `scenario:NAME`, a named sequence (`SCENARIOS`): `throttle-after-3` lets three requests
through and throttles the fourth. Examples: `429:3:retry-after=2`, `503:2:op=schedule`,
`ended`, `429:1:after=3`, `scenario:throttle-after-3`.

Faults queue up in the order given. Each API request (never the `/_calbot/` endpoints) takes
the first pending fault that matches it. The answer carries `X-Calbot-Fault: <spec>`, so the
ledger and the client's own logs can tell an injected answer from a real one. At run time,
`POST /_calbot/faults {"faults": ["429:2"]}` adds faults, `GET` lists the pending ones and
`DELETE` clears them (for clients in other languages, per test).

Faults are per workspace. Those added at run time through `/_calbot/faults` serve only the
workspace whose key added them, and the endpoint needs a valid key whenever the server has
keys (401 otherwise), like `/_calbot/states`; `DELETE` and `POST /_calbot/reset` clear only the
caller's. Faults given when the server starts (`calbot serve --fault`, the Python API) are the
operator's: they serve every workspace. A server without keys has one workspace.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from calbot.contracts.domain.model import ENDED_BODY, World
from calbot.contracts.domain.operations import (
    GET_BOT_OPERATION,
    GET_EVENT_OPERATION,
    SCHEDULE_OPERATION,
    UNSCHEDULE_OPERATION,
    Operation,
    operation_of,
)
from calbot.server.messages import (
    Handler,
    Request,
    Response,
    detail,
    invalid,
    method_not_allowed,
    throttled,
    unauthorized,
)
from calbot.server.parsing import json_body
from calbot.spec.states import FAULTS_PATH, RESET_PATH

FAULT_HEADER = "X-Calbot-Fault"
KINDS = ("429", "409", "500", "502", "503", "504", "507", "ended")
OPERATION_NAMES: dict[str, Operation] = {
    "schedule": SCHEDULE_OPERATION,
    "unschedule": UNSCHEDULE_OPERATION,
    "get-event": GET_EVENT_OPERATION,
    "get-bot": GET_BOT_OPERATION,
}
SCENARIOS: dict[str, str] = {
    "throttle-after-N": "N requests go through, then one is answered 429 (Retry-After: 1)",
    "outage-N": "the next N requests are answered 503",
    "conflict": "the next schedule is answered 409 (parallel calls on a shared key)",
    "pool-empty": "the next schedule is answered 507 with Retry-After: 2 (no ad-hoc bot)",
    "ended": "the next schedule is answered 400: the event has ended",
}
_MESSAGES = {
    "409": "Conflict: another request on this deduplication key is in progress. Retry with "
    "backoff.",
    "500": "Internal server error.",
    "502": "Bad gateway.",
    "503": "Service temporarily unavailable. Try again later.",
    "504": "Gateway timeout.",
    "507": "No bot is available right now (the ad-hoc pool is empty). Retry in about 30 seconds.",
}


class FaultSyntaxError(ValueError):
    """A fault spec or scenario name this calbot does not understand."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected answer, for `count` matching requests (None: every one) after `after`."""

    kind: str
    count: int | None = 1
    retry_after: int | None = None
    operation: str | None = None
    after: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSyntaxError(
                f"unknown fault {self.kind!r}; use one of {', '.join(KINDS)} or scenario:NAME"
            )
        if self.count is not None and self.count < 1:
            raise FaultSyntaxError("the count must be a positive whole number or *")
        if self.retry_after is not None and self.retry_after < 0:
            raise FaultSyntaxError("retry-after must be a whole number of seconds, 0 or more")
        if self.after < 0:
            raise FaultSyntaxError("after must be a whole number, 0 or more")
        if self.operation is not None and self.operation not in OPERATION_NAMES:
            raise FaultSyntaxError(
                f"unknown operation {self.operation!r}; use one of {', '.join(OPERATION_NAMES)}"
            )
        if self.kind == "ended" and self.operation not in (None, "schedule"):
            raise FaultSyntaxError("the ended-event 400 only answers schedule requests")

    @property
    def spec(self) -> str:
        """The canonical spec text (what `parse_fault` reads back)."""
        parts = [self.kind, "*" if self.count is None else str(self.count)]
        if self.retry_after is not None:
            parts.append(f"retry-after={self.retry_after}")
        if self.operation is not None:
            parts.append(f"op={self.operation}")
        if self.after:
            parts.append(f"after={self.after}")
        return ":".join(parts)

    def matches(self, operation: Operation) -> bool:
        wanted = "schedule" if self.kind == "ended" else self.operation
        return wanted is None or OPERATION_NAMES[wanted] == operation

    def response(self) -> Response:
        """The answer this fault gives, marked with FAULT_HEADER."""
        mark = (FAULT_HEADER, self.label or self.spec)
        if self.kind == "429":
            answer = throttled(1 if self.retry_after is None else self.retry_after)
            return Response(answer.status, answer.body, (*answer.headers, mark))
        if self.kind == "ended":
            return Response(400, dict(ENDED_BODY), (mark,))
        headers = (("Retry-After", str(self.retry_after)),) if self.retry_after is not None else ()
        return detail(int(self.kind), _MESSAGES[self.kind], (*headers, mark))


def parse_fault(spec: str) -> list[Fault]:
    """The faults a spec or `scenario:NAME` stands for; FaultSyntaxError when malformed."""
    text = spec.strip()
    kind, _, rest = text.partition(":")
    if kind.lower() == "scenario":
        return scenario(rest)
    parts = rest.split(":") if rest else []
    count: int | None = 1
    retry_after: int | None = None
    operation: str | None = None
    after = 0
    if parts and "=" not in parts[0]:
        first = parts.pop(0)
        count = None if first.strip() == "*" else _number(first, "the count", text)
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if name == "op" and sep:
            operation = value.strip()
        elif name == "retry-after" and sep:
            retry_after = _number(value, name, text)
        elif name == "after" and sep:
            after = _number(value, name, text)
        else:
            raise FaultSyntaxError(
                f"{text!r}: unknown option {part!r}; use retry-after=SECONDS, op=OPERATION "
                "or after=N"
            )
    # Unknown words are echoed as given (never lower-cased), so the masker still finds a key.
    if kind.strip().lower() not in KINDS:
        raise FaultSyntaxError(
            f"{text!r}: unknown fault {kind.strip()!r}; use one of {', '.join(KINDS)} or "
            "scenario:NAME"
        )
    if operation is not None and operation.lower() not in OPERATION_NAMES:
        raise FaultSyntaxError(
            f"{text!r}: unknown operation {operation!r}; use one of {', '.join(OPERATION_NAMES)}"
        )
    try:
        lowered = None if operation is None else operation.lower()
        fault = Fault(kind.strip().lower(), count, retry_after, lowered, after)
    except FaultSyntaxError as exc:
        raise FaultSyntaxError(f"{text!r}: {exc}") from None
    return [fault]


def _number(text: str, name: str, spec: str) -> int:
    if not text.strip().isdigit():
        raise FaultSyntaxError(f"{spec!r}: {name} must be a whole number, got {text!r}")
    return int(text)


def scenario(name: str) -> list[Fault]:
    """The faults of a named scenario (see SCENARIOS)."""
    text = name.strip().lower()
    label = f"scenario:{text}"
    if match := re.fullmatch(r"throttle-after-(\d+)", text):
        return [Fault("429", 1, retry_after=1, after=int(match.group(1)), label=label)]
    if match := re.fullmatch(r"outage-(\d+)", text):
        if int(match.group(1)) < 1:
            raise FaultSyntaxError(f"{label!r}: the outage must last at least one request")
        return [Fault("503", int(match.group(1)), label=label)]
    fixed = {
        "conflict": Fault("409", 1, operation="schedule", label=label),
        "pool-empty": Fault("507", 1, retry_after=2, operation="schedule", label=label),
        "ended": Fault("ended", 1, label=label),
    }
    if text in fixed:
        return [fixed[text]]
    known = ", ".join(SCENARIOS)
    raise FaultSyntaxError(f"unknown scenario {name!r}; known: {known} (N a whole number)")


class _Pending:
    __slots__ = ("fault", "left", "skip", "workspace")

    def __init__(self, fault: Fault, workspace: str | None) -> None:
        self.fault = fault
        self.skip = fault.after
        self.left = fault.count
        self.workspace = workspace  # None: every workspace

    def serves(self, workspace: str | None) -> bool:
        return self.workspace is None or self.workspace == workspace


class Faults:
    """A `Hook` holding a queue of faults; each API request takes the first that matches.

    `add` without a workspace queues a fault for every workspace (the operator's); the
    `/_calbot/faults` endpoint queues them for the caller's workspace only.
    """

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Pending] = [_Pending(fault, None) for fault in faults]

    def add(self, *faults: Fault, workspace: str | None = None) -> None:
        """Queue faults after the pending ones, for `workspace` (None: every workspace)."""
        with self._lock:
            self._queue.extend(_Pending(fault, workspace) for fault in faults)

    def add_spec(self, spec: str) -> None:
        """Queue the faults of a spec or `scenario:NAME`."""
        self.add(*parse_fault(spec))

    def clear(self, workspace: str | None = None) -> None:
        """Drop pending faults: `workspace`'s own, or all of them (None)."""
        with self._lock:
            if workspace is None:
                self._queue.clear()
            else:
                self._queue = [item for item in self._queue if item.workspace != workspace]

    @property
    def pending(self) -> list[str]:
        """The specs still queued (with what is left of their counts)."""
        with self._lock:
            return [_describe(item) for item in self._queue]

    def pending_for(self, workspace: str | None) -> list[str]:
        """The specs still queued that would serve `workspace`."""
        with self._lock:
            return [_describe(item) for item in self._queue if item.serves(workspace)]

    def __call__(self, request: Request, following: Handler) -> Response:
        path = request.path.rstrip("/")
        if path == FAULTS_PATH:
            return self._control(request)
        found = operation_of(request.method, request.path)
        fault = self._take(found[0], request.workspace) if found else None
        if fault:
            return fault.response()
        response = following(request)
        if path == RESET_PATH and response.status == 200:
            self.clear(_own(request.workspace))
        return response

    def _take(self, operation: Operation, workspace: str | None) -> Fault | None:
        with self._lock:
            for item in self._queue:
                if not item.fault.matches(operation) or not item.serves(workspace):
                    continue
                if item.skip:
                    item.skip -= 1
                    return None
                if item.left is not None:
                    item.left -= 1
                    if item.left == 0:
                        self._queue.remove(item)
                return item.fault
        return None

    def _control(self, request: Request) -> Response:
        workspace = request.workspace
        if workspace is None:
            return unauthorized()
        if request.method == "POST":
            body = json_body(request)
            if isinstance(body, Response):
                return body
            specs = body.get("faults") if isinstance(body, Mapping) else None
            if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
                return invalid({"faults": ['Expected {"faults": ["SPEC", ...]}.']})
            try:
                parsed = [fault for spec in specs for fault in parse_fault(spec)]
            except FaultSyntaxError as exc:
                return invalid({"faults": [str(exc)]})
            self.add(*parsed, workspace=workspace)
        elif request.method == "DELETE":
            self.clear(_own(workspace))
        elif request.method not in ("GET", "HEAD"):
            return method_not_allowed(request.method, "GET, POST, DELETE")
        return Response(200, {"pending": self.pending_for(workspace)})


def _own(workspace: str | None) -> str | None:
    """Whose faults a workspace may clear: its own; all of them on a server without keys."""
    return None if workspace == World.DEFAULT else workspace


def _describe(item: _Pending) -> str:
    fault = item.fault
    left = Fault(
        fault.kind, item.left, fault.retry_after, fault.operation, item.skip, fault.label
    ).spec
    return left if not fault.label else f"{left} ({fault.label})"
