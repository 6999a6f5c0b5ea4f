"""calbot.generators stays in its layer: it imports only calbot.spec, hypothesis and the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import calbot.generators

PACKAGE = Path(calbot.generators.__file__).parent
ALLOWED = ("calbot.spec", "calbot.generators", "hypothesis")


def imported_modules(path: Path) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.ImportFrom):
            modules.append("calbot.generators")  # a relative import stays in the package
    return modules


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_imports_stay_in_the_layer(path: Path) -> None:
    for module in imported_modules(path):
        top = module.partition(".")[0]
        allowed = top in sys.stdlib_module_names or any(
            module == prefix or module.startswith(prefix + ".") for prefix in ALLOWED
        )
        assert allowed, f"{path.name} imports {module}"


def test_the_public_api_is_exported() -> None:
    for name in calbot.generators.__all__:
        assert getattr(calbot.generators, name) is not None
    assert "meeting_urls" in calbot.generators.__all__
