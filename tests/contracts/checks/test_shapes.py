"""The shapes contract: documented keys and configs accepted, lengths counted in characters."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from calbot.conformance import BUILTIN_BUDGET, Conformance, run_conformance
from calbot.contracts.checks.shapes import CONFIG_SHAPES, KEY_SHAPES, non_ascii_key, one_character
from calbot.contracts.domain.model import Event, Json, Outcome, Workspace, World, envelope
from calbot.contracts.domain.validation import TOO_LONG
from calbot.contracts.results import CheckResult, RunResult, Status
from calbot.server import ServerConfig, create_app
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.states import STATES_PATH

LENGTH = "shapes::key-length-in-characters"
SHAPES = "shapes::documented-shapes-accepted"
FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def run(*checks: str, workspace: type[Workspace] | None = None) -> RunResult:
    config = ServerConfig(rate_limit=BUILTIN_BUDGET)
    app = create_app(config)
    if workspace is not None:
        app.core.world = World(clock=config.clock, workspace_class=workspace)
    options = Conformance(
        app=app, state_url=STATES_PATH, rate_limit=BUILTIN_BUDGET, contracts=list(checks), seed=1
    )
    return run_conformance(options)


def only(result: RunResult) -> CheckResult:
    (check,) = result.checks
    return check


def rules(check: CheckResult) -> set[str]:
    return {finding.rule for finding in check.findings}


# --- the keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 40, MAX_KEY_LENGTH, MAX_KEY_LENGTH + 1])
def test_non_ascii_keys_have_the_length_asked_in_every_count_but_bytes(length: int) -> None:
    key = non_ascii_key("calbot-1a2b3c4d-key-length-in-characters-limit-1", length)
    assert len(key) == length
    assert len(key.encode("utf-16-le")) // 2 == length  # one UTF-16 unit each
    assert len(key.encode("utf-8")) >= 2 * length  # a byte counter sees at least twice as many
    assert all(ord(char) > 127 for char in key)
    assert all(unicodedata.normalize(form, key) == key for form in FORMS)
    assert key == key.strip() and not any(char.isspace() for char in key)


def test_non_ascii_keys_keep_calbots_unique_text_spelled_out() -> None:
    first = non_ascii_key("calbot-aa-limit-1", MAX_KEY_LENGTH)
    second = non_ascii_key("calbot-aa-limit-2", MAX_KEY_LENGTH)
    assert first != second
    with pytest.raises(ValueError, match="outside"):
        non_ascii_key("calbot key", 10)


def test_the_one_character_key_is_one_ideograph_chosen_by_the_run() -> None:
    key = one_character("1a2b3c4d")
    assert len(key) == 1 and unicodedata.name(key).startswith("CJK UNIFIED IDEOGRAPH")
    assert key == one_character("1a2b3c4d")
    assert len({one_character(f"{n:08x}") for n in range(100)}) > 90


def test_every_shape_is_valid_and_has_no_surrounding_whitespace() -> None:
    class Ctx:
        class options:  # stands in for RunOptions
            nonce = "1a2b3c4d"

        def key(self, label: str) -> str:
            return f"calbot-1a2b3c4d-documented-shapes-accepted-{label}-1"

    event = {
        "id": "0b8c7f5e-1111-4a2b-9c3d-1234567890ab",
        "start_time": "2026-12-01T17:00:00Z",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
    }
    keys = [key_of(Ctx(), event) for _what, key_of in KEY_SHAPES]  # type: ignore[arg-type]
    assert all(1 <= len(key) <= MAX_KEY_LENGTH and key == key.strip() for key in keys)
    assert "2026-12-01T17:00:00Z-https://meet.google.com/abc-defg-hij" in keys
    assert f"2026-12-01T17:00:00Z-https://meet.google.com/abc-defg-hij-{event['id']}" in keys
    assert len(set(keys)) == len(keys)
    assert {rule for _what, _config, rule in CONFIG_SHAPES} == {
        "schema.invalid-requests",
        "schema.valid-requests-accepted",
    }


# --- against servers ------------------------------------------------------------------------


def test_the_reference_server_passes_both() -> None:
    result = run(LENGTH, SHAPES)
    assert [c.status for c in result.checks] == [Status.PASSED] * 2, result.findings()
    exercised = {name: n for check in result.checks for name, n in check.exercised.items()}
    assert exercised == {
        "schema.key-non-ascii-at-limit": 2,
        "schema.key-and-config-shapes": len(KEY_SHAPES) + len(CONFIG_SHAPES),
    }


def _key(body: object) -> object:
    return body.get("deduplication_key") if isinstance(body, dict) else None


class CountsBytes(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        key = _key(body)
        if isinstance(key, str) and len(key.encode()) > MAX_KEY_LENGTH:
            return Outcome(400, envelope({"deduplication_key": [TOO_LONG]}))
        return super().schedule(event_id, body)


class CountsUtf16Units(Workspace):
    """A JavaScript server: `key.length` counts UTF-16 code units."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        key = _key(body)
        if isinstance(key, str) and len(key.encode("utf-16-le")) // 2 > MAX_KEY_LENGTH:
            return Outcome(400, envelope({"deduplication_key": [TOO_LONG]}))
        return super().schedule(event_id, body)


def test_lengths_counted_in_bytes_fail_naming_the_rule() -> None:
    check = only(run(LENGTH, workspace=CountsBytes))
    assert check.status is Status.FAILED
    assert rules(check) == {"schema.invalid-requests"}
    assert "non-ASCII characters" in check.findings[0].message


def test_lengths_counted_in_utf16_units_agree_on_these_keys() -> None:
    assert only(run(LENGTH, workspace=CountsUtf16Units)).status is Status.PASSED


class CutsKeys(Workspace):
    """Stores (and echoes) the key cut to 1000 characters."""

    def _schedule(self, event: Event, key: str, config: Json, url: str, join_at: Any) -> None:
        super()._schedule(event, key[:1000], config, url, join_at)


def test_a_key_not_echoed_as_sent_is_a_finding() -> None:
    check = only(run(LENGTH, workspace=CutsKeys))
    assert check.status is Status.FAILED
    assert rules(check) == {"dedup.shared-bot"}


class NestedRefused(Workspace):
    """Refuses the nested Create Bot fields it does not know."""

    def schedule(self, event_id: str, body: object) -> Outcome:
        config = body.get("bot_config") if isinstance(body, dict) else None
        if isinstance(config, dict) and "automatic_leave" in config:
            return Outcome(400, envelope({"bot_config": {"automatic_leave": ["Unsupported."]}}))
        return super().schedule(event_id, body)


def test_refusing_documented_create_bot_values_only_warns() -> None:
    result = run(SHAPES, workspace=NestedRefused)
    check = only(result)
    assert check.status is Status.WARNING
    assert rules(check) == {"schema.valid-requests-accepted"}
    assert result.exit_code == 0


class WhitespaceRefused(Workspace):
    def schedule(self, event_id: str, body: object) -> Outcome:
        key = _key(body)
        if isinstance(key, str) and any(char.isspace() for char in key):
            return Outcome(400, envelope({"deduplication_key": ["No whitespace."]}))
        return super().schedule(event_id, body)


def test_a_documented_key_shape_refused_fails_naming_the_rule() -> None:
    check = only(run(SHAPES, workspace=WhitespaceRefused))
    assert check.status is Status.FAILED
    assert rules(check) == {"schema.invalid-requests"}
    failed = {finding.signature for finding in check.findings}
    assert failed == {"a key with inner whitespace: status 400", "a non-ASCII key: status 400"}
