"""Reproduce a request as a `curl` command, with the API key masked."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from calbot.contracts.masking import mask

MAX_BODY = 16_384
_SKIPPED_HEADERS = {"content-length", "host", "accept-encoding", "connection", "user-agent"}


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    secrets: Iterable[str] = (),
) -> str:
    """A shell-safe curl command; non-UTF-8 bodies go through `printf` so nothing is lost."""
    secrets = tuple(secrets)
    parts = ["curl", "-sS", "-X", method, shlex.quote(mask(url, secrets))]
    for name, value in headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        parts += ["-H", shlex.quote(mask(f"{name}: {value}", secrets))]
    if not body:
        return " ".join(parts)
    if len(body) > MAX_BODY:
        note = f"# the {len(body):,}-byte body is not shown; save it as body.bin"
        return note + "\n" + " ".join([*parts, "--data-binary", "@body.bin"])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return " ".join([*parts, "--data-raw", shlex.quote(mask(text, secrets))])
    escaped = "".join(f"\\x{byte:02x}" for byte in body)
    return f"printf '%b' '{escaped}' | " + " ".join([*parts, "--data-binary", "@-"])
