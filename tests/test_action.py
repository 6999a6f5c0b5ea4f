"""The GitHub Action (action.yml): its inputs reach the script only through `env:`, and the
script runs calbot against `calbot serve` as the action does, with the same variables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
SCRIPT = ROOT / "scripts" / "github-action"
KEY = "sk_action_key_123"


def action() -> dict[str, Any]:
    loaded = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_action_takes_the_documented_inputs() -> None:
    inputs = action()["inputs"]
    for name in ("url", "state-url", "api-key", "rate-limit", "args", "version"):
        assert name in inputs, name
        assert inputs[name]["description"]
    assert action()["runs"]["using"] == "composite"


def test_inputs_reach_shell_only_through_env() -> None:
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"


def test_summary_and_upload_run_whatever_the_verdict() -> None:
    steps = {step["name"]: step for step in action()["runs"]["steps"]}
    assert steps["Step summary"]["if"] == "always()"
    upload = steps["Upload the reports"]
    assert upload["if"] == "always()"
    assert upload["uses"].startswith("actions/upload-artifact@")


def _script(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), command],
        env={**os.environ, "CALBOT_PYTHON": sys.executable, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def served(serve_process: Callable[..., AbstractContextManager[Any]]) -> Iterator[str]:
    with serve_process("--rate-limit", "100/1s", "--api-key", KEY) as (_, url, _ready):
        yield url


@pytest.mark.slow
def test_the_action_script_runs_calbot_against_serve(served: str, tmp_path: Path) -> None:
    env = {
        "CALBOT_URL": served,
        "CALBOT_STATE_URL": "/_calbot/states",
        "CALBOT_API_KEY": KEY,
        "CALBOT_RATE_LIMIT": "100/1s",
        "CALBOT_ARGS": "--contracts 'dedup,ended' --seed 3 --report md,json",
        "CALBOT_REPORT_DIR": "reports here",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = _script("run", env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _outputs(tmp_path / "output") == {"exit-code": "0", "verdict": "conformant"}
    assert (tmp_path / "reports here" / "calbot-result.json").is_file()
    summary = _script("summary", env, tmp_path)
    assert summary.returncode == 0, summary.stderr
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "CONFORMANT" in text.upper()
    assert "dedup::same-key-same-bot" in text
    everything = done.stdout + done.stderr + text
    assert KEY not in everything


def test_inputs_are_data_not_code(tmp_path: Path) -> None:
    env = {
        "CALBOT_URL": "http://127.0.0.1:9/$(touch pwned-url)",
        "CALBOT_ARGS": '--seed "$(touch pwned-args)" `touch pwned-tick`',
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    done = _script("run", env, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert not list(tmp_path.glob("pwned*"))
    assert re.search(r"--seed|Invalid value", done.stderr), done.stderr
    assert _outputs(tmp_path / "output")["exit-code"] == "2"


def test_an_unsplittable_args_input_is_one_clear_line(tmp_path: Path) -> None:
    done = _script("run", {"CALBOT_ARGS": "--strict 'unclosed"}, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: the action's args input cannot be split: No closing quotation"
    )


def test_the_summary_says_when_no_report_was_written(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"CALBOT_REPORT_DIR": "missing", "GITHUB_STEP_SUMMARY": str(summary)}
    done = _script("summary", env, tmp_path)
    assert done.returncode == 0
    assert "no report was written" in summary.read_text(encoding="utf-8")
