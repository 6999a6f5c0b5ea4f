"""The one record builder: a request and its answer, as a recorder observed them, become a
`LedgerRecord`.

Both recorders hand it what they captured: the reference server's hook
(`calbot.server.recorder`) and `calbot proxy` (`calbot.proxy.recording`), so a request gets the
same record from either, apart from the proxy's own fields (`Relayed`). Everything a record
keeps as text goes through the recorder's masker; bodies and messages are cut to size
(`ledger.bodies`). Only a schedule request's body is read (`Observed.read_body`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calbot.contracts.clients.ledger.bodies import (
    BodyFacts,
    answer_message,
    schedule_body_facts,
    short_path,
    unreadable_body_facts,
)
from calbot.contracts.clients.ledger.record import SCHEDULE, LedgerRecord
from calbot.contracts.domain.operations import operation_name, operation_of
from calbot.contracts.masking import Masker

BODY_TOO_LARGE = "Request body too large."
"""Why a body over the recorder's cap is not read (the one fallback for it)."""
MAX_METHOD = 20


@dataclass(frozen=True, slots=True)
class UnreadableBody:
    """A request body that could not be read as JSON: the errors that say why."""

    errors: Mapping[str, Any]

    @classmethod
    def saying(cls, message: str) -> UnreadableBody:
        """One reason, as a `non_field_errors` message."""
        return cls({"non_field_errors": [message]})


TOO_LARGE = UnreadableBody.saying(BODY_TOO_LARGE)


@dataclass(frozen=True, slots=True)
class Relayed:
    """What only `calbot proxy` knows of an exchange: the ledger's proxy fields."""

    answered_by: str
    response: Any = None  # the answer's JSON body, already masked
    response_note: str | None = None
    upstream_error: str | None = None  # set: the upstream gave no answer
    elapsed_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Observed:
    """One request and its answer as a recorder saw them (raw: masked by `build_record`).

    `read_body` gives the request's JSON value, or an `UnreadableBody`; it is called for a
    schedule request only. `answer` is the answer's JSON object ({} when it has none).
    """

    arrived: datetime
    method: str
    path: str
    status: int
    workspace: str
    read_body: Callable[[], object]
    answer: Mapping[str, Any]
    retry_after: str | None = None
    fault: str | None = None
    relayed: Relayed | None = None


def build_record(seq: int, observed: Observed, masked: Masker) -> LedgerRecord:
    """The ledger record of one exchange; nothing `masked` masks appears in it."""
    found = operation_of(observed.method, observed.path)
    relayed = observed.relayed
    # the proxy's own 502/504 when the upstream gave no answer: not an API answer, so the
    # client rules never judge it
    answered = relayed is None or relayed.upstream_error is None
    operation = operation_name(found[0]) if found and answered else None
    facts = _body_facts(observed.read_body(), masked) if operation == SCHEDULE else None
    answer = observed.answer
    event = None
    if operation == SCHEDULE and observed.status == 200 and answer:
        event = masked.data(
            {"start_time": answer.get("start_time"), "meeting_url": answer.get("meeting_url")}
        )
    return LedgerRecord(
        seq=seq,
        time=observed.arrived,
        method=masked.text(observed.method)[:MAX_METHOD],
        path=short_path(masked.text(observed.path)),
        status=observed.status,
        workspace=observed.workspace,
        operation=operation,
        resource=masked.optional(found[1]) if found else None,
        validation=facts.validation if facts else None,
        errors=facts.errors if facts else None,
        body=facts.body if facts else None,
        body_truncated=facts.body_truncated if facts else False,
        key=facts.key if facts else None,
        config_keys=facts.config_keys if facts else None,
        retry_after=masked.optional(observed.retry_after),
        message=masked.optional(answer_message(answer)),
        fault=masked.optional(observed.fault),
        event=event,
        answered_by=relayed.answered_by if relayed else None,
        response=relayed.response if relayed else None,
        response_note=relayed.response_note if relayed else None,
        upstream_error=relayed.upstream_error if relayed else None,
        elapsed_ms=relayed.elapsed_ms if relayed else None,
    )


def _body_facts(value: object, masked: Masker) -> BodyFacts:
    if isinstance(value, UnreadableBody):
        return unreadable_body_facts(masked.data(value.errors))
    return schedule_body_facts(value, masked=masked)
