"""`LedgerWriter`: where a running server or proxy puts its ledger, record by record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from calbot.contracts.clients.ledger.record import LedgerRecord


class LedgerWriter:
    """Numbered records, kept in memory (unless `keep=False`) and written as JSON Lines the
    moment each is complete (flushed, so a crash loses no record). Thread-safe."""

    def __init__(self, path: str | Path | None = None, *, keep: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self._keep = keep
        self._lock = threading.Lock()
        self._seq = 0
        self._records: list[LedgerRecord] = []
        self._file: IO[str] | None = None
        if self.path is not None:
            self._file = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    @property
    def records(self) -> list[LedgerRecord]:
        """The records so far (a copy), oldest first."""
        with self._lock:
            return list(self._records)

    def append(self, build: Callable[[int], LedgerRecord]) -> LedgerRecord:
        """Number the next record, build it (`build(seq)`), keep it and write it."""
        with self._lock:
            self._seq += 1
            record = build(self._seq)
            if self._keep:
                self._records.append(record)
            if self._file is not None:
                self._file.write(record.to_line())
                self._file.flush()
        return record

    def close(self) -> None:
        """Close the JSONL file (the records stay readable)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
