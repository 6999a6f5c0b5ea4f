import re
from pathlib import Path

import pytest

from calbot.spec import SpecReadError, load_spec, read_document, spec_path
from calbot.spec.loader import load_schemathesis_schema, parse_document

BOT_PATH = "/api/v2/calendar-events/{id}/bot/"


def test_shipped_fragment_is_in_the_installed_package() -> None:
    assert spec_path().name == "openapi.yaml"
    assert spec_path().is_file()


def test_load_spec_returns_independent_copies() -> None:
    first = load_spec()
    first["paths"].clear()
    assert BOT_PATH in load_spec()["paths"]


def test_fragment_has_the_four_operations_and_regions() -> None:
    doc = load_spec()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"][BOT_PATH]) >= {"post", "delete"}
    assert "get" in doc["paths"]["/api/v2/calendar-events/{id}/"]
    assert "get" in doc["paths"]["/api/v1/bot/{id}/"]
    hosts = {server["url"] for server in doc["servers"]}
    assert hosts == {
        "https://us-east-1.recall.ai",
        "https://us-west-2.recall.ai",
        "https://eu-central-1.recall.ai",
        "https://ap-northeast-1.recall.ai",
    }


def test_meeting_url_shapes_are_corrected() -> None:
    schemas = load_spec()["components"]["schemas"]
    assert schemas["CalendarEvent"]["properties"]["meeting_url"]["type"] == ["string", "null"]
    assert schemas["CalendarEventBot"]["properties"]["meeting_url"]["type"] == "string"
    assert schemas["BotConfig"]["properties"]["meeting_url"]["type"] == "string"
    bot_url = schemas["Bot"]["properties"]["meeting_url"]["oneOf"]
    assert {"$ref": "#/components/schemas/MeetingUrl"} in bot_url
    mapping = schemas["MeetingUrl"]["discriminator"]["mapping"]
    assert set(mapping) == {
        "zoom",
        "google_meet",
        "microsoft_teams",
        "microsoft_teams_live",
        "webex",
        "goto_meeting",
    }
    assert "f51a4ff" in load_spec()["info"]["description"]


def test_ended_event_example_is_the_seed_body_verbatim() -> None:
    op = load_spec()["paths"][BOT_PATH]["post"]
    ended = op["responses"]["400"]["content"]["application/json"]["examples"]["ended"]["value"]
    assert ended == {
        "code": "invalid_request_data",
        "message": "Unable to process request because invalid data was submitted. "
        "Check `errors` field for more details.",
        "errors": {"non_field_errors": ["Cannot schedule bot as calendar event has ended."]},
    }


def test_request_body_constraints() -> None:
    body = load_spec()["components"]["schemas"]["CalendarEventAddBot"]
    assert set(body["required"]) == {"deduplication_key", "bot_config"}
    key = body["properties"]["deduplication_key"]
    assert (key["minLength"], key["maxLength"]) == (1, 2000)
    metadata = load_spec()["components"]["schemas"]["BotConfig"]["properties"]["metadata"]
    assert metadata["additionalProperties"]["type"] == ["string", "null"]


def test_read_document_accepts_json(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"openapi": "3.1.0"}')
    assert read_document(path) == {"openapi": "3.1.0"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("openapi: [unclosed", "not valid YAML (line 1"),
        ('{"openapi": ', "not valid JSON (line 1"),
        ("- a\n- b\n", "top level is a list"),
        ("", "top level is empty"),
        ("just a string", "top level is a str"),
    ],
)
def test_read_document_rejects_non_documents(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(content)
    with pytest.raises(SpecReadError, match=re.escape(reason)):
        read_document(path)


def test_read_document_missing_file_and_binary(tmp_path: Path) -> None:
    with pytest.raises(SpecReadError, match="no such file"):
        read_document(tmp_path / "missing.yaml")
    with pytest.raises(SpecReadError, match="is a directory"):
        read_document(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecReadError, match="not UTF-8"):
        read_document(binary)


def test_parse_document_names_its_source() -> None:
    with pytest.raises(SpecReadError, match=r"^upload: "):
        parse_document("[", source="upload")


def test_loads_as_a_schemathesis_schema_with_all_operations() -> None:
    schema = load_schemathesis_schema()
    labels = sorted(result.ok().label for result in schema.get_all_operations())
    assert labels == [
        "DELETE /api/v2/calendar-events/{id}/bot/",
        "GET /api/v1/bot/{id}/",
        "GET /api/v2/calendar-events/{id}/",
        "POST /api/v2/calendar-events/{id}/bot/",
    ]
