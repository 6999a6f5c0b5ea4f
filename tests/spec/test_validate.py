from typing import Any

import pytest

from calbot.spec.validate import Problem, format_location, validate_document

BOT = "/api/v2/calendar-events/{id}/bot/"


def kinds(problems: list[Problem]) -> list[str]:
    return [p.kind for p in problems]


def test_shipped_fragment_is_valid(spec_document: dict[str, Any]) -> None:
    assert validate_document(spec_document) == []


def test_bad_example_is_reported_with_its_location(spec_document: dict[str, Any]) -> None:
    content = spec_document["paths"][BOT]["post"]["responses"]["400"]["content"]
    content["application/json"]["examples"]["ended"]["value"]["errors"] = ["not", "an object"]
    problems = validate_document(spec_document)
    assert kinds(problems) == ["example"]
    response = ("paths", BOT, "post", "responses", "400", "content", "application/json")
    assert problems[0].location == format_location((*response, "examples", "ended", "value"))
    assert "is not of type 'object'" in problems[0].message


def test_bad_schema_level_example(spec_document: dict[str, Any]) -> None:
    spec_document["components"]["schemas"]["ZoomMeetingUrl"]["examples"][0]["platform"] = "meet"
    problems = validate_document(spec_document)
    assert kinds(problems) == ["example"]
    assert problems[0].location == "components › schemas › ZoomMeetingUrl › examples › 0"


def test_bad_format_in_example(spec_document: dict[str, Any]) -> None:
    example = spec_document["components"]["responses"]["CalendarEvent"]["content"][
        "application/json"
    ]["example"]
    example["id"] = "not-a-uuid"
    problems = validate_document(spec_document)
    assert kinds(problems) == ["example"]
    assert "(at id)" in problems[0].message


def test_dangling_ref_is_reported_and_validation_goes_on(spec_document: dict[str, Any]) -> None:
    bot = spec_document["paths"]["/api/v1/bot/{id}/"]["get"]
    bot["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = "#/nope/Bot"
    spec_document["info"].pop("title")
    problems = validate_document(spec_document)
    assert kinds(problems) == ["ref", "openapi"]
    assert "'#/nope/Bot' points to nothing" in problems[0].message
    assert problems[1].location == "info"


def test_misspelled_type_is_reported_where_it_is_defined(spec_document: dict[str, Any]) -> None:
    spec_document["components"]["schemas"]["Detail"]["properties"]["detail"]["type"] = "strng"
    problems = validate_document(spec_document)
    openapi = [p for p in problems if p.kind == "openapi"]
    assert [p.location for p in openapi] == [
        "components › schemas › Detail › properties › detail › type"
    ]
    assert "'strng'" in openapi[0].message


def test_every_problem_is_listed_not_only_the_first(spec_document: dict[str, Any]) -> None:
    schemas = spec_document["components"]["schemas"]
    schemas["Bot"]["properties"]["id"]["type"] = "integr"
    schemas["GoToMeetingUrl"]["examples"][0]["meeting_id"] = 680504437
    spec_document["paths"][BOT]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "$ref"
    ] = "#/components/schemas/Missing"
    problems = validate_document(spec_document)
    assert sorted(set(kinds(problems))) == ["example", "openapi", "ref"]
    assert len(problems) >= 3


def test_external_refs_are_reported(spec_document: dict[str, Any]) -> None:
    spec_document["components"]["schemas"]["Detail"] = {"$ref": "https://example.com/x.json"}
    problems = validate_document(spec_document)
    assert [p.kind for p in problems][:1] == ["ref"]
    assert "external" in problems[0].message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"info": {}}, "no `openapi` field"),
        ({"openapi": "4.0.0"}, "unsupported OpenAPI version '4.0.0'"),
    ],
)
def test_not_openapi(document: dict[str, Any], message: str) -> None:
    problems = validate_document(document)
    assert len(problems) == 1
    assert message in problems[0].message


def test_openapi_30_documents_are_validated_too() -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "string", "nullable": True},
                                    "examples": {"a": {"value": None}, "b": {"value": 3}},
                                }
                            },
                        }
                    }
                }
            }
        },
    }
    problems = validate_document(document)
    assert [p.location.rsplit(" › ", 2)[-2] for p in problems] == ["b"]
