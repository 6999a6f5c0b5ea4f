"""Request shapes at their edges: every documented shape of key and bot_config is accepted, and
the key's 2000-character limit counts characters, not bytes.

Sources: https://docs.recall.ai/reference/calendar_events_bot_create (deduplication_key a
string of at most 2000 characters, bot_config any Create Bot property),
https://docs.recall.ai/docs/scheduling-guide (the key recipes),
https://docs.recall.ai/reference/bot_create (metadata values strings or null). Where Recall
types a field and no more, Django REST Framework's `CharField` is the reference: it counts
`len(value)`, code points, and trims surrounding whitespace (the keys here have none).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from calbot.contracts.engine.registry import Context, check
from calbot.contracts.engine.steps import bots_of, refused_in_envelope, schedule_ok
from calbot.generators.bot_configs import DOCUMENTED_AUTOMATIC_LEAVE, DOCUMENTED_RECORDING_CONFIG
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.states import DEFAULT_MEETING_URL

VALID_ACCEPTED = "schema.valid-requests-accepted"

# Non-ASCII letters for calbot's unique key text (digits, a-z and "-"), and fillers: each in
# the Basic Multilingual Plane (one UTF-16 code unit, as a JavaScript server counts it too),
# without a decomposition (every Unicode normalisation keeps it), not whitespace (trimming
# keeps it), and two or three bytes in UTF-8.
_ASCII = "0123456789abcdefghijklmnopqrstuvwxyz-"
_LETTERS = "абвгдежзиклмнопрстуфхцчшщъыьэюяђєѕіјљ"
_TO_NON_ASCII = str.maketrans(_ASCII, _LETTERS)
_FILLERS = "жλ中"
_IDEOGRAPHS = (0x4E00, 0x9FFF)  # CJK Unified Ideographs: one code point each, none decompose


def non_ascii_key(unique: str, length: int) -> str:
    """A key of exactly `length` non-ASCII characters that starts with `unique` (calbot's
    lower-case key text) spelled in Cyrillic letters."""
    spelled = unique.lower().translate(_TO_NON_ASCII)
    if not all(ord(char) > 127 for char in spelled):
        raise ValueError(f"{unique!r} has characters outside {_ASCII!r}")
    filler = _FILLERS * (length // len(_FILLERS) + 1)
    return (spelled + "·" + filler)[:length]


def one_character(nonce: str) -> str:
    """A one-character key of this run: a CJK ideograph chosen by the run's nonce."""
    low, high = _IDEOGRAPHS
    return chr(low + zlib.crc32(nonce.encode()) % (high - low + 1))


def _echoed(ctx: Context, answer: dict[str, Any], key: str, what: str) -> None:
    shown = [bot.get("deduplication_key") for bot in bots_of(answer)]
    if key not in shown:
        ctx.fail(
            f"{what}: bots[] does not carry the key as sent",
            expected=key,
            actual=shown,
            signature=f"{what}: key not echoed",
            rule="dedup.shared-bot",
        )


@check(
    "shapes",
    "key-length-in-characters",
    rule="schema.invalid-requests",
    covers=("schema.key-non-ascii-at-limit",),
)
def key_length_in_characters(ctx: Context) -> None:
    """2000 non-ASCII characters are accepted and echoed as sent; 2001 are refused."""
    event = ctx.event()
    key = non_ascii_key(ctx.key("limit"), MAX_KEY_LENGTH)
    size = len(key.encode())
    what = f"a deduplication_key of {MAX_KEY_LENGTH} non-ASCII characters ({size} bytes in UTF-8)"
    answer = schedule_ok(ctx, event["id"], {"deduplication_key": key, "bot_config": {}}, what)
    if answer is not None:
        _echoed(ctx, answer, key, what)
    over = non_ascii_key(ctx.key("over"), MAX_KEY_LENGTH + 1)
    refused_in_envelope(
        ctx,
        event["id"],
        f"a deduplication_key of {MAX_KEY_LENGTH + 1} non-ASCII characters",
        {"deduplication_key": over, "bot_config": {}},
    )


