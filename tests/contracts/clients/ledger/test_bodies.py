"""What a record keeps of a body or an answer (`ledger.bodies`): excerpts, key paths, a schedule
body's facts, an answer's one-line message."""

from __future__ import annotations

from calbot.contracts.clients.ledger.bodies import (
    MAX_PATH,
    MAX_STRING,
    answer_message,
    config_paths,
    excerpt,
    schedule_body_facts,
    short_path,
    unreadable_body_facts,
)

KEY = "sk_live_secret_123"


def test_excerpt_cuts_long_strings_big_containers_and_deep_nesting() -> None:
    value = {
        "long": "x" * 1000,
        "many": list(range(100)),
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}},
        "key": f"Token {KEY}",
    }
    cut, truncated = excerpt(value, [KEY])
    assert truncated
    assert cut["long"] == "x" * MAX_STRING + "… [700 more characters]"
    assert cut["many"] == list(range(50))
    assert cut["deep"]["a"]["b"]["c"]["d"]["e"]["f"] == {"g": "…"}
    assert cut["key"] == "Token ****"
    assert excerpt({"a": [1, None, True]}) == ({"a": [1, None, True]}, False)


def test_config_paths() -> None:
    config = {
        "bot_name": "x",
        "metadata": {"team": "a"},
        "recording_config": {"t": {"p": {"q": {}}}},
    }
    assert config_paths(config) == (
        "bot_name",
        "metadata",
        "metadata.team",
        "recording_config",
        "recording_config.t",
        "recording_config.t.p",
        "recording_config.t.p.q",
    )


def test_a_schedule_body_is_validated_and_its_key_kept_unless_it_is_a_secret() -> None:
    body = {"deduplication_key": "standup", "bot_config": {"metadata": {"team": "a"}}}
    facts = schedule_body_facts(body)
    assert (facts.validation, facts.errors, facts.key) == ("valid", None, "standup")
    assert facts.config_keys == ("metadata", "metadata.team") and not facts.body_truncated
    secret = schedule_body_facts({**body, "deduplication_key": KEY}, secrets=[KEY])
    assert secret.key == "****" and KEY not in str(secret.body)
    invalid = schedule_body_facts({"deduplication_key": ""})
    assert invalid.validation == "invalid" and invalid.errors is not None
    assert invalid.config_keys is None


def test_an_unreadable_body_is_invalid_and_keeps_only_why() -> None:
    facts = unreadable_body_facts({"non_field_errors": ["JSON parse error"]})
    assert facts.validation == "invalid" and facts.body is None and facts.key is None
    assert facts.errors == {"non_field_errors": ["JSON parse error"]}


def test_an_answer_says_one_line() -> None:
    assert answer_message({"detail": "Not found."}) == "Not found."
    errors = {"errors": {"deduplication_key": ["This field is required."]}}
    assert answer_message(errors) == "deduplication_key: This field is required."
    assert answer_message({"errors": {"non_field_errors": ["ended"]}}) == "ended"
    assert answer_message({"message": "m" * 400}) == "m" * (MAX_STRING - 1) + "…"
    assert answer_message({"id": "x"}) is None


def test_a_path_is_cut() -> None:
    assert short_path("/a") == "/a"
    assert len(short_path("/" + "a" * 1000)) == MAX_PATH
