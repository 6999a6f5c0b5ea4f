"""Renders a finished conformance result: HTML, Markdown, JUnit XML and JSON.

    from calbot.reports import render, write_reports
    write_reports(result, ["html", "md", "junit", "json"], "calbot-report", secrets=[api_key])

`read_result` reads a saved calbot-result.json back (checked against `result_schema()`).
The names below are imported on first use (PEP 562): the CLI reads the format names
(`calbot.reports.formats`) without loading the writers (Jinja2, jsonschema).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "FILENAMES": "calbot.reports.formats",
    "FORMATS": "calbot.reports.formats",
    "MASK": "calbot.reports.masking",
    "mask_text": "calbot.reports.masking",
    "ResultReadError": "calbot.reports.json_result",
    "read_result": "calbot.reports.json_result",
    "result_schema": "calbot.reports.json_result",
    "render": "calbot.reports.writers",
    "write_reports": "calbot.reports.writers",
}

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

if TYPE_CHECKING:
    from calbot.reports.formats import FILENAMES, FORMATS
    from calbot.reports.json_result import ResultReadError, read_result, result_schema
    from calbot.reports.masking import MASK, mask_text
    from calbot.reports.writers import render, write_reports


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'calbot.reports' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
