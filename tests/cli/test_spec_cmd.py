import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from calbot.cli import cli

BOT = "/api/v2/calendar-events/{id}/bot/"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(tmp_path: Path, document: dict[str, Any], name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return str(path)


def test_shipped_fragment_validates() -> None:
    result = run("spec", "validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_broken_copy_lists_all_problems(tmp_path: Path, spec_document: dict[str, Any]) -> None:
    spec_document["components"]["schemas"]["Detail"]["properties"]["detail"]["type"] = "strng"
    spec_document["paths"]["/api/v1/bot/{id}/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"] = "#/components/schemas/Gone"
    spec_document["components"]["schemas"]["GoogleMeetMeetingUrl"]["examples"][0].pop("meeting_id")
    result = run("spec", "validate", write(tmp_path, spec_document))
    assert result.exit_code == 1
    assert "[ref]" in result.output
    assert "[openapi] components › schemas › Detail › properties › detail › type" in result.output
    assert "[example] components › schemas › GoogleMeetMeetingUrl › examples › 0" in result.output
    assert "'meeting_id' is a required property" in result.output


def test_json_documents_work(tmp_path: Path, spec_document: dict[str, Any]) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec_document))
    assert run("spec", "validate", str(path)).exit_code == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("openapi: [", "not valid YAML"),
        ("[1, 2]", "top level is a list"),
    ],
)
def test_unreadable_exits_2_with_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = CliRunner().invoke(cli, ["spec", "validate", str(path)])
    assert result.exit_code == 2
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["spec", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.output
