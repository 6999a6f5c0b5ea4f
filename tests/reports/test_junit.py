"""JUnit XML: valid against the Ant/Jenkins schema CI servers read; one testcase per check."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from calbot.contracts.results import RunResult, Status
from calbot.reports import render

XSD = Path(__file__).parent / "data" / "JUnit.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse(result: RunResult, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(render(result, "junit").encode("utf-8"))
    assert schema.validate(root), schema.error_log
    return root


def case(root: etree._Element, classname: str, name: str) -> etree._Element:
    [found] = root.xpath(f"//testcase[@classname='{classname}' and @name='{name}']")
    return found


def test_valid_and_one_testcase_per_check(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    assert root.tag == "testsuites"
    assert len(root.findall(".//testcase")) == len(result.checks)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "dedup",
        "robustness",
        "ended",
        "rate-limit",
        "override",
        "errors",
        "schema",
        "delete",
    ]
    assert [s.get("id") for s in suites] == [str(n) for n in range(len(suites))]
    assert {s.get("package") for s in suites} == {"calbot"}
    assert {s.get("hostname") for s in suites} == {"localhost"}


def test_counts_time_and_timestamp(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    errors = root.find("testsuite[@name='errors']")
    assert errors is not None
    assert (errors.get("tests"), errors.get("failures"), errors.get("errors")) == ("2", "0", "1")
    assert errors.get("skipped") == "0"
    assert errors.get("time") == "0.500"
    assert errors.get("timestamp") == "2026-11-24T17:00:05"
    totals = {
        k: sum(int(s.get(k)) for s in root.findall("testsuite"))
        for k in ("tests", "failures", "errors", "skipped")
    }
    assert totals == {"tests": 9, "failures": 3, "errors": 1, "skipped": 1}


def test_timestamps_are_utc_without_offset(result: RunResult, schema: etree.XMLSchema) -> None:
    berlin = timezone(timedelta(hours=1))
    for check in result.checks:
        check.started_at = datetime(2026, 11, 24, 18, 0, 0, 123456, tzinfo=berlin)
    root = parse(result, schema)
    assert {s.get("timestamp") for s in root.findall("testsuite")} == {"2026-11-24T17:00:00"}


def test_failure_says_what_broke(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    failure = case(root, "robustness", "no-5xx").find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "server answered 500 to a request with non-string metadata values (8 findings, 1 distinct)"
    )
    assert failure.get("type") == "robustness.no-5xx"
    body = failure.text or ""
    assert "(×8)" in body
    assert "expected:  400 with the error envelope" in body
    assert "< HTTP 500" in body
    assert "curl -X POST 'https://recall.example.test/" in body
    assert "Authorization: Token ****" in body


def test_error_and_skipped(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    error = case(root, "errors", "auth").find("error")
    assert error is not None
    assert error.get("message") == "the target stopped answering (connection refused)"
    skipped = case(root, "override", "replace").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no state setup: the target has no provider-state URL"
    assert len(case(root, "errors", "not-found")) == 0  # passed: no child


def test_warnings_pass_with_a_note(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    assert len(case(root, "rate-limit", "budget")) == 0
    suite = root.find("testsuite[@name='rate-limit']")
    assert suite is not None
    assert suite.get("failures") == "0"
    out = suite.findtext("system-out") or ""
    assert "[warning] rate-limit::budget" in out
    assert "throttled after 480 of 600 requests" in out
    [prop] = suite.xpath("properties/property[@name='calbot.warning']")
    assert prop.get("value") == "rate-limit::budget: throttled after 480 of 600 requests"


def test_strict_warnings_fail(result: RunResult, schema: etree.XMLSchema) -> None:
    result.strict = True
    root = parse(result, schema)
    failure = case(root, "rate-limit", "budget").find("failure")
    assert failure is not None
    assert failure.get("type") == "warning:rate-limit.budget"
    [suite] = root.xpath("testsuite[@name='rate-limit']")
    assert suite.get("failures") == "1"


def test_run_metadata_as_properties(result: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(result, schema)
    first = root.findall("testsuite")[0]
    props = {p.get("name"): p.get("value") for p in first.iter("property")}
    assert props["calbot.target"] == "https://recall.example.test/"
    assert props["calbot.verdict"] == "non-conformant"
    assert props["calbot.seed"] == "1234"


def test_zero_findings_and_no_checks(
    passing: RunResult, empty: RunResult, schema: etree.XMLSchema
) -> None:
    root = parse(passing, schema)
    assert not root.xpath("//failure | //error | //skipped")
    root = parse(empty, schema)
    [suite] = root.findall("testsuite")
    assert suite.get("tests") == "0"


def test_hundreds_of_findings(huge: RunResult, schema: etree.XMLSchema) -> None:
    root = parse(huge, schema)
    failure = case(root, "fuzz-0", "case-0").find("failure")
    assert failure is not None
    assert failure.get("message") == "server answered 500 for input #0 (300 findings, 100 distinct)"
    assert "... and 50 more distinct findings" in (failure.text or "")


def test_hostile_text_stays_valid(result: RunResult, schema: etree.XMLSchema) -> None:
    result.checks[0].name = 'quote" <tag> & amp'
    result.checks[0].findings[0].message = "nul\x00 bell\x07 ]]> </failure>"
    result.checks[0].findings[0].actual = "\ud800 lone surrogate"
    root = parse(result, schema)
    failure = case(root, "dedup", 'quote" <tag> & amp').find("failure")
    assert failure is not None
    assert failure.get("message") == "nul\\u0000 bell\\u0007 ]]> </failure>"


def test_status_mapping_covers_every_status(result: RunResult) -> None:
    assert {check.status for check in result.checks} == set(Status)
