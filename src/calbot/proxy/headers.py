"""Which headers a proxy passes on: all but the hop-by-hop ones (RFC 9110 §7.6.1)."""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
REQUEST_ONLY = frozenset({b"host"})  # the upstream's own Host is set by httpx


def end_to_end(
    headers: Iterable[tuple[bytes, bytes]], *, also: frozenset[bytes] = frozenset()
) -> RawHeaders:
    """`headers` less the hop-by-hop ones, those a `Connection` header names, and `also`."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    dropped = HOP_BY_HOP | named | also
    return [(name, value) for name, value in pairs if name.lower() not in dropped]


def request_headers(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """What goes to the upstream: end-to-end headers, without the client's Host."""
    return end_to_end(headers, also=REQUEST_ONLY)


def as_text(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names to latin-1 values (the last of repeated headers wins)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}
