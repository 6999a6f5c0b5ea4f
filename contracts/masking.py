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

A whole token starts and ends at a word boundary: it is not part of a longer run of letters and
digits (``/bot/KEY/``, ``?k=KEY``, ``"KEY"``, ``with-the-KEY.`` hold it; ``xKEY`` does not).
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

_RUN = re.compile(r"[^\W_]+")  # a run of letters and digits
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
        parts.append(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")
    return re.compile("|".join(parts)) if parts else None


def _anchor(form: str) -> str:
    """The longest run of letters and digits in a secret ("" when it has none)."""
    return max(_RUN.findall(form), key=len, default="")


class Seen:
    """Credentials seen in traffic, indexed for masking one at a time (`add`, `discard`), so a
    long stream of distinct keys never re-indexes the ones already known. Not thread-safe:
    its owner guards it; a `Masker(seen=...)` built from it is an immutable snapshot."""

    def __init__(self) -> None:
        # each form under its longest run of letters and digits: a text can hold the form as a
        # whole token only if it holds that run as a whole run
        self.anchored: dict[str, dict[str, None]] = {}
        self.values: set[str] = set()

    def add(self, secret: str) -> None:
        if not secret or secret in self.values:
            return
        self.values.add(secret)
        if len(secret) >= MIN_SECRET:
            for form in _forms(secret):
                self.anchored.setdefault(_anchor(form), {})[form] = None

    def discard(self, secret: str) -> None:
        if secret not in self.values:
            return
        self.values.discard(secret)
        if len(secret) >= MIN_SECRET:
            for form in _forms(secret):
                forms = self.anchored.get(_anchor(form), {})
                forms.pop(form, None)
                if not forms:
                    self.anchored.pop(_anchor(form), None)


class Masker:
    """Masks one set of secrets; build it once and apply it to many strings.

    `secrets`: configured secrets; `seen`: credentials seen in traffic, or a `Seen` index of
    them (see the module docstring for how each is masked). Immutable, so one instance can
    serve many threads.
    """

    def __init__(self, secrets: Iterable[str] = (), *, seen: Iterable[str] | Seen = ()) -> None:
        configured = tuple(secret for secret in secrets if secret)
        self._secrets = _configured_pattern(configured)
        if not isinstance(seen, Seen):
            index = Seen()
            for secret in seen:
                index.add(secret)
            seen = index
        self._anchored = {anchor: tuple(forms) for anchor, forms in seen.anchored.items()}
        self._anchors = frozenset(self._anchored)
        self._values = frozenset((*configured, *seen.values))

    def text(self, text: str) -> str:
        """`text` with every secret and every Authorization credential replaced by ``****``."""
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        if self._anchored:
            text = self._mask_seen(text)
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

    def _mask_seen(self, text: str) -> str:
        """Seen credentials where they are whole tokens: a set test on the text's runs of
        letters and digits first (no pattern per key), a search only for the keys it hints."""
        if "" not in self._anchors and self._anchors.isdisjoint(_RUN.findall(text)):
            return text
        runs = set(_RUN.findall(text)) | {""}
        spans: list[tuple[int, int]] = []
        for anchor in self._anchors & runs:
            for form in self._anchored[anchor]:
                spans += _whole(text, form)
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for begin, end in sorted(spans):
            if begin < done:  # overlaps the one masked before: one mask for both
                done = max(done, end)
                continue
            parts += [text[done:begin], MASK]
            done = end
        return "".join([*parts, text[done:]])


def _whole(text: str, form: str) -> list[tuple[int, int]]:
    """Where `form` occurs in `text` as a whole token (not inside a run of letters and digits)."""
    found = []
    begin = text.find(form)
    while begin >= 0:
        end = begin + len(form)
        inside = (begin > 0 and _joins(text[begin - 1], form[0])) or (
            end < len(text) and _joins(form[-1], text[end])
        )
        if not inside:
            found.append((begin, end))
        begin = text.find(form, begin + 1)
    return found


def _joins(left: str, right: str) -> bool:
    """Whether two neighbouring characters belong to one run of letters and digits."""
    return left.isalnum() and right.isalnum()


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
