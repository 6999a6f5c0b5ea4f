"""The proxy's ledger fields are additive: the reference server's lines are unchanged, a proxy
line round-trips, and a reader that knows only the first fields still reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from calbot.contracts.clients.ledger import LedgerError, LedgerRecord, parse_ledger

PROXY_FIELDS = {"answered_by", "response", "response_note", "upstream_error", "elapsed_ms"}
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def test_a_server_line_has_none_of_the_proxy_fields() -> None:
    line = LedgerRecord(seq=1, time=T0, method="GET", path="/x", status=404).to_json()
    assert not PROXY_FIELDS & set(line)


def test_a_proxy_line_round_trips_and_old_fields_read_the_same() -> None:
    record = LedgerRecord(
        seq=2,
        time=T0,
        method="GET",
        path="/api/v1/bot/x/",
        status=502,
        answered_by="proxy",
        response={"detail": "calbot proxy: …"},
        response_note=None,
        upstream_error="the upstream could not be reached",
        elapsed_ms=1.5,
    )
    (back,) = parse_ledger([record.to_line()])
    assert back == record
    old_only = {k: v for k, v in record.to_json().items() if k not in PROXY_FIELDS}
    (plain,) = parse_ledger([json.dumps(old_only) + "\n"])
    assert (plain.seq, plain.status, plain.answered_by, plain.response) == (2, 502, None, None)


def test_a_wrongly_typed_proxy_field_names_the_line() -> None:
    line = LedgerRecord(seq=1, time=T0, method="GET", path="/x", status=200).to_json()
    with pytest.raises(LedgerError, match="ledger:1: elapsed_ms must be a number"):
        parse_ledger([json.dumps({**line, "elapsed_ms": "fast"}) + "\n"])