KeyOf = Callable[[Context, dict[str, Any]], str]


def _recipe(*parts: str) -> KeyOf:
    """A key from Recall's recipes: the event's start time and meeting URL, then `parts`
    (`{event_id}` is the event's id)."""

    def key(ctx: Context, event: dict[str, Any]) -> str:
        start = str(event.get("start_time"))
        url = event.get("meeting_url") or DEFAULT_MEETING_URL
        rest = [part.format(event_id=event.get("id")) for part in parts]
        return "-".join([start, str(url), *rest])

    return key


KEY_SHAPES: tuple[tuple[str, KeyOf], ...] = (
    ("a one-character key", lambda ctx, event: one_character(ctx.options.nonce)),
    ("a key with inner whitespace", lambda ctx, event: f"{ctx.key('inner')} weekly sync\tteam"),
    ("the recommended recipe {start_time}-{meeting_url}", _recipe()),
    ("the per-email-domain recipe", _recipe("example.com")),
    ("the no-deduplication recipe (with the event id)", _recipe("{event_id}")),
    ("a non-ASCII key", lambda ctx, event: f"会议 {ctx.key('unicode')} réunion שלום"),
)
"""Valid keys of the shapes Recall documents or its type allows (a string of 1-2000
characters), none with surrounding whitespace."""

CONFIG_SHAPES: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("an empty bot_config", {}, "schema.invalid-requests"),
    (
        "metadata with a null value",
        {"metadata": {"customer_id": "c_123", "deal_id": None}},
        "schema.invalid-requests",
    ),
    (
        "a nested recording_config and automatic_leave as Recall documents them",
        {
            "recording_config": DOCUMENTED_RECORDING_CONFIG,
            "automatic_leave": DOCUMENTED_AUTOMATIC_LEAVE,
        },
        VALID_ACCEPTED,
    ),
    (
        "Create Bot fields (bot_name, chat, variant)",
        {
            "bot_name": "Notetaker 🤖",
            "chat": {"on_bot_join": {"send_to": "everyone", "message": "Hi, I'm taking notes."}},
            "variant": {"zoom": "web_4_core", "google_meet": "web_4_core"},
        },
        VALID_ACCEPTED,
    ),
)
"""bot_configs of documented shapes, with the rule a refusal breaks: the shapes the fragment
types are documented; the values of the other Create Bot fields are Recall's to validate
(`schema.valid-requests-accepted` is inferred)."""


@check(
    "shapes",
    "documented-shapes-accepted",
    rule="schema.invalid-requests",
    covers=("schema.key-and-config-shapes",),
)
def documented_shapes_accepted(ctx: Context) -> None:
    """Keys and bot_configs of every documented shape are accepted (keys echoed as sent)."""
    for what, key_of in KEY_SHAPES:
        event = ctx.event()
        key = key_of(ctx, event)
        answer = schedule_ok(ctx, event["id"], {"deduplication_key": key, "bot_config": {}}, what)
        if answer is not None:
            _echoed(ctx, answer, key, what)
    for what, config, rule in CONFIG_SHAPES:
        event = ctx.event()
        body = {"deduplication_key": ctx.key("config"), "bot_config": config}
        response = ctx.schedule(event["id"], body)
        if response.status_code == 200:
            continue
        if rule == VALID_ACCEPTED and 400 <= response.status_code < 500:
            ctx.fail(
                f"{what}: refused with {response.status_code}",
                expected="200: Recall documents these Create Bot fields and values",
                actual=f"{response.status_code} {response.text[:300]}",
                response=response,
                signature=f"{what}: status {response.status_code}",
                rule=VALID_ACCEPTED,
            )
        else:
            ctx.expect_status(response, 200, what)
