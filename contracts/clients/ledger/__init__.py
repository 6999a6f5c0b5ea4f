"""The request ledger: one record per request a reference server or `calbot proxy` answered.

Split by idea: `record` (the format: `LedgerRecord`, its JSON form, the operation names and
workspace labels), `jsonl` (ledger files in and out), `writer` (`LedgerWriter`: a running
recorder's numbered, flushed lines), `bodies` (what a record keeps of a body or an answer) and
`builder` (the one record builder both recorders use). The reference server and the proxy
import this package and nothing else of `calbot.contracts.clients`; the client rules
(`calbot.contracts.clients.verify`) and the passive verdict (`calbot.contracts.traffic`) read
what it holds.
"""

from calbot.contracts.clients.ledger.bodies import answer_message
from calbot.contracts.clients.ledger.jsonl import parse_ledger, read_ledger, write_ledger
from calbot.contracts.clients.ledger.record import (
    DEFAULT_WORKSPACE,
    GET_BOT,
    GET_EVENT,
    SCHEDULE,
    UNKNOWN_WORKSPACE,
    UNSCHEDULE,
    LedgerError,
    LedgerRecord,
)
from calbot.contracts.clients.ledger.writer import LedgerWriter

__all__ = [
    "DEFAULT_WORKSPACE",
    "GET_BOT",
    "GET_EVENT",
    "SCHEDULE",
    "UNKNOWN_WORKSPACE",
    "UNSCHEDULE",
    "LedgerError",
    "LedgerRecord",
    "LedgerWriter",
    "answer_message",
    "parse_ledger",
    "read_ledger",
    "write_ledger",
]
