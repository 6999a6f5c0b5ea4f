"""The OpenAPI fragment and the pure functions built on it (meeting URLs, rate limits)."""

from calbot.spec.loader import SpecReadError, load_spec, read_document, spec_path

__all__ = ["SpecReadError", "load_spec", "read_document", "spec_path"]
