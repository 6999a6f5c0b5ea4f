"""The judge of "must a server refuse this body?": documented constraints, read every way."""

from __future__ import annotations

from typing import Any

import pytest

from calbot.contracts.checks.schema import INVALID_BODIES
from calbot.spec import load_spec
from calbot.spec.evidence import EXTENSION, documented_violations, drf_refusals, request_schema

K = "calbot-k"


def body(key: object = K, **config: Any) -> dict[str, Any]:
    return {"deduplication_key": key, "bot_config": config}


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        ({"bot_config": {}}, "body.deduplication_key: required"),
        ({"deduplication_key": K}, "body.bot_config: required"),
        (body(""), "body.deduplication_key: shorter than 1 character"),
        (body("k" * 2001), "body.deduplication_key: longer than 2000 characters"),
        (body("k" * 2001 + "  "), "body.deduplication_key: longer than 2000 characters"),
        (body(True), "body.deduplication_key: not a string"),
        (body(None), "body.deduplication_key: null"),
        ({"deduplication_key": K, "bot_config": []}, "body.bot_config: not an object"),
        ({"deduplication_key": K, "bot_config": None}, "body.bot_config: null"),
        (body(metadata={"o": {}}), "body.bot_config.metadata.o: not a string"),
        (body(metadata={"b": False}), "body.bot_config.metadata.b: not a string"),
        (body(metadata="x"), "body.bot_config.metadata: not an object"),
        (body(join_at="next tuesday"), "body.bot_config.join_at: not a date-time"),
        (body(join_at=5), "body.bot_config.join_at: not a date-time"),
        ([body()], "body: not an object"),
        (None, "body: null"),
    ],
)
def test_documented_constraints_broken_every_way_are_named(sent: object, problem: str) -> None:
    assert documented_violations(sent) == [problem]


@pytest.mark.parametrize(
    "sent",
    [
        body(),
        body("k" * 2000),
        body(5),  # DRF's CharField turns numbers into strings
        body(0.0),
        body("   "),  # blank only after DRF trims it: valid as sent
        body("k" * 2000 + "  "),  # over 2000 only before DRF trims it
        body(metadata={"n": 1}),
        body(metadata={"n": None}),
        body(metadata=None),  # null for an optional field may mean "not given"
        body(join_at=None),
        body(join_at="2026-12-01T17:00:00Z"),
        body(join_at="2026-1-2 3:04"),  # Django's parse_datetime takes it
        body(meeting_url="not a link"),  # calbot's own format: undocumented
        body(meeting_url=5, bot_name=0.0),
        body(meeting_url=None, bot_name=None),
        body(recording_config={"anything": [1, 2]}),
        {**body(), "unknown": 1},
    ],
)
def test_a_server_may_accept_what_some_reading_accepts(sent: object) -> None:
    assert documented_violations(sent) == []


@pytest.mark.parametrize(("what", "sent"), INVALID_BODIES, ids=[w for w, _ in INVALID_BODIES])
def test_every_fixed_invalid_body_breaks_a_documented_constraint(what: str, sent: object) -> None:
    assert documented_violations(sent), what


def _evidence(node: object) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node[EXTENSION]] if EXTENSION in node else []
        return found + [e for value in node.values() for e in _evidence(value)]
    if isinstance(node, list):
        return [e for value in node for e in _evidence(value)]
    return []


def test_every_documented_constraint_in_the_fragment_cites_recall() -> None:
    marks = _evidence(load_spec())
    assert len(marks) >= 7
    for mark in marks:
        if mark.get("documented"):
            assert mark["sources"], mark
            assert all(s.startswith("https://docs.recall.ai/") for s in mark["sources"]), mark
        if mark.get("own") or mark.get("inferred"):
            assert mark.get("why"), mark


def test_calbots_meeting_url_format_is_marked_own() -> None:
    request = request_schema()  # resolved through $ref
    config = load_spec()["components"]["schemas"]["BotConfig"]
    assert request["required"] == ["deduplication_key", "bot_config"]
    assert config["properties"]["meeting_url"][EXTENSION]["own"] == ["format"]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ({"bot_config": {"join_at": "0001-01-01T00:00:00+01:00"}}, ["body.bot_config.join_at"]),
        ({"bot_config": {"join_at": "9999-12-31T23:59:59-01:00"}}, ["body.bot_config.join_at"]),
        ({"bot_config": {"join_at": "0001-01-01T00:00:00Z"}}, []),
        ({"bot_config": {"join_at": "2030-01-01T10:00:00+01:00"}}, []),
        ({"deduplication_key": "0001-01-01T00:00:00+01:00"}, []),  # a CharField: any text
        ({"bot_config": {"join_at": "not a date"}}, []),
    ],
)
def test_drf_refuses_date_times_utc_cannot_hold(body: object, found: list[str]) -> None:
    """DRF's DateTimeField converts to UTC: 'Datetime value out of range.' for these."""
    assert [item.partition(":")[0] for item in drf_refusals(body)] == found
