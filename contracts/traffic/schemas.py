"""The fragment's response schemas as jsonschema validators, one per (operation, status)."""

from __future__ import annotations

import copy
import functools
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from calbot.contracts.domain.operations import GET_BOT_OPERATION, operation_name
from calbot.spec import load_spec

_URI = "urn:calbot:spec"
# checked by its own rule (meeting_url.bot-object), with the latitude the docs leave
_JUDGED_ELSEWHERE = {operation_name(GET_BOT_OPERATION): ("meeting_url",)}


@functools.cache
def _document() -> dict[str, Any]:
    return load_spec()


def _registry() -> Registry[Any]:
    resource = Resource.from_contents(_document(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return registry


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` inside the fragment, followed (responses refer to components)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = _document()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


@functools.cache
def documented_statuses(operation: str) -> frozenset[int]:
    """The statuses the fragment documents for `operation` ("POST /api/v2/…")."""
    method, _, path = operation.partition(" ")
    responses = _document()["paths"][path][method.lower()]["responses"]
    return frozenset(int(status) for status in responses if str(status).isdigit())


@functools.cache
def validator(operation: str, status: int) -> Draft202012Validator | None:
    """The validator of the JSON body `operation` documents for `status`, if any."""
    if status not in documented_statuses(operation):
        return None
    method, _, path = operation.partition(" ")
    response = _resolve(_document()["paths"][path][method.lower()]["responses"][str(status)])
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    if not isinstance(schema, dict):
        return None
    skipped = _JUDGED_ELSEWHERE.get(operation, ())
    if skipped:
        schema = copy.deepcopy(_resolve(schema))
        for name in skipped:
            schema.get("properties", {}).pop(name, None)
            schema["required"] = [n for n in schema.get("required", ()) if n != name]
    return Draft202012Validator(
        _absolute(schema), registry=_registry(), format_checker=FormatChecker()
    )


def _absolute(node: Any) -> Any:
    """A copy of a schema whose `#/...` references point into the fragment."""
    if isinstance(node, dict):
        return {
            key: f"{_URI}{value}"
            if key == "$ref" and str(value).startswith("#")
            else _absolute(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute(item) for item in node]
    return node


def problems(operation: str, status: int, body: object) -> list[str]:
    """What in `body` does not match the fragment (empty when it matches or is not typed)."""
    checker = validator(operation, status)
    if checker is None:
        return []
    found = sorted(checker.iter_errors(body), key=lambda error: list(error.absolute_path))
    return [_describe(error) for error in found]


def _describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
    return f"{where}: {error.message[:300]}"
