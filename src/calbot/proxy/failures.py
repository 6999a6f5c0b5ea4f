"""What the proxy answers when the upstream gives no answer: 502 or 504, one line of reason."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from calbot.serving.answers import encode

PROXY_HEADER = "X-Calbot-Proxy"
"""Set on every answer the proxy gives itself instead of the upstream (`upstream-error`)."""


@dataclass(frozen=True, slots=True)
class UpstreamFailure:
    """The upstream did not answer: the status the client gets, and why (one line)."""

    status: int
    reason: str

    def body(self) -> bytes:
        """`{"detail": "calbot proxy: <reason>"}` as Django REST Framework words errors."""
        return encode({"detail": f"calbot proxy: {self.reason}"})

    def headers(self, length: int) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode("ascii")),
            (PROXY_HEADER.lower().encode("ascii"), b"upstream-error"),
        ]


def failure_of(error: httpx.HTTPError, upstream: str, timeout: float) -> UpstreamFailure:
    """504 for a timeout, 502 for anything else (refused, reset, not HTTP)."""
    detail = _one_line(str(error)) or type(error).__name__
    if isinstance(error, httpx.ConnectTimeout):
        return UpstreamFailure(504, f"the upstream {upstream} could not be reached in time")
    if isinstance(error, httpx.TimeoutException):
        return UpstreamFailure(504, f"the upstream {upstream} did not answer within {timeout:g} s")
    if isinstance(error, httpx.ConnectError):
        return UpstreamFailure(502, f"the upstream {upstream} could not be reached: {detail}")
    return UpstreamFailure(502, f"the upstream {upstream} broke off the exchange: {detail}")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
