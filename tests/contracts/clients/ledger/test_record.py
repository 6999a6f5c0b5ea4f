"""The record format (`ledger.record`): one ASCII JSON line a record, the proxy's fields
additive, the workspace labels (an older ledger's "none" read as "unknown")."""

from __future__ import annotations

import json

import pytest

from calbot.contracts.clients.ledger import LedgerError, LedgerRecord, parse_ledger
from calbot.contracts.clients.ledger.record import (
    DEFAULT_WORKSPACE,
    UNKNOWN_WORKSPACE,
    format_time,
)

from .records import PROXY_FIELDS, T0, record


def test_a_record_round_trips_through_one_ascii_line() -> None:
    original = record(key="clé \ud800", retry_after="2", fault="429:1", message="throttled")
    line = original.to_line()
    assert line.endswith("\n") and line.count("\n") == 1 and line.isascii()
    data = json.loads(line)
    assert list(data)[:4] == ["v", "seq", "time", "method"]
    assert data["v"] == 1 and data["time"] == "2030-01-01T09:00:00.000000Z"
    assert LedgerRecord.from_json(data) == original


def test_times_always_have_microseconds() -> None:
    assert format_time(T0) == "2030-01-01T09:00:00.000000Z"


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


def test_one_label_for_a_request_without_a_known_key() -> None:
    """'unknown' is written; the proxy's older 'none' reads as it; no workspace is 'default'."""
    assert UNKNOWN_WORKSPACE == "unknown" and DEFAULT_WORKSPACE == "default"
    data = record(workspace=UNKNOWN_WORKSPACE).to_json()
    assert data["workspace"] == "unknown"
    assert LedgerRecord.from_json({**data, "workspace": "none"}).workspace == UNKNOWN_WORKSPACE
    assert LedgerRecord.from_json({**data, "workspace": "key2"}).workspace == "key2"
    del data["workspace"]
    assert LedgerRecord.from_json(data).workspace == DEFAULT_WORKSPACE
    with pytest.raises(LedgerError, match="workspace must be str"):
        LedgerRecord.from_json({**data, "workspace": 1})


def test_a_call_is_workspace_operation_and_resource() -> None:
    one = record(workspace="key1")
    assert one.call == ("key1", one.operation, one.resource)
    assert LedgerRecord(seq=1, time=T0, method="GET", path="/", status=200).call == (
        DEFAULT_WORKSPACE,
        "",
        None,
    )
