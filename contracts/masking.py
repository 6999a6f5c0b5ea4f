"""The one masker: secrets out of every string calbot shows or writes.

The terminal, the ledger, curl commands and the reports all mask through it. It masks
secrets, not letters:

- **configured secrets** (the operator's API keys: `calbot run --api-key`, `calbot serve
  --api-key`): wherever they occur, also percent-encoded. One shorter than `MIN_SECRET`
  characters only where it is a whole token, so a one-letter key does not mask every letter.
- **seen credentials** (`seen=`: the keys clients send, which `calbot proxy` learns from their
  `Authorization` headers; anything a client sends, so untrusted): only where one is a whole
  token (a path segment, a header or query value, a JSON string, a word), also percent-encoded,
  and only when at least `MIN_SECRET` characters long. A shorter one is never a pattern:
  `value` masks a field that is exactly it, nothing else does.
- the credential of any ``Authorization`` (or ``Proxy-Authorization``) header, keeping the
  scheme: ``Authorization: Token sk_live_abc`` becomes ``Authorization: Token ****``.

A token is a run of characters between separators: whitespace, quotes, and
``/ ? & = , ; : < > ( ) [ ] { } \\ # |`` (a trailing full stop ends a sentence, not a key).
Nothing else is masked: deduplication keys, ids and bodies are shown as sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

MASK = "****"
MIN_SECRET = 8
"""Secrets shorter than this are never searched for inside other text (see the docstring)."""

_SEPARATORS = r"\s\"'`/?&=,;:<>()\[\]{}\\#|"
# a token never ends with a full stop: "rejected key abc." names the key abc
_TOKEN = re.compile(rf"[^{_SEPARATORS}]*[^{_SEPARATORS}.]")
# The schemes kept in view; any other first word is taken to be the credential itself.
_SCHEME = r"(?:token|bearer|basic|digest|api-?key|key|negotiate|aws4-hmac-sha256)"
# "Authorization: Token abc", "-H 'Authorization: abc'", {"Authorization": "Bearer abc"}. The
# credential stops at a quote, backslash, "&", "," or ";", so masked JSON, shell or escaped
# markup stays well formed.
_HEADER_IN_TEXT = re.compile(
    rf"(?P<head>authorization['\"]?\s*[:=]\s*['\"]?)(?P<scheme>{_SCHEME}\s+)?"
    r"(?P<credential>[^\s'\"\\&,;]+)",
    re.IGNORECASE,
)
_SCHEME_IN_VALUE = re.compile(rf"\s*(?P<scheme>{_SCHEME})\s", re.IGNORECASE)


def _forms(secret: str) -> tuple[str, ...]:
    """A secret as written and percent-encoded."""
    encoded = quote(secret, safe="")
    return (secret,) if encoded == secret else (secret, encoded)


def _configured_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """Long secrets anywhere, short ones as whole tokens; longer forms first."""
    anywhere: set[str] = set()
    whole: set[str] = set()
    for secret in secrets:
        if secret:
            (anywhere if len(secret) >= MIN_SECRET else whole).update(_forms(secret))
    parts = [re.escape(form) for form in sorted(anywhere, key=len, reverse=True)]
    if whole:
        alternatives = "|".join(re.escape(form) for form in sorted(whole, key=len, reverse=True))
        parts.append(rf"(?<![^{_SEPARATORS}])(?:{alternatives})(?![^{_SEPARATORS}])")
    return re.compile("|".join(parts)) if parts else None


class Masker:
    """Masks one set of secrets; build it once and apply it to many strings.

    `secrets`: configured secrets; `seen`: credentials seen in traffic (see the module
    docstring for how each is masked). Immutable, so one instance can serve many threads.
    """

    def __init__(self, secrets: Iterable[str] = (), *, seen: Iterable[str] = ()) -> None:
        configured = tuple(secrets)
        observed = tuple(secret for secret in seen if secret)
        self._secrets = _configured_pattern(configured)
        self._tokens = frozenset(
            form.rstrip(".")
            for secret in observed
            if len(secret) >= MIN_SECRET
            for form in _forms(secret)
        )
        self._values = frozenset(secret for secret in (*configured, *observed) if secret)

    def text(self, text: str) -> str:
        """`text` with every secret and every Authorization credential replaced by ``****``."""
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        if self._tokens:
            text = self._mask_tokens(text)
        if "authorization" not in text.lower():  # a fast test first: most text has none
            return text
        return _HEADER_IN_TEXT.sub(lambda m: f"{m['head']}{m['scheme'] or ''}{MASK}", text)

    def value(self, text: str) -> str:
        """A field's value: ``****`` when it is exactly a secret (of any length), else `text`."""
        return MASK if text in self._values else self.text(text)

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def header(self, name: str, value: str) -> str:
        """A header value as it may be shown: Authorization keeps only its scheme."""
        if name.lower().endswith("authorization"):
            scheme = _SCHEME_IN_VALUE.match(value)
            return f"{scheme['scheme']} {MASK}" if scheme else MASK
        return self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.header(name, value) for name, value in headers.items()}

    def data(self, value: Any, key: str = "") -> Any:
        """A copy of JSON-like data with every string value masked (keys are left alone)."""
        if isinstance(value, str):
            return self.header(key, value)
        if isinstance(value, Mapping):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def _mask_tokens(self, text: str) -> str:
        """Seen credentials that are whole tokens: one set lookup per token, no pattern."""
        if self._tokens.isdisjoint(_TOKEN.findall(text)):
            return text
        tokens = self._tokens
        return _TOKEN.sub(lambda m: MASK if m[0] in tokens else m[0], text)


def credential(authorization: str | None) -> str | None:
    """The secret in an Authorization value, whatever its scheme: ``Token k``, ``Bearer k``,
    or the bare ``k`` give ``k``; None when there is none."""
    if not authorization:
        return None
    scheme = _SCHEME_IN_VALUE.match(authorization)
    rest = authorization[scheme.end() :] if scheme else authorization
    words = rest.split()
    return words[0] if len(words) == 1 else None


@lru_cache(maxsize=16)
def masker(secrets: tuple[str, ...] = ()) -> Masker:
    """The Masker for configured `secrets` (cached: writers ask for it on every string)."""
    return Masker(secrets)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret and every Authorization credential replaced by ``****``."""
    return masker(tuple(secrets)).text(text)
