"""The JSON result: a documented, versioned format that validates and reads back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from calbot.contracts.results import (
    SCHEMA_VERSION,
    CheckResult,
    Coverage,
    Exchange,
    Finding,
    RunResult,
)
from calbot.reports import ResultReadError, read_result, render, result_schema, write_reports
from calbot.reports.json_result import parse_result, schema_errors
from calbot.reports.masking import mask_result


def validate(data: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(result_schema())
    jsonschema.Draft202012Validator(
        result_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every subschema that describes a field."""
    if isinstance(node, dict):
        for key in ("properties", "$defs"):
            for sub in node.get(key, {}).values():
                yield sub
                yield from schemas(sub)


def test_schema_is_documented() -> None:
    schema = result_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION == "1.2"
    for sub in schemas(schema):
        assert sub.get("description"), sub


def test_schema_lists_exactly_the_model_fields() -> None:
    defs = result_schema()["$defs"]
    computed = {"check": {"id"}, "coverage": {"exercised"}}
    said_by_the_reason = {"check": {"skip_kind"}}  # "needs events: ...", read back from it
    models = ((CheckResult, "check"), (Finding, "finding"), (Exchange, "exchange"))
    for model, name in (*models, (Coverage, "coverage")):
        fields = {f.name for f in dataclasses.fields(model)} | computed.get(name, set())
        fields -= said_by_the_reason.get(name, set())
        assert set(defs[name]["properties"]) == fields
        assert set(defs[name]["required"]) == fields
    top = {f.name for f in dataclasses.fields(RunResult)}
    top |= {"schema_version", "verdict", "exit_code", "counts", "coverage_percent"}
    assert set(result_schema()["properties"]) == top


@pytest.mark.parametrize("name", ["result", "passing", "empty", "secret_result"])
def test_written_json_validates_and_round_trips(name: str, request: pytest.FixtureRequest) -> None:
    run: RunResult = request.getfixturevalue(name)
    text = render(run, "json")
    data = json.loads(text)
    validate(data)
    back = RunResult.from_dict(data)
    assert back == mask_result(run)  # exactly what was rendered, Authorization masked
    assert json.loads(render(back, "json")) == data


def test_pretty_printed_in_a_stable_order(result: RunResult) -> None:
    text = render(result, "json")
    assert text.startswith('{\n  "schema_version": "1.2",\n  "verdict": "non-conformant",\n')
    data = json.loads(text)
    assert list(data)[:5] == ["schema_version", "verdict", "exit_code", "incomplete", "counts"]
    assert list(data["checks"][0])[:3] == ["id", "contract", "name"]
    assert list(data["checks"][0]["findings"][0])[:3] == ["rule", "message", "count"]
    assert render(result, "json") == text
    assert "…" in text  # UTF-8 kept as is, not \u escapes


def test_hostile_text_round_trips(result: RunResult) -> None:
    result.checks[0].findings[0].actual = '</script> \x00 "quoted" ✓'
    data = json.loads(render(result, "json"))
    validate(data)
    assert data["checks"][0]["findings"][0]["actual"] == '</script> \x00 "quoted" ✓'


def test_hundreds_of_findings_validate(result: RunResult, tmp_path: Path) -> None:
    template = result.checks[1].findings[0]
    result.checks[1].findings = [
        dataclasses.replace(template, message=f"500 for input #{n}", signature=str(n))
        for n in range(500)
    ]
    written = write_reports(result, ["json"], tmp_path)
    back = read_result(written["json"])
    assert [f.message for f in back.checks[1].findings] == [
        f"500 for input #{n}" for n in range(500)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[1, 2]", "not a calbot result: no schema_version field"),
        ('{"a": 1}', "not a calbot result: no schema_version field"),
        (
            '{"schema_version": "2.0"}',
            "schema_version '2.0' is not supported (this calbot reads '1.0', '1.1', '1.2')",
        ),
        ('{"schema_version": "1.2"}', "not a calbot result: (top level): 'verdict' is a required"),
    ],
)
def test_bad_input_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ResultReadError) as caught:
        parse_result(text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_1_0_result_is_still_read(result: RunResult) -> None:
    """Format 1.0 (before `incomplete`) reads back as a run that gave a verdict."""
    data = json.loads(render(result, "json"))
    assert data.pop("incomplete") is None
    data["schema_version"] = "1.0"
    back = parse_result(json.dumps(data))
    assert back.incomplete is None
    assert back.verdict == result.verdict
    assert [check.id for check in back.checks] == [check.id for check in result.checks]


def test_wrong_types_are_located(result: RunResult) -> None:
    data = json.loads(render(result, "json"))
    data["checks"][1]["findings"][0]["count"] = 0
    data["checks"][2]["status"] = "exploded"
    assert schema_errors(data) == [
        "/checks/1/findings/0/count: 0 is less than the minimum of 1",
        "/checks/2/status: 'exploded' is not one of ['passed', 'failed', 'warning', 'skipped', "
        "'error']",
    ]
    with pytest.raises(
        ResultReadError, match=r"/checks/1/findings/0/count.*\(and 1 more problems\)"
    ):
        parse_result(json.dumps(data))


def test_read_result_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ResultReadError, match=r"missing\.json: no such file"):
        read_result(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ResultReadError, match=r"binary\.json: not JSON"):
        read_result(binary)


def test_unknown_fields_are_not_calbot_results(result: RunResult) -> None:
    data = json.loads(render(result, "json"))
    data["checks"][0]["findings"][0]["exchanges"][0]["extra"] = 1
    assert schema_errors(data) == [
        "/checks/0/findings/0/exchanges/0: Additional properties are not allowed ('extra' was "
        "unexpected)"
    ]
