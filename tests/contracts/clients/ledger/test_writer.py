"""`LedgerWriter` (`ledger.writer`): numbered records, each line flushed as it is written, safe
across threads."""

from __future__ import annotations

import threading
from pathlib import Path

from calbot.contracts.clients.ledger import LedgerWriter, read_ledger

from .records import record


def test_records_are_numbered_kept_and_flushed(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "l.jsonl")
    for count in range(1, 4):
        written = writer.append(lambda seq: record(seq=seq))
        assert written.seq == count
        assert len(read_ledger(tmp_path / "l.jsonl")) == count  # not closed yet
    writer.close()
    assert (
        [r.seq for r in writer.records]
        == [1, 2, 3]
        == [r.seq for r in read_ledger(tmp_path / "l.jsonl")]
    )
    writer.close()  # twice: nothing happens


def test_keep_false_writes_the_file_only_and_no_path_keeps_memory_only(tmp_path: Path) -> None:
    file_only = LedgerWriter(tmp_path / "l.jsonl", keep=False)
    file_only.append(lambda seq: record(seq=seq))
    assert file_only.records == [] and len(read_ledger(tmp_path / "l.jsonl")) == 1
    memory = LedgerWriter()
    memory.append(lambda seq: record(seq=seq))
    assert memory.path is None and len(memory.records) == 1


def test_threads_get_one_number_each_in_file_order(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "l.jsonl")

    def write() -> None:
        for _ in range(50):
            writer.append(lambda seq: record(seq=seq))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert [r.seq for r in read_ledger(tmp_path / "l.jsonl")] == list(range(1, 201))
