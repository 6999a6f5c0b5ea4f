"""Shared fixtures for calbot's own tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from calbot.spec import load_spec


@pytest.fixture
def spec_document() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped fragment."""
    return copy.deepcopy(load_spec())
