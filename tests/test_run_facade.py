"""One run facade (`calbot.conformance`): the CLI and the pytest plugin start runs only through
it, the engine speaks no front end's flags, and the run's defaults have one home.

Read from the source with `ast`, as `test_layering` does: a lazy import inside a function, or
one for a type checker, counts too.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from _pytest.config.argparsing import Argument, Parser
from click.testing import CliRunner

import calbot
import calbot.conformance
import calbot.contracts
from calbot.cli import cli
from calbot.cli.run_cmd import run as run_command
from calbot.conformance import MAX_EXAMPLES, MAX_WAIT, TIMEOUT, Conformance, Setting
from calbot.conformance.run import open_run
from calbot.contracts.domain.operations import EVENT_BOT
from calbot.pytest import plugin

SRC = Path(calbot.__file__).parent
CONTRACTS = Path(calbot.contracts.__file__).parent
ENGINE = "calbot.contracts.engine"
# Leaves the engine with issue 19's text helpers (`calbot.spec.text`): drop it then.
# curl's own options, in the reproduction commands (not a calbot front end's).
CURL_OPTIONS = {"--data-binary", "--data-raw"}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def imported(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def strings(path: Path) -> list[str]:
    """Every string constant of a module: docstrings, messages, the parts of f-strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def plugin_options() -> list[Argument]:
    """The options the plugin registers, as pytest gets them."""
    parser = Parser(_ispytest=True)
    plugin.pytest_addoption(parser)
    return list(parser.getgroup("calbot").options)


ADAPTERS = sorted([*(SRC / "cli").glob("*.py"), *(SRC / "pytest").glob("*.py")])


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_cli_and_the_plugin_import_no_engine_module(path: Path) -> None:
    """They start runs through the facade; the engine is its business."""
    for module in imported(path):
        assert not (module == ENGINE or module.startswith(f"{ENGINE}.")), (
            f"{path.parent.name}/{path.name} imports {module}: go through calbot.conformance"
        )


ENGINE_AND_CHECKS = sorted(
    [*(CONTRACTS / "engine").glob("*.py"), *(CONTRACTS / "checks").glob("*.py")]
)


