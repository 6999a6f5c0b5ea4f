"""Settings from calbot.toml or [tool.calbot] in pyproject.toml; `--show-config`, `--list`."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from calbot.cli import cli
from calbot.cli.config_file import ConfigError, find, load

KEY = "sk_from_the_file_123"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def invoke(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    """`calbot ARGS` in `cwd`, with no CALBOT_* variables but `env`."""
    clean = {name: None for name in os.environ if name.startswith("CALBOT_")}
    with contextlib.chdir(cwd):
        return CliRunner().invoke(cli, args, env={**clean, **(env or {})}, catch_exceptions=False)


def test_found_from_the_working_directory_up(tmp_path: Path) -> None:
    project = write(tmp_path / "pyproject.toml", "[tool.calbot]\nseed = 1\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find(deep) == project


def test_calbot_toml_wins_in_one_directory_and_plain_pyprojects_are_passed_by(
    tmp_path: Path,
) -> None:
    write(tmp_path / "pyproject.toml", "[tool.calbot]\nseed = 1\n")
    own = write(tmp_path / "calbot.toml", "seed = 2\n")
    assert find(tmp_path) == own
    inner = write(tmp_path / "inner" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find(inner.parent) == own


def test_tables_set_other_commands(tmp_path: Path) -> None:
    path = write(tmp_path / "calbot.toml", "seed = 3\n[serve]\nport = 9000\n")
    config = load(path, {"run", "serve"})
    assert config.commands == {"run": {"seed": 3}, "serve": {"port": 9000}}
    with pytest.raises(ConfigError, match=r"\[nope\] is not a calbot command"):
        load(write(tmp_path / "bad.toml", "[nope]\nx = 1\n"), {"run", "serve"})


def _run_json(root: Path, cwd: Path, args: list[str], env: dict[str, str] | None = None) -> Any:
    """Run in `cwd`; the one result written anywhere under `root`."""
    result = invoke(["run", "--report", "json", *args], cwd, env)
    assert result.exit_code == 0, result.output
    files = list(root.rglob("calbot-result.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text())


def test_settings_apply_and_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.calbot]\ncontracts = ["dedup"]\nseed = 11\nreport-dir = "reports/here"\n',
    )
    (tmp_path / "sub").mkdir()
    data = _run_json(tmp_path, tmp_path / "sub", [])
    assert data["seed"] == 11
    assert {c["contract"] for c in data["checks"]} == {"dedup"}
    assert (tmp_path / "reports" / "here" / "calbot-result.json").is_file()


def test_the_command_line_wins_over_env_over_the_file(tmp_path: Path) -> None:
    write(tmp_path / "calbot.toml", 'contracts = "dedup"\nseed = 11\nreport-dir = "out"\n')
    data = _run_json(tmp_path, tmp_path, ["--seed", "12"], env={"CALBOT_API_KEY": KEY})
    assert data["seed"] == 12
    shown = invoke(["run", "--show-config"], tmp_path, {"CALBOT_API_KEY": KEY}).output
    assert "(env CALBOT_API_KEY)" in shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("urll = 'x'\n", "unknown setting 'urll' for calbot run (known: "),
        ("strict = 'yes'\n", "strict is a flag: use true or false"),
        ("seed = [1, [2]]\n", "seed: use a list of plain values"),
        ("seed = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "calbot.toml", text)
    result = invoke(["run"], tmp_path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert message in lines[0]
    assert not (tmp_path / "calbot-report").exists()


def test_a_bad_value_is_a_usage_error_naming_the_option(tmp_path: Path) -> None:
    write(tmp_path / "calbot.toml", 'rate-limit = "lots"\nreport-dir = "out"\n')
    result = invoke(["run", "-q"], tmp_path)
    assert result.exit_code == 2
    assert "--rate-limit" in result.output


def test_no_config_and_an_explicit_file(tmp_path: Path) -> None:
    write(tmp_path / "calbot.toml", "urll = 1\n")
    assert invoke(["--no-config", "run", "--list"], tmp_path).exit_code == 0
    other = write(tmp_path / "elsewhere" / "ci.toml", "seed = 5\n")
    shown = invoke(["--config", str(other), "run", "--show-config"], tmp_path).output
    assert f"settings file: {other}" in shown
    assert "5" in shown.split("--seed", 1)[1].splitlines()[0]


def test_show_config_masks_keys_wherever_they_come_from(tmp_path: Path) -> None:
    write(tmp_path / "calbot.toml", f'api-key = "{KEY}"\nurl = "http://127.0.0.1:1/{KEY}"\n')
    result = invoke(["run", "--show-config"], tmp_path)
    assert result.exit_code == 0
    assert KEY not in result.output
    assert "****" in result.output
    assert not (tmp_path / "calbot-report").exists()


def test_list_prints_checks_rules_and_evidence_without_running(tmp_path: Path) -> None:
    from calbot.contracts.engine.runner import all_checks, select

    result = invoke(["run", "--list", "--contracts", "ended"], tmp_path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    ended = select(all_checks(), ["ended"])
    assert lines[0].startswith(f"{len(ended)} checks")
    assert all(any(spec.id in line for line in lines) for spec in ended)
    assert any(
        "ended::refused-with-documented-body" in line and "MUST" in line and "documented" in line
        for line in lines
    )
    assert "https://docs.recall.ai/reference/calendar_events_bot_create" in result.output
    assert not (tmp_path / "calbot-report").exists()
