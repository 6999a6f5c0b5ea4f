"""String formats the fragment uses beyond JSON Schema's, registered with schemathesis."""

from __future__ import annotations

import functools


@functools.cache
def register_formats() -> None:
    """Teach schemathesis to generate `format: meeting-url` strings (real, documented links)."""
    import schemathesis
    from hypothesis import strategies as st

    from calbot.spec.meeting_urls import example_urls, is_documented_form

    # Only forms Recall's published patterns cover: a server may refuse the others.
    urls = sorted(
        url for forms in example_urls().values() for url in forms if is_documented_form(url)
    )
    schemathesis.openapi.format("meeting-url", st.sampled_from(urls))
