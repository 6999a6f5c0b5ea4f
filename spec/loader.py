"""Reading OpenAPI documents: the shipped fragment, or any file a user points at."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

Document = dict[str, Any]


class SpecReadError(Exception):
    """The document could not be read or is not YAML/JSON describing an object."""


def spec_path() -> Path:
    """Path of the shipped fragment, `openapi.yaml`."""
    return Path(str(resources.files("calbot.spec").joinpath("openapi.yaml")))


def read_document(path: str | Path) -> Document:
    """Parse a YAML or JSON file into a dict, or raise `SpecReadError` with a one-line reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecReadError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise SpecReadError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SpecReadError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_document(text, source=str(path))


def parse_document(text: str, *, source: str = "<string>") -> Document:
    """Parse YAML or JSON text into a dict, or raise `SpecReadError`."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise SpecReadError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SpecReadError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise SpecReadError(f"{source}: not an OpenAPI document (the top level is {kind})")
    return data


@functools.cache
def _shipped() -> Document:
    return read_document(spec_path())


def load_spec() -> Document:
    """The shipped fragment as a dict (a fresh copy each call, safe to mutate)."""
    return copy.deepcopy(_shipped())


def load_schemathesis_schema(document: Document | None = None) -> OpenApiSchema:
    """The fragment (or `document`) as a schemathesis schema, with calbot's formats registered."""
    import schemathesis

    from calbot.spec.formats import register_formats

    register_formats()
    # No generated Authorization header: calbot sends its own key with every case, so a case
    # whose only negative part is that header could not be sent as generated (half the
    # negative cases schemathesis would draw, each drawn and then thrown away).
    config = schemathesis.Config.from_dict(
        {"cache": {"enabled": False}, "generation": {"with-security-parameters": False}}
    )
    return schemathesis.openapi.from_dict(document or load_spec(), config=config)
