"""The one public face: `import calbot` is light, and gives every name a user needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import calbot

ROOT = Path(__file__).resolve().parents[1]

PINNED = [
    "__version__",
    "Conformance",
    "run_conformance",
    "RunResult",
    "CheckResult",
    "Finding",
    "Exchange",
    "Status",
    "Level",
    "Verdict",
    "ClientServer",
    "ClientServerOptions",
    "ServerClock",
    "CalbotWarning",
    "ClientRuleWarning",
    "ClientRuleViolation",
    "ServerConfig",
    "create_app",
    "running",
    "render",
    "write_reports",
    "read_result",
    "load_spec",
]


def test_all_is_pinned() -> None:
    assert sorted(calbot.__all__) == sorted(PINNED)


def test_every_public_name_resolves() -> None:
    for name in calbot.__all__:
        assert getattr(calbot, name) is not None, name
    assert set(dir(calbot)) >= set(PINNED)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        calbot.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_import_calbot_imports_no_third_party_module() -> None:
    code = (
        "import sys, calbot\n"
        "third = sorted({m.partition('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
        " - {'calbot', '__main__'})\n"
        "print(','.join(m for m in third if not m.startswith('_')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_a_source_checkout_imports_the_installed_package() -> None:
    """From the repository root nothing shadows the package (it lives in src/)."""
    code = "import calbot.spec, calbot.contracts, calbot.reports; print(calbot.spec.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not (ROOT / "calbot").exists()
