"""The warnings and errors calbot raises in a user's own test run."""

from __future__ import annotations


class CalbotWarning(UserWarning):
    """A server broke a SHOULD-level rule (the pytest item passes; --calbot-strict fails it)."""


class ClientRuleWarning(UserWarning):
    """A client broke a SHOULD-level client rule (deduplication or override hygiene)."""


class ClientRuleViolation(AssertionError):
    """The client broke a MUST-level rule (or a SHOULD one under strict_warnings)."""
