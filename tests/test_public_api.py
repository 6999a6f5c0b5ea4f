"""The one public face: `import calbot` is light, and gives every name a user needs."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import calbot

ROOT = Path(__file__).resolve().parents[1]

PINNED = [
    "__version__",
    "Conformance",
    "run_conformance",
    "RateLimit",
    "CouldNotRun",
    "RunInterrupted",
    "RunResult",
    "CheckResult",
    "Finding",
    "Exchange",
    "Status",
    "Level",
    "Verdict",
    "Incomplete",
    "Outcome",
    "SkipKind",
    "ExitCode",
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
    assert len(calbot.__all__) == len(set(calbot.__all__))


def test_the_names_are_listed_once_and_typed_as_they_load() -> None:
    """The lazy map is the one list: `__all__` is made from it, and what a type checker
    imports is what `__getattr__` loads (the same name, from the same module)."""
    tree = ast.parse(Path(calbot.__file__).read_text(encoding="utf-8"))
    [block] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    ]
    typed = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name  # re-exported for a type checker
    }
    assert typed == calbot._EXPORTS
    assert set(calbot.__all__) == {*calbot._EXPORTS, "__version__"}


def test_what_run_conformance_raises_and_takes_is_exported() -> None:
    assert issubclass(calbot.RunInterrupted, KeyboardInterrupt)
    assert issubclass(calbot.CouldNotRun, Exception)
    options = calbot.Conformance(rate_limit=calbot.RateLimit(100, 1.0))
    assert options.rate_limit == calbot.RateLimit(100, 1.0)
    assert calbot.ExitCode.INTERRUPTED == 130


def test_the_docstring_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example `help(calbot)` shows is code that works, as written."""
    assert calbot.__doc__ is not None
    example = textwrap.dedent(calbot.__doc__.split("::\n", 1)[1].split("\n\n`", 1)[0])
    assert "calbot.run_conformance(" in example and "calbot.write_reports(" in example
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "calbot.__doc__", "exec"), {})
    assert sorted(p.name for p in (tmp_path / "calbot-report").iterdir()) == [
        "calbot-report.html",
        "calbot-result.json",
    ]


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
