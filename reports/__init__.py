"""Renders a finished conformance result: HTML, Markdown, JUnit XML and JSON.

    from calbot.reports import render, write_reports
    write_reports(result, ["html", "md", "junit", "json"], "calbot-report", secrets=[api_key])

`read_result` reads a saved calbot-result.json back (checked against `result_schema()`).
"""

from calbot.reports.json_result import ResultReadError, read_result, result_schema
from calbot.reports.masking import MASK, mask_text
from calbot.reports.render import FILENAMES, FORMATS, render, write_reports

__all__ = [
    "FILENAMES",
    "FORMATS",
    "MASK",
    "ResultReadError",
    "mask_text",
    "read_result",
    "render",
    "result_schema",
    "write_reports",
]
