"""openapi-spec-validator, adapted to report where in the document each schema error is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openapi_spec_validator import (
    OpenAPIV2SpecValidator,
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
    OpenAPIV32SpecValidator,
)
from openapi_spec_validator.validation import keywords

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from jsonschema.exceptions import ValidationError
    from jsonschema_path import SchemaPath
    from openapi_spec_validator.validation.validators import SpecValidator


def _locating(base: type[keywords.KeywordValidator]) -> type[keywords.KeywordValidator]:
    class Locating(base):  # type: ignore[valid-type,misc]
        """Tags each error with the document path of the schema it was found in."""

        def __call__(
            self, schema: SchemaPath, require_properties: bool = True, meta_checked: bool = False
        ) -> Iterator[ValidationError]:
            errors: Iterator[ValidationError] = super().__call__(
                schema, require_properties, meta_checked
            )
            for error in errors:
                if not hasattr(error, "calbot_location"):
                    error.calbot_location = tuple(schema.parts)
                yield error

    return Locating


class _ComponentsFirst(keywords.RootValidator):
    """Visits `components` before `paths`, so a shared schema's error is reported where it is."""

    def __call__(self, spec: SchemaPath) -> Iterator[ValidationError]:
        if "components" in spec:
            yield from self.components_validator(spec / "components")
        if "tags" in spec and "tags" in self.registry.keyword_validators:
            tags: Any = self.registry["tags"]
            yield from tags(spec / "tags")
        if "paths" in spec:
            yield from self.paths_validator(spec / "paths")


def _with_locations(base: type[SpecValidator]) -> type[SpecValidator]:
    schema_validator = base.keyword_validators["schema"]
    validators = {
        **base.keyword_validators,
        "__root__": _ComponentsFirst,
        "schema": _locating(schema_validator),
    }
    return type(f"Locating{base.__name__}", (base,), {"keyword_validators": validators})


_BY_VERSION: dict[str, type[SpecValidator]] = {
    "2.0": _with_locations(OpenAPIV2SpecValidator),
    "3.0": _with_locations(OpenAPIV30SpecValidator),
    "3.1": _with_locations(OpenAPIV31SpecValidator),
    "3.2": _with_locations(OpenAPIV32SpecValidator),
}


def spec_validator_for(document: Mapping[str, Any]) -> SpecValidator | str:
    """The validator for the document's OpenAPI version, or a message saying why there is none."""
    version = document.get("openapi", document.get("swagger"))
    if version is None:
        return "no `openapi` field: this is not an OpenAPI document"
    major_minor = ".".join(str(version).split(".")[:2])
    validator = _BY_VERSION.get(major_minor)
    if validator is None:
        known = ", ".join(sorted(_BY_VERSION))
        return f"unsupported OpenAPI version {version!r} (supported: {known})"
    return validator(dict(document))
