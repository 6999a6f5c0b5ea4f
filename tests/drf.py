"""How Django REST Framework reads a schedule request's fields where Recall's docs say no more:
the one model of it, for the correct family (`tests/correct/`) and the mutants' lenient server
(`tests/mutants/catalogue.py`).

Recall's API is a DRF application (its error envelope and `non_field_errors` are DRF's). The
docs type `deduplication_key`, `bot_name` and `meeting_url` as strings and nothing more, so a
DRF `CharField` is the reference (https://www.django-rest-framework.org/api-guide/fields/):
its `to_internal_value` turns ints and floats into strings, refuses bools, lists and objects,
and trims surrounding whitespace (`trim_whitespace`, on by default) before its blank and length
checks. An optional field sent as `null` may be read as "not given".

`metadata` ("values must be strings or null") is read as DRF reads a
`DictField(child=CharField(allow_null=True))`: `DictField.run_child_validation` runs the child
on every value, so numbers become strings and strings are trimmed, `null` stays `null`, and
bools, lists and objects are refused (DRF's own test: `DictField(child=CharField())` takes
`{"a": 1}` as `{"a": "1"}`). The fragment marks those values `read-as: drf` too. A server
that also turns bools or objects into strings (the mutant `non-string-metadata-accepted`)
accepts what DRF refuses, and fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHAR_FIELDS = ("bot_name", "meeting_url")
"""The `bot_config` fields calbot sends that Recall types as plain strings."""

OPTIONAL_FIELDS = ("bot_name", "meeting_url", "join_at", "metadata")
"""The `bot_config` fields whose `null` this reading takes as "not given"."""


def char_field(value: object) -> object:
    """`value` as a DRF `CharField` holds it: numbers as text, strings trimmed; anything else
    unchanged (DRF refuses it: the model refuses it too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = str(value)
    return value.strip() if isinstance(value, str) else value


def metadata_field(value: object) -> object:
    """`bot_config.metadata` as a DRF `DictField(child=CharField(allow_null=True))` holds it:
    each value as `char_field` reads it (null kept); anything but an object unchanged."""
    if not isinstance(value, Mapping):
        return value
    return {str(key): None if item is None else char_field(item) for key, item in value.items()}


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
        if "metadata" in fields:
            fields["metadata"] = metadata_field(fields["metadata"])
        read["bot_config"] = fields
    return read
