"""What the proxy answers when the upstream gives no answer: 502 or 504, one line of reason.

Each is a JSON `{"detail": "calbot proxy: <reason>"}` marked `X-Calbot-Proxy: upstream-error`,
and the reason is what the ledger's `upstream_error` says.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from calbot.server.messages import Response
from calbot.spec.text import one_line

PROXY_HEADER = "X-Calbot-Proxy"
"""Set on every answer the proxy gives itself instead of the upstream (`upstream-error`)."""


@dataclass(frozen=True, slots=True)
class UpstreamFailure:
    """The upstream did not answer: the status the client gets, and why (one line)."""

    status: int
    reason: str

    def response(self) -> Response:
        """The answer, as Django REST Framework words errors."""
        mark = (PROXY_HEADER, "upstream-error")
        return Response(self.status, {"detail": f"calbot proxy: {self.reason}"}, (mark,))


def failure_of(error: httpx.HTTPError, upstream: str, timeout: float) -> UpstreamFailure:
    """504 for a timeout, 502 for anything else (refused, reset, not HTTP)."""
    detail = _one_line(str(error)) or type(error).__name__
    if isinstance(error, httpx.ConnectTimeout):
        return UpstreamFailure(504, f"the upstream {upstream} could not be reached in time")
    if isinstance(error, httpx.TimeoutException):
        return late(upstream, timeout)
    if isinstance(error, httpx.ConnectError):
        return UpstreamFailure(502, f"the upstream {upstream} could not be reached: {detail}")
    return UpstreamFailure(502, f"the upstream {upstream} broke off the exchange: {detail}")


def late(upstream: str, timeout: float) -> UpstreamFailure:
    """504: no status and headers within `timeout` seconds of the request."""
    return UpstreamFailure(504, f"the upstream {upstream} did not answer within {timeout:g} s")


def unfinished(upstream: str, timeout: float) -> UpstreamFailure:
    """504: the answer's body did not end within `timeout` seconds of its headers."""
    reason = f"the upstream {upstream} did not finish its answer within {timeout:g} s"
    return UpstreamFailure(504, reason)


def body_not_taken(upstream: str, seconds: float) -> UpstreamFailure:
    """504: the upstream did not read the request body within `seconds`."""
    reason = f"the upstream {upstream} did not take the request body within {seconds:g} s"
    return UpstreamFailure(504, reason)


def cut_by_stop(grace: float) -> str:
    """Why an answer under way when the proxy stopped is incomplete."""
    return f"cut off: calbot proxy stopped before the answer was complete (grace {grace:g} s)"


def _one_line(text: str) -> str:
    return one_line(text, 200)
