"""How Django REST Framework reads a schedule request's fields where Recall's docs say no more.

Recall's API is a DRF application (its error envelope and `non_field_errors` are DRF's). The
docs type `deduplication_key`, `bot_name` and `meeting_url` as strings and nothing more, so a
DRF `CharField` is the reference: it turns ints and floats into strings (bools, lists and
objects stay refused), and trims surrounding whitespace before its blank and length checks
(https://www.django-rest-framework.org/api-guide/fields/#charfield). An optional field sent as
`null` may be read as "not given".

`metadata` values are left alone: Recall documents them as "string or null", and calbot's
mutant `non-string-metadata-accepted` (which coerces them) must keep failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHAR_FIELDS = ("bot_name", "meeting_url")
"""The `bot_config` fields calbot sends that Recall types as plain strings."""

OPTIONAL_FIELDS = ("bot_name", "meeting_url", "join_at", "metadata")
"""The `bot_config` fields whose `null` this reading takes as "not given"."""


def char_field(value: object) -> object:
    """`value` as a DRF `CharField` holds it: numbers as text, strings trimmed; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = str(value)
    return value.strip() if isinstance(value, str) else value


def drf_body(body: object) -> object:
    """The schedule request body as DRF would hand it to the view (anything else unchanged)."""
    if not isinstance(body, Mapping):
        return body
    read: dict[str, Any] = dict(body)
    if "deduplication_key" in read:
        read["deduplication_key"] = char_field(read["deduplication_key"])
    config = read.get("bot_config")
    if isinstance(config, Mapping):
        fields = {
            name: value
            for name, value in config.items()
            if not (name in OPTIONAL_FIELDS and value is None)
        }
        for name in CHAR_FIELDS:
            if name in fields:
                fields[name] = char_field(fields[name])
        read["bot_config"] = fields
    return read
