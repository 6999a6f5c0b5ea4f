"""The JSON result format (calbot-result.json): versioned, described by result.schema.json.

The document is `RunResult.to_dict()` with its keys in the order the schema lists them,
pretty-printed. `read_result` is the way back, for `calbot report render` and other readers:
it checks `schema_version` first, then the schema, then rebuilds the `RunResult`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from calbot.contracts.results import SCHEMA_VERSION, RunResult
from calbot.spec.text import one_line

SCHEMA_FILE = "result.schema.json"


class ResultReadError(ValueError):
    """A file that cannot be read back as a calbot result; the message is one line."""


@cache
def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of calbot-result.json, as shipped in the package."""
    schema: dict[str, Any] = json.loads(
        files("calbot.reports").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return schema


def ordered(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with every object's keys in the schema's order (unknown keys last, sorted)."""
    schema = result_schema()
    result: dict[str, Any] = _ordered(data, schema, schema["$defs"])
    return result


def _ordered(value: Any, node: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, dict) and "properties" in node:
        known: dict[str, Any] = node["properties"]
        keys = [key for key in known if key in value]
        keys += sorted(key for key in value if key not in known)
        return {key: _ordered(value[key], known.get(key, {}), defs) for key in keys}
    if isinstance(value, list) and "items" in node:
        return [_ordered(item, node["items"], defs) for item in value]
    return value


def dumps(data: dict[str, Any]) -> str:
    """The document's text: schema key order, two-space indents, UTF-8 kept as is."""
    return json.dumps(ordered(data), indent=2, ensure_ascii=False)


def schema_errors(data: Any) -> list[str]:
    """Every way `data` breaks the schema, as `path: message` lines (empty when valid)."""
    validator = jsonschema.Draft202012Validator(result_schema())
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    return [f"{_path(error.absolute_path)}: {_short(error.message)}" for error in errors]


def _from_1_0(data: dict[str, Any]) -> dict[str, Any]:
    """1.0 had no `incomplete` field: every 1.0 result gave a verdict."""
    upgraded: dict[str, Any] = {}
    for key, value in data.items():
        upgraded[key] = value
        if key == "exit_code":
            upgraded["incomplete"] = None
    return _from_1_1(upgraded)


def _from_1_1(data: dict[str, Any]) -> dict[str, Any]:
    """1.1 had no coverage and no transient retries: a 1.1 run measured neither."""
    upgraded = {**data, "schema_version": SCHEMA_VERSION}
    upgraded.update(coverage=[], min_coverage=None, coverage_percent=None)
    checks = upgraded.get("checks")
    if isinstance(checks, list):
        upgraded["checks"] = [
            {**check, "retried": {}, "exercised": {}} if isinstance(check, dict) else check
            for check in checks
        ]
    return upgraded


# Older formats this calbot still reads, each lifted to the current one before validation.
_UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "1.0": _from_1_0,
    "1.1": _from_1_1,
}


def parse_result(text: str) -> RunResult:
    """A `RunResult` from the text of calbot-result.json; `ResultReadError` when it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultReadError(
            f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ResultReadError("not a calbot result: no schema_version field")
    version = data["schema_version"]
    if version in _UPGRADES:
        data = _UPGRADES[version](data)
    elif version != SCHEMA_VERSION:
        readable = ", ".join(repr(v) for v in (*_UPGRADES, SCHEMA_VERSION))
        raise ResultReadError(
            f"schema_version {version!r} is not supported (this calbot reads {readable})"
        )
    errors = schema_errors(data)
    if errors:
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ResultReadError(f"not a calbot result: {errors[0]}{more}")
    try:
        return RunResult.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:  # pragma: no cover - the schema catches these
        raise ResultReadError(f"not a calbot result: {exc}") from None


def read_result(path: str | Path) -> RunResult:
    """Read and check a saved calbot-result.json; `ResultReadError` says what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultReadError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ResultReadError(f"{path}: not JSON: not UTF-8 text") from None
    except OSError as exc:
        raise ResultReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return parse_result(text)
    except ResultReadError as exc:
        raise ResultReadError(f"{path}: {exc}") from None


def _path(parts: Any) -> str:
    return "/" + "/".join(str(part) for part in parts) if parts else "(top level)"


def _short(message: str) -> str:
    return one_line(message, 160)
