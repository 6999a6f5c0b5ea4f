"""The README's two set-up commands are the ones CI runs."""

import json
import re
from pathlib import Path

import pytest

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


def readme_python(section: str) -> str:
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.+?)\n```", body, re.DOTALL)
    return code


def test_the_from_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As written, against `calbot serve`'s reference server at its URL; narrowed to one
    contract (the example names none) so that it takes a second, not the documented minute
    of the rate-limit burst."""
    from functools import partial

    import calbot
    from calbot.server import ServerConfig, running

    code = readme_python("From Python")
    assert 'url="http://127.0.0.1:8000"' in code
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(calbot, "Conformance", partial(calbot.Conformance, contracts=["dedup"]))
    with running(ServerConfig()) as url:
        code = code.replace("http://127.0.0.1:8000", url)
        exec(compile(code, "README.md (From Python)", "exec"), {})
    written = sorted(path.name for path in (tmp_path / "calbot-report").iterdir())
    assert written == [
        "calbot-junit.xml",
        "calbot-report.html",
        "calbot-report.md",
        "calbot-result.json",
    ]
    result = json.loads((tmp_path / "calbot-report" / "calbot-result.json").read_text())
    assert result["verdict"] == "conformant", result["incomplete"]


VERDICT_LINE = re.compile(r"^(?:NON-)?CONFORMANT · (.+) · [\d.]+s$", re.MULTILINE)
COVERAGE_LINE = re.compile(r"coverage: (\d+) of (\d+) behaviours exercised")


def test_the_sample_outputs_count_every_check_and_behaviour() -> None:
    """The README's sample runs are full runs: their counts add up to the catalogue's checks,
    and their coverage lines to its behaviours (a new check makes this fail until the samples
    are run again)."""
    from calbot.contracts.behaviours import BEHAVIOURS
    from calbot.contracts.engine.runner import all_checks

    text = (ROOT / "README.md").read_text()
    verdicts = VERDICT_LINE.findall(text)
    assert len(verdicts) >= 2, verdicts
    for counts in verdicts:
        total = sum(int(count) for count in re.findall(r"(\d+) (?:passed|failed|skipped)", counts))
        assert total == len(all_checks()), counts
    coverage = COVERAGE_LINE.findall(text)
    assert coverage
    assert {int(of) for _, of in coverage} == {len(BEHAVIOURS)}
    assert f"{len(all_checks())} lines of checks" in text
