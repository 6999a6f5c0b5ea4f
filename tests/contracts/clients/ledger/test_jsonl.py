"""Ledger files (`ledger.jsonl`): read and written whole, bad lines named, a cut-off last
line dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from calbot.contracts.clients.ledger import LedgerError, parse_ledger, read_ledger, write_ledger

from .records import T0, record


def test_files_round_trip(tmp_path: Path) -> None:
    records = [record(seq=n, time=T0 + timedelta(seconds=n)) for n in range(1, 4)]
    write_ledger(records, tmp_path / "l.jsonl")
    assert read_ledger(tmp_path / "l.jsonl") == records


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1]", "l:2: not a JSON object"),
        ('{"v": 2}', "l:2: ledger version 2 (this calbot reads 1)"),
        ('{"v": 1, "seq": 1}', "l:2: missing field 'time'"),
        ('{"v": 1, "seq": "1", "time": "2030-01-01T00:00:00Z"}', "l:2: seq must be int, got str"),
        ('{"v": 1, "seq": 1, "time": "yesterday"}', "l:2: time 'yesterday' is not an RFC 3339"),
        ("{not json", "l:2: not JSON"),
    ],
)
def test_bad_lines_are_named(line: str, message: str) -> None:
    good = record().to_line()
    with pytest.raises(LedgerError) as caught:
        parse_ledger([good, line + "\n", good], source="l")
    assert str(caught.value).startswith(message)


def test_a_cut_off_last_line_is_dropped_and_blank_lines_skipped() -> None:
    good = record().to_line()
    assert parse_ledger([good, "\n", good[:40]]) == [record()]
    with pytest.raises(LedgerError):
        parse_ledger([good, good[:40] + "\n"])  # a complete line that is not JSON: an error


def test_a_file_names_itself_in_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text("[1]\n")
    with pytest.raises(LedgerError, match=f"^{path}:1: not a JSON object"):
        read_ledger(path)
