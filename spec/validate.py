"""Validate an OpenAPI document: structure (openapi-spec-validator), references, and examples.

Every problem is listed with its location, not only the first one. openapi-spec-validator
stops at a dangling `$ref` and does not check examples, so both are checked here first.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Parts = tuple[str | int, ...]

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
)
_DOC_URI = "urn:calbot:openapi"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: where, what, and which pass found it."""

    location: str
    message: str
    kind: str  # "openapi", "ref" or "example"

    def __str__(self) -> str:
        return f"{self.location or '(document)'}: {self.message}"


def format_location(parts: Sequence[str | int]) -> str:
    """A readable location: `paths › /api/v1/bot/{id}/ › get › responses › 200`."""
    return " › ".join(str(part) for part in parts)


def validate_document(document: Mapping[str, Any]) -> list[Problem]:
    """Every problem in the document: dangling references, OpenAPI structure, bad examples."""
    problems = list(_dangling_refs(document))
    patched = _without_refs(document, {p.location for p in problems})
    problems += _structure_problems(patched)
    problems += _example_problems(patched)
    return problems


# --- references ------------------------------------------------------------------------------


def _walk_refs(node: Any, parts: Parts) -> Iterator[tuple[Parts, str]]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield parts, ref
        for key, value in node.items():
            if key != "$ref":
                yield from _walk_refs(value, (*parts, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_refs(value, (*parts, index))


def _resolve_pointer(document: Any, pointer: str) -> tuple[bool, Any]:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False, None
    return True, node


def _dangling_refs(document: Mapping[str, Any]) -> Iterator[Problem]:
    for parts, ref in _walk_refs(document, ()):
        where = format_location(parts)
        if not ref.startswith("#"):
            yield Problem(where, f"external $ref {ref!r} is not supported (offline)", "ref")
        elif not _resolve_pointer(document, ref[1:])[0]:
            yield Problem(where, f"$ref {ref!r} points to nothing in this document", "ref")


def _without_refs(document: Mapping[str, Any], locations: set[str]) -> dict[str, Any]:
    """A copy whose broken `$ref`s are replaced by `{}`, so the other passes can go on."""
    patched = copy.deepcopy(dict(document))
    if not locations:
        return patched
    for parts, _ref in list(_walk_refs(patched, ())):
        if format_location(parts) in locations:
            parent = _resolve_pointer(patched, "/".join(_escape(p) for p in parts[:-1]))[1]
            if parts:
                parent[parts[-1]] = {}
            else:
                patched.pop("$ref", None)
    return patched


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


# --- structure (openapi-spec-validator) -------------------------------------------------------


def _structure_problems(document: Mapping[str, Any]) -> list[Problem]:
    from calbot.spec._osv import spec_validator_for

    validator = spec_validator_for(document)
    if isinstance(validator, str):
        return [Problem("openapi", validator, "openapi")]
    problems: list[Problem] = []
    try:
        for error in validator.iter_errors():
            located = getattr(error, "calbot_location", None)
            parts = (*located, *error.absolute_path) if located else tuple(error.absolute_path)
            message = str(error.message).split("\n", 1)[0]
            problems.append(Problem(format_location(parts), message, "openapi"))
    except Exception as exc:  # openapi-spec-validator gave up; say so instead of crashing
        problems.append(Problem("", f"validation stopped: {type(exc).__name__}: {exc}", "openapi"))
    return problems


# --- examples --------------------------------------------------------------------------------


def _schema_roots(node: Any, parts: Parts) -> Iterator[tuple[Parts, Mapping[str, Any]]]:
    """Every Schema Object reachable from a document node, not descending into example data."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("example", "examples", "default", "const", "enum"):
                continue
            child = (*parts, str(key))
            if key == "schema" and isinstance(value, Mapping):
                yield from _subschemas(value, child)
            elif parts == ("components",) and key == "schemas" and isinstance(value, Mapping):
                for name, schema in value.items():
                    if isinstance(schema, Mapping):
                        yield from _subschemas(schema, (*child, str(name)))
            else:
                yield from _schema_roots(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_roots(value, (*parts, index))


def _subschemas(schema: Mapping[str, Any], parts: Parts) -> Iterator[tuple[Parts, Any]]:
    yield parts, schema
    for key in _SUBSCHEMA_MAPS:
        value = schema.get(key)
        if isinstance(value, Mapping):
            for name, sub in value.items():
                if isinstance(sub, Mapping):
                    yield from _subschemas(sub, (*parts, key, str(name)))
    for key in _SUBSCHEMA_LISTS:
        value = schema.get(key)
        if isinstance(value, list):
            for index, sub in enumerate(value):
                if isinstance(sub, Mapping):
                    yield from _subschemas(sub, (*parts, key, index))
    for key in _SUBSCHEMA_SINGLE:
        value = schema.get(key)
        if isinstance(value, Mapping):
            yield from _subschemas(value, (*parts, key))


def _holders(node: Any, parts: Parts) -> Iterator[tuple[Parts, Mapping[str, Any]]]:
    """Media types, parameters and headers: objects with a `schema` and examples of it."""
    if isinstance(node, Mapping):
        if isinstance(node.get("schema"), Mapping) and ("example" in node or "examples" in node):
            yield parts, node
        for key, value in node.items():
            if key not in ("schema", "example", "examples") and not (
                parts == ("components",) and key == "schemas"
            ):
                yield from _holders(value, (*parts, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _holders(value, (*parts, index))


def _examples_of_holder(
    document: Mapping[str, Any], holder: Mapping[str, Any], parts: Parts
) -> Iterator[tuple[Parts, Any]]:
    if "example" in holder:
        yield (*parts, "example"), holder["example"]
    examples = holder.get("examples")
    if isinstance(examples, Mapping):
        for name, entry in examples.items():
            example = entry
            if isinstance(entry, Mapping) and isinstance(entry.get("$ref"), str):
                found, example = _resolve_pointer(document, entry["$ref"][1:])
                if not found:
                    continue
            if isinstance(example, Mapping) and "value" in example:
                yield (*parts, "examples", str(name), "value"), example["value"]


def _examples_of_schema(schema: Mapping[str, Any], parts: Parts) -> Iterator[tuple[Parts, Any]]:
    if "example" in schema:
        yield (*parts, "example"), schema["example"]
    if isinstance(schema.get("examples"), list):
        for index, example in enumerate(schema["examples"]):
            yield (*parts, "examples", index), example


def _example_problems(document: Mapping[str, Any]) -> list[Problem]:
    checker = _ExampleChecker(document)
    problems: list[Problem] = []
    for parts, holder in _holders(document, ()):
        schema_parts = (*parts, "schema")
        for where, example in _examples_of_holder(document, holder, parts):
            problems += checker.check(example, schema_parts, where)
    for parts, schema in _schema_roots(document, ()):
        for where, example in _examples_of_schema(schema, parts):
            problems += checker.check(example, parts, where)
    return problems


class _ExampleChecker:
    """Validates example values against the schema at a location, resolving `$ref`s in place."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        from openapi_schema_validator import OAS30Validator, OAS31Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4, DRAFT202012

        version = str(document.get("openapi", ""))
        spec = DRAFT4 if version.startswith("3.0") else DRAFT202012
        self._validator_cls = OAS30Validator if version.startswith("3.0") else OAS31Validator
        resource = Resource.from_contents(dict(document), default_specification=spec)
        self._registry: Registry[Any] = Registry().with_resource(_DOC_URI, resource)

    def check(self, example: Any, schema_parts: Parts, where: Parts) -> list[Problem]:
        pointer = "/" + "/".join(_escape(p) for p in schema_parts)
        schema = {"$ref": f"{_DOC_URI}#{pointer}"}
        validator = self._validator_cls(
            schema,
            registry=self._registry,
            format_checker=self._validator_cls.FORMAT_CHECKER,
        )
        problems = []
        try:
            errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
        except Exception as exc:  # an unresolvable or malformed schema: report, don't crash
            reason = str(exc).split("\n", 1)[0].rstrip(":")
            return [Problem(format_location(where), f"cannot check example: {reason}", "example")]
        for error in errors:
            inside = format_location(tuple(error.absolute_path))
            at = f" (at {inside})" if inside else ""
            message = f"example does not match its schema: {error.message}{at}"
            problems.append(Problem(format_location(where), message, "example"))
        return problems