@pytest.mark.parametrize("path", ENGINE_AND_CHECKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_engine_and_the_checks_name_no_flag(path: Path) -> None:
    """They name a `Setting`; the front end that started the run spells it."""
    allowed = CURL_OPTIONS if path.name == "curl.py" else set()
    for text in strings(path):
        named = set(FLAG.findall(text)) - allowed
        assert not named, f"{path.parent.name}/{path.name} names {sorted(named)} in {text!r}"


def test_the_flag_pattern_finds_a_flag_in_a_message() -> None:
    assert FLAG.findall("past --max-wait 5 s (a larger --max-wait lets calbot wait)") == [
        "--max-wait",
        "--max-wait",
    ]
    assert FLAG.findall("a max_wait of 5 s, 2--3 tries") == []


def test_every_setting_is_spelled_as_an_option_of_each_front_end() -> None:
    from calbot.cli.run_flags import FLAGS as CLI_FLAGS
    from calbot.pytest.settings import FLAGS as PYTEST_FLAGS

    assert set(CLI_FLAGS) == set(Setting) == set(PYTEST_FLAGS)
    run_options = {opt for param in run_command.params for opt in param.opts}
    assert set(CLI_FLAGS.values()) <= run_options
    names = {name for option in plugin_options() for name in option.names()}
    assert set(PYTEST_FLAGS.values()) <= names


def test_the_defaults_have_one_home_read_by_both_front_ends() -> None:
    defaults = {"max_wait": MAX_WAIT, "max_examples": MAX_EXAMPLES, "timeout": TIMEOUT}
    by_name = {param.name: param.default for param in run_command.params}
    assert {name: by_name[name] for name in defaults} == defaults
    given = {option.dest: option.default for option in plugin_options()}
    assert {name: given[f"calbot_{name}"] for name in defaults} == defaults
    options = Conformance()
    assert (options.max_wait, options.max_examples, options.timeout) == (
        MAX_WAIT,
        MAX_EXAMPLES,
        TIMEOUT,
    )


def test_the_facade_loads_no_engine_module_until_a_run_opens() -> None:
    """The pytest plugin reads the defaults on every pytest run: that must stay cheap."""
    code = (
        "import sys, calbot.conformance\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('calbot.')"
        " or '.' not in m)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.strip().split(","))
    engine = {m for m in loaded if m.startswith(f"{ENGINE}.")}
    assert engine <= {f"{ENGINE}.activity", f"{ENGINE}.defaults", f"{ENGINE}.settings"}
    third_party = {m for m in loaded if "." not in m} - set(sys.stdlib_module_names)
    assert third_party <= {"calbot", "__main__"} | {m for m in third_party if m.startswith("_")}


def test_the_facades_lazy_names_are_its_run_modules() -> None:
    from calbot.conformance import run

    assert set(run.__all__) == calbot.conformance._FROM_RUN
    for name in calbot.conformance.__all__:
        assert getattr(calbot.conformance, name) is not None, name


def test_a_cli_run_builds_the_target_once_and_says_it_is_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header comes from the run's own target: no second app to print it."""
    import calbot.server

    built: list[object] = []
    create_app = calbot.server.create_app

    def counted(*args: object, **kwargs: object) -> object:
        built.append(args)
        return create_app(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calbot.server, "create_app", counted)
    args = ["run", "--contracts", "dedup", "--seed", "3", "--report-dir", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(built) == 1
    header = result.output.splitlines()[0]
    assert header.startswith("calbot run: built-in reference server (in-process), budget ")
    assert header.endswith("· seed 3 · state: provider states at /_calbot/states (in-process)")
    assert "127.0.0.1:8080" not in header


def test_an_opened_run_describes_itself_before_sending_anything() -> None:
    with open_run(
        Conformance(url="http://127.0.0.1:9", api_key="k-secret-key-1234", seed=4)
    ) as opened:
        described = opened.describe()
        assert opened.activity.requests == 0
    assert (described.target, described.seed) == ("http://127.0.0.1:9", 4)
    assert described.state_setup == "no state setup"
    fresh = open_run(Conformance(url="http://127.0.0.1:9"))
    fresh.close()
    assert isinstance(fresh.seed, int)  # a seed is chosen when the run opens


def test_a_usage_error_exit_code_comes_from_the_one_home() -> None:
    from calbot.conformance import ExitCode

    assert click.UsageError("x").exit_code == ExitCode.COULD_NOT_RUN


def test_a_check_run_by_itself_shows_in_the_activity() -> None:
    """The pytest plugin runs checks one by one: its status line reads the same activity."""
    from calbot.conformance import select_checks

    [spec] = select_checks(["dedup::same-key-same-bot"])
    with open_run(Conformance(max_examples=1, seed=4)) as opened:
        seen: list[str | None] = []
        send = opened.target._send_once

        def recording(*args: object) -> object:
            seen.append(opened.activity.check)
            return send(*args)  # type: ignore[arg-type]

        opened.target._send_once = recording  # type: ignore[assignment,method-assign]
        assert opened.check(spec).status.value == "passed"
        assert seen and set(seen) == {spec.id}
        assert opened.activity.check is None


def test_a_runs_burst_sends_travel_to_another_run_on_the_wall_clock() -> None:
    """What an xdist worker sent, as another worker's run counts it before the burst."""
    from calbot.conformance import select_checks

    with (
        open_run(Conformance(max_examples=1, seed=4)) as sender,
        open_run(Conformance(max_examples=1, seed=4)) as burst,
    ):
        assert sender.burst_sends() == []
        sender.check(select_checks(["dedup::same-key-same-bot"])[0])
        sends = sender.burst_sends()
        assert sends and all(abs(moment - time.time()) < 60 for moment in sends)
        burst.heard_burst_sends(sends)
        budget = burst.burst_budget()
        assert budget is not None
        assert burst.target.pacer.recent(("POST", EVENT_BOT), budget.period) == len(sends)
