"""String formats the fragment uses beyond JSON Schema's, registered with schemathesis."""

from __future__ import annotations

import functools


@functools.cache
def register_formats() -> None:
    """Teach schemathesis to generate `format: meeting-url` strings (real link shapes)."""
    import schemathesis
    from hypothesis import strategies as st

    from calbot.spec.meeting_urls import example_urls

    urls = sorted(url for forms in example_urls().values() for url in forms)
    schemathesis.openapi.format("meeting-url", st.sampled_from(urls))
