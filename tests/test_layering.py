"""Every layer stays in its place: an inner layer never imports an outer one (design.md).

Inner to outer: spec → generators → contracts.domain → contracts.judges → contracts (engine,
checks, clients, traffic) → reports → the adapters (CLI, pytest plugin, reference server,
proxy). Read from the source with `ast`, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import calbot
import calbot.contracts
import calbot.generators
import calbot.reports
import calbot.spec

SRC = Path(calbot.__file__).parent
THIRD_PARTY_OK = ("hypothesis", "schemathesis", "httpx", "jsonschema", "yaml", "jinja2")
RESULT_MODEL = (
    "calbot.contracts.results",
    "calbot.contracts.outcomes",
    "calbot.contracts.rules",
    "calbot.contracts.masking",
)

# package -> the calbot modules its files may import (besides its own package)
LAYERS: dict[str, tuple[str, ...]] = {
    "calbot.spec": (),
    "calbot.generators": ("calbot.spec",),
    "calbot.contracts.domain": ("calbot.spec",),
    "calbot.reports": ("calbot.spec", *RESULT_MODEL),
    "calbot.server": (
        "calbot.spec",
        "calbot.contracts.domain",
        "calbot.contracts.clients.ledger",
        "calbot.contracts.masking",
        "calbot.serving",
    ),
    # the judges both sides call (active checks, passive verdict): pure, on answers as JSON
    "calbot.contracts.judges": ("calbot.spec", "calbot.contracts.domain", *RESULT_MODEL),
    # the passive verdict: pure functions over ledger records, read through the one ledger view
    # (the curl builder reused)
    "calbot.contracts.traffic": (
        "calbot.spec",
        "calbot.contracts.domain",
        "calbot.contracts.judges",
        "calbot.contracts.clients.ledger",
        "calbot.contracts.clients.view",
        "calbot.contracts.engine.curl",
        *RESULT_MODEL,
    ),
    # the ledger format: what the server and the proxy may import of the client verification
    "calbot.contracts.clients.ledger": (
        "calbot.spec",
        "calbot.contracts.domain",
        "calbot.contracts.masking",
    ),
    # what serve and proxy listen through: below both, it knows neither
    "calbot.serving": ("calbot.contracts.masking",),
    # an adapter like the server: it never runs the engine or the checks
    "calbot.proxy": (
        "calbot.spec",
        "calbot.contracts.domain",
        "calbot.contracts.clients.ledger",
        "calbot.contracts.masking",
        "calbot.server",
        "calbot.serving",
    ),
}
# the result model is the bottom of `contracts`: only the spec (and the kit's version) below it
LAYERS.update(dict.fromkeys(RESULT_MODEL, ("calbot.spec", "calbot.__init__", *RESULT_MODEL)))


def package_dir(package: str) -> Path:
    module = sys.modules.get(package) or __import__(package, fromlist=["_"])
    return Path(module.__file__).parent  # type: ignore[arg-type]


def files_of(package: str) -> list[Path]:
    if package in RESULT_MODEL:
        return [package_dir("calbot.contracts") / (package.rpartition(".")[2] + ".py")]
    return sorted(package_dir(package).rglob("*.py"))


def calbot_imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "calbot":
                names = [f"calbot.{alias.name}" for alias in node.names]
        found += [name for name in names if name == "calbot" or name.startswith("calbot.")]
    return found


def allowed(module: str, package: str) -> bool:
    own = () if package in RESULT_MODEL else (package,)
    prefixes = (*own, *LAYERS[package])
    if module == "calbot.__version__":
        return "calbot.__init__" in LAYERS[package] or package.startswith("calbot.contracts")
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


CASES = [(package, path) for package in LAYERS for path in files_of(package)]


@pytest.mark.parametrize(("package", "path"), CASES, ids=[f"{p}:{f.name}" for p, f in CASES])
def test_imports_stay_in_the_layer(package: str, path: Path) -> None:
    for module in calbot_imports(path):
        assert allowed(module, package), f"{package} ({path.name}) imports {module}"


def test_contracts_never_import_the_adapters_or_the_reports() -> None:
    outer = (
        "calbot.cli",
        "calbot.server",
        "calbot.pytest",
        "calbot.reports",
        "calbot.proxy",
        "calbot.conformance",
        "calbot.client_fixture",
    )
    for path in sorted(package_dir("calbot.contracts").rglob("*.py")):
        for module in calbot_imports(path):
            assert not module.startswith(outer), f"contracts ({path.name}) imports {module}"


def test_the_domain_does_no_io() -> None:
    for path in files_of("calbot.contracts.domain"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {
            alias.name.partition(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").partition(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert not modules & {"httpx", "socket", "asyncio", "subprocess", "uvicorn"}, path.name


def test_generators_use_only_hypothesis_beside_the_spec() -> None:
    for path in files_of("calbot.generators"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.partition(".")[0]
                assert top in sys.stdlib_module_names or top in {"calbot", "hypothesis"}, (
                    f"{path.name} imports {node.module}"
                )


def test_the_generators_public_api_is_exported() -> None:
    for name in calbot.generators.__all__:
        assert getattr(calbot.generators, name) is not None
    assert "meeting_urls" in calbot.generators.__all__


ADAPTERS = ("calbot.cli", "calbot.pytest")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_adapter_never_imports_another(adapter: str) -> None:
    """The CLI and the pytest plugin share what they both need below them (the status line is
    in `calbot.conformance.status`), not through each other."""
    others = [other for other in ADAPTERS if other != adapter]
    for path in sorted(package_dir(adapter).rglob("*.py")):
        for module in calbot_imports(path):
            crossing = any(module == other or module.startswith(f"{other}.") for other in others)
            assert not crossing, f"{adapter} ({path.name}) imports {module}"
