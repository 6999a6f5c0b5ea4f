"""The one masker: secrets out of every string calbot shows or writes.

The terminal, the ledger, curl commands and the reports all mask through it.

Two things are masked, everywhere (text, headers, curl commands, the target, options):

- every configured secret value (the API key), also in its percent-encoded form;
- the credential of any ``Authorization`` (or ``Proxy-Authorization``) header, keeping the
  scheme: ``Authorization: Token sk_live_abc`` becomes ``Authorization: Token ****``.

Nothing else is: deduplication keys, ids and bodies are shown as sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

MASK = "****"

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


class Masker:
    """Masks one set of secrets; build it once (`masker`) and apply it to many strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        found = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        longest_first = sorted(found, key=len, reverse=True)
        alternatives = [re.escape(form) for form in longest_first]
        self._secrets = re.compile("|".join(alternatives)) if alternatives else None

    def text(self, text: str) -> str:
        """`text` with every secret and every Authorization credential replaced by ``****``."""
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        if "authorization" not in text.lower():  # a fast test first: most text has none
            return text
        return _HEADER_IN_TEXT.sub(lambda m: f"{m['head']}{m['scheme'] or ''}{MASK}", text)

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


@lru_cache(maxsize=16)
def masker(secrets: tuple[str, ...] = ()) -> Masker:
    """The Masker for `secrets` (cached: writers ask for it on every string)."""
    return Masker(secrets)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret and every Authorization credential replaced by ``****``."""
    return masker(tuple(secrets)).text(text)
