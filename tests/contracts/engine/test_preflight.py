"""Preflight: one authenticated read before the contracts tells a user's mistake (unreachable,
key refused, not this API) from the server's non-conformance."""

from __future__ import annotations

from typing import Any

import pytest

from calbot.contracts.engine.preflight import preflight
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.contracts.outcomes import CouldNotRun, TargetUnreachable
from calbot.server import ServerConfig, create_app


def answering(status: int, body: bytes, content_type: str = "application/json") -> Any:
    """An ASGI app answering every request with `status` and `body`."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", content_type.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def target(app: Any, key: str | None = "k") -> Target:
    return Target(TargetConfig(app=app, api_key=key, label="http://t"))


@pytest.mark.parametrize(
    "app",
    [
        answering(404, b'{"detail": "Not found."}'),
        answering(400, b'{"code": "invalid", "message": "m", "errors": {}}'),
        answering(500, b"<html>Server Error</html>", "text/html"),  # the contracts report 5xx
        create_app(ServerConfig(api_keys=("k",))),
    ],
)
def test_an_api_that_answers_like_this_one_passes(app: Any) -> None:
    preflight(target(app))


@pytest.mark.parametrize(
    ("key", "words"),
    [("k", "the target refuses the API key given"), (None, "asks for an API key and none")],
)
@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_cannot_run(key: str | None, words: str, status: int) -> None:
    app = answering(status, b'{"detail": "Invalid token."}')
    with pytest.raises(CouldNotRun, match=words) as caught:
        preflight(target(app, key))
    assert f"answered {status}" in str(caught.value)
    assert '{"detail": "Invalid token."}' in str(caught.value)


def test_a_web_page_is_not_this_api_and_the_excerpt_is_one_short_line() -> None:
    page = b"<!DOCTYPE html>\n<html>\n" + b"<p>hello</p>\n" * 500 + b"</html>"
    with pytest.raises(CouldNotRun, match="does not look like the Recall API") as caught:
        preflight(target(answering(404, page, "text/html; charset=utf-8")))
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    assert "text/html, not JSON: <!DOCTYPE html> <html> <p>hello</p>" in message


def test_a_catch_all_answering_200_for_any_id_is_not_this_api() -> None:
    with pytest.raises(CouldNotRun, match="200 for an event id that cannot exist"):
        preflight(target(answering(200, b'{"ok": true}')))


def test_no_answer_at_all_names_the_address() -> None:
    unreachable = Target(TargetConfig(base_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(TargetUnreachable, match=r"cannot reach http://127\.0\.0\.1:9"):
        preflight(unreachable)
