"""Ledger files: JSON Lines in and out, one record a line (the format: `ledger.record`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from calbot.contracts.clients.ledger.record import LedgerError, LedgerRecord


def parse_ledger(lines: Iterable[str], *, source: str = "ledger") -> list[LedgerRecord]:
    """Records from JSONL text; blank lines are skipped. LedgerError names the bad line.

    A cut-off last line (the writer stopped mid-line) is dropped, since every earlier line
    was complete when written.
    """
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    records = []
    for index, (number, line) in enumerate(numbered):
        try:
            data = json.loads(line)
        except ValueError as exc:
            if index == len(numbered) - 1 and not line.endswith("\n"):
                break  # the writer was stopped mid-line
            raise LedgerError(f"{source}:{number}: not JSON ({exc})") from None
        try:
            records.append(LedgerRecord.from_json(data))
        except LedgerError as exc:
            raise LedgerError(f"{source}:{number}: {exc}") from None
    return records


def read_ledger(path: str | Path) -> list[LedgerRecord]:
    """Read a JSONL ledger file (OSError when unreadable, LedgerError when malformed)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return parse_ledger(handle, source=str(path))


def write_ledger(records: Sequence[LedgerRecord], path: str | Path) -> None:
    """Write records as a JSONL ledger (tests and tools; a running recorder appends line by
    line through `LedgerWriter`)."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(record.to_line() for record in records)
