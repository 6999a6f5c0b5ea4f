"""The recorded traffic as the passive checks see it: the upstream's answers and what they tell.

`Traffic(records)` keeps the answers the upstream gave to the four operations (never the
proxy's own: an injected fault, or a 502/504 for an upstream that gave no answer), what those
answers reveal (each event's end time, the URLs each bot was scheduled with), and builds
findings that name the request (as every ledger finding does: `LedgerView`) and carry a curl
to repeat it (the key masked).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from calbot.contracts.clients.ledger import LedgerRecord
from calbot.contracts.clients.view import LedgerView
from calbot.contracts.domain.timestamps import parse_timestamp
from calbot.contracts.engine.curl import curl_command
from calbot.contracts.results import Exchange, Finding

PROXY = "proxy"
MAX_SHOWN = 2000
KEY_PLACEHOLDER = "Token ****"  # the key is never recorded
BASE_VARIABLE = "$RECALL_BASE_URL"  # when the upstream is not known


class Traffic:
    """The ledger's upstream answers, in order, with the facts the checks share."""

    def __init__(self, records: Sequence[LedgerRecord], *, upstream: str = "") -> None:
        self.view = LedgerView(records)
        self.all = self.view.all
        self.origin = self.view.origin
        self.upstream = upstream.rstrip("/")
        self.answers = [r for r in self.view.requests if r.answered_by != PROXY]
        self.ended_at: dict[str, datetime] = {}
        self.deleted: set[str] = set()
        self.bot_urls: dict[str, set[str]] = defaultdict(set)
        for record in records:
            if record.answered_by != PROXY:
                for event in _events_in(record.response):
                    self._learn(event)

    def _learn(self, event: dict[str, Any]) -> None:
        event_id = event.get("id")
        if not isinstance(event_id, str):
            return
        end = parse_timestamp(event.get("end_time"))
        if end is not None:
            self.ended_at[event_id] = end
        if event.get("is_deleted") is True:
            self.deleted.add(event_id)
        for item in event.get("bots") or ():
            if isinstance(item, dict) and isinstance(item.get("bot_id"), str):
                url = item.get("meeting_url")
                if isinstance(url, str):
                    self.bot_urls[item["bot_id"]].add(url)

    def of(self, *operations: str) -> list[LedgerRecord]:
        """The upstream's answers to these operations."""
        return [r for r in self.answers if r.operation in operations]

    def finding(
        self,
        rule: str,
        record: LedgerRecord,
        what: str,
        *,
        expected: str,
        actual: object,
        signature: str,
    ) -> Finding:
        """A finding about one recorded answer: it names the request and carries a curl."""
        shown = actual if isinstance(actual, str) else _json(actual)
        return self.view.finding(
            rule,
            record,
            what,
            expected=expected,
            actual=shown[:MAX_SHOWN],
            signature=signature,
            exchanges=[self.exchange(record)],
            curl=self.curl(record),
        )

    def url(self, record: LedgerRecord) -> str:
        return f"{self.upstream or BASE_VARIABLE}{record.path}"

    def curl(self, record: LedgerRecord) -> str:
        """The request as curl (the body as recorded: an excerpt when it was long)."""
        headers = {"Authorization": KEY_PLACEHOLDER}
        body = None
        if record.body is not None:
            headers["Content-Type"] = "application/json"
            body = _json(record.body).encode("utf-8")
        command = curl_command(record.method, self.url(record), headers, body)
        # let the shell expand the base URL variable: "$RECALL_BASE_URL"'/api/…'
        return command.replace(f"'{BASE_VARIABLE}", f'"{BASE_VARIABLE}"' + "'", 1)

    def exchange(self, record: LedgerRecord) -> Exchange:
        response_headers = {"Retry-After": record.retry_after} if record.retry_after else {}
        if record.response is not None:
            response_body: str | None = _json(record.response)[:MAX_SHOWN]
        else:
            response_body = record.response_note or record.upstream_error or record.message
        return Exchange(
            method=record.method,
            url=self.url(record),
            request_body=None if record.body is None else _json(record.body)[:MAX_SHOWN],
            status_code=record.status,
            response_headers=response_headers,
            response_body=response_body,
            elapsed_ms=record.elapsed_ms,
        )


def _events_in(body: object) -> Iterator[dict[str, Any]]:
    """CalendarEvent-like objects in an answer: the body itself, or a list's `results`."""
    if isinstance(body, dict):
        if "id" in body and "end_time" in body:
            yield body
        results = body.get("results")
        if isinstance(results, list):
            yield from (item for item in results if isinstance(item, dict) and "end_time" in item)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def shown(values: Iterable[str], limit: int = 3) -> str:
    """The first few of `values`, joined with `; `."""
    items = list(values)
    more = f"; … ({len(items) - limit} more)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more
