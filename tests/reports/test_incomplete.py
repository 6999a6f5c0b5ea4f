"""A run that gives no verdict (could not run, verified too little, interrupted) says so, with
its reason, in all four formats; and options read as text, never as Python reprs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from lxml import etree

from calbot.contracts.outcomes import Incomplete
from calbot.contracts.results import RunResult
from calbot.reports import render
from calbot.reports.filters import option_text
from calbot.reports.json_result import parse_result

XSD = Path(__file__).parent / "data" / "JUnit.xsd"
REASON = "could not run: the target refuses the API key given (GET /x answered 401: nope)"


@pytest.mark.parametrize(
    ("reason", "label", "code"),
    [
        (REASON, "Could not run", 2),
        ("interrupted (Ctrl-C), after 1 of 9 checks", "Interrupted", 130),
    ],
)
def test_every_format_says_why_there_is_no_verdict(
    passing: RunResult, reason: str, label: str, code: int
) -> None:
    stopped = dataclasses.replace(passing, incomplete=Incomplete.parse(reason))
    assert (stopped.verdict.value, stopped.exit_code) == ("error", code)
    html, markdown = render(stopped, "html"), render(stopped, "md")
    assert f'<h1 id="verdict">{label}</h1>' in html and reason[1:30] in html
    assert markdown.startswith("## calbot: ") and label in markdown.splitlines()[0]
    assert reason[1:30] in markdown
    data = json.loads(render(stopped, "json"))
    assert (data["incomplete"], data["exit_code"], data["verdict"]) == (reason, code, "error")
    assert str(parse_result(render(stopped, "json")).incomplete) == reason  # and back
    root = etree.fromstring(render(stopped, "junit").encode())
    assert etree.XMLSchema(etree.parse(str(XSD))).validate(root)
    [error] = root.xpath("//testcase[@classname='calbot' and @name='run']/error")
    assert error.get("message") == reason
    props = root.xpath("//property[@name='calbot.incomplete']")  # in every suite
    assert len(props) == len(root.findall("testsuite")) > 1
    assert {prop.get("value") for prop in props} == {reason}


def test_a_run_with_a_verdict_has_no_run_error_case(passing: RunResult) -> None:
    root = etree.fromstring(render(passing, "junit").encode())
    assert not root.xpath("//testcase[@classname='calbot' and @name='run']")
    assert json.loads(render(passing, "json"))["incomplete"] is None


def test_options_are_rendered_as_text(passing: RunResult) -> None:
    """Problem 9: the HTML options line showed raw Python lists and dicts."""
    options = {
        "contracts": ["dedup", "ended"],
        "rate_limit": {"POST /bot/": "600/60s", "GET /e/": "300/60s"},
        "strict": True,
        "state_setup": None,
    }
    html = render(dataclasses.replace(passing, options=options), "html")
    assert "contracts=dedup, ended" in html
    assert "rate_limit=POST /bot/ 600/60s, GET /e/ 300/60s" in html
    assert "state_setup=—" in html and "strict=on" in html
    options_line = html.split("<dt>Options</dt>", 1)[1].split("</dd>", 1)[0]
    assert "[" not in options_line and "{" not in options_line


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([], "—"),
        ({"a": [1, 2]}, "a 1, 2"),
        (frozenset({"b", "a"}), "a, b"),
        (False, "off"),
        (3, "3"),
    ],
)
def test_option_text(value: object, text: str) -> None:
    assert option_text(value) == text
