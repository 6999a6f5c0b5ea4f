"""The API keys clients send through the proxy: a label each (never the key itself), and the
masker that keeps every one of them out of what the proxy writes.

A key is what an `Authorization` header carries, whatever its scheme (`Token k`, `Bearer k`,
or the bare `k`). The proxy remembers the `CAPACITY` most recently used keys; one more pushes
out the least recently used (a key that comes back after that gets a new label), so a stream
of distinct keys costs neither memory nor time. Keys are masked as seen credentials
(`calbot.contracts.masking`): as whole tokens, and never when shorter than `MIN_SECRET`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from calbot.contracts.clients.ledger.record import UNKNOWN_WORKSPACE
from calbot.contracts.masking import Masker, Seen, credential

CAPACITY = 256
NO_KEY = UNKNOWN_WORKSPACE
"""The label of a request without a key (the ledger format's one label for it)."""


class Credentials:
    """Labels (`key1`, `key2`, ... in the order keys are first seen) and their masker."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("the capacity must be at least 1")
        self.capacity = capacity
        self._labels: OrderedDict[str, str] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()
        self._seen = Seen()  # indexed one key at a time: a new key costs one key's work
        self._masker: Masker | None = Masker()

    def label(self, authorization: str | None) -> str:
        """The label of the key in an Authorization value (`unknown` without one)."""
        key = credential(authorization)
        if not key:
            return NO_KEY
        with self._lock:
            label = self._labels.get(key)
            if label is not None:
                self._labels.move_to_end(key)
                return label
            self._count += 1
            label = self._labels[key] = f"key{self._count}"
            self._seen.add(key)
            if len(self._labels) > self.capacity:
                forgotten, _ = self._labels.popitem(last=False)
                self._seen.discard(forgotten)
            self._masker = None  # a snapshot of the index, taken on next use
            return label

    @property
    def masker(self) -> Masker:
        """Masks every remembered key (built again only when the keys change)."""
        with self._lock:
            if self._masker is None:
                self._masker = Masker(seen=self._seen)
            return self._masker

    def __len__(self) -> int:
        with self._lock:
            return len(self._labels)
