"""The README's two set-up commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_has_a_main_job_and_a_test_command() -> None:
    main_job, tests = readme_commands()
    assert main_job.startswith("python3 -m venv .venv") and ".venv/bin/calbot " in main_job
    assert tests.startswith("python3 -m venv .venv")
    assert tests.endswith(".venv/bin/pytest -n auto")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    block = ci.split("# --- begin README test command", 1)[1].split("# --- end", 1)[0]
    ran = [line for line in block.splitlines()[1:] if line.strip()]
    assert ran == [readme_commands()[1]]
