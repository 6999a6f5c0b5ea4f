"""Fixtures for the generator tests: validators for the fragment's schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from calbot.spec import load_spec

_DOC_URI = "urn:calbot:openapi"


@pytest.fixture(scope="session")
def schema_validator() -> Callable[[str], jsonschema.Draft202012Validator]:
    """A factory: the name of a schema in ``components/schemas`` to a jsonschema validator.

    The whole fragment is one resource, so ``$ref``s resolve as they do in the document.
    Formats are checked (``date-time`` among them); the custom ``meeting-url`` is ignored.
    """
    resource: Resource[Any] = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_DOC_URI, resource)

    def validator(name: str) -> jsonschema.Draft202012Validator:
        schema = {"$ref": f"{_DOC_URI}#/components/schemas/{name}"}
        return jsonschema.Draft202012Validator(
            schema,
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )

    return validator
