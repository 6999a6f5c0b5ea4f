"""`calbot run --url --state-url` against `calbot serve` in another process, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

CALBOT = [sys.executable, "-m", "calbot"]
KEY = "sk_two_processes"
SECOND_KEY = "sk_two_processes_second_workspace"


@pytest.fixture
def served(serve_process: Callable[..., AbstractContextManager[Any]]) -> Iterator[str]:
    keys = ("--api-key", KEY, "--api-key", SECOND_KEY)  # two workspaces
    with serve_process("--rate-limit", "100/1s", *keys) as (server, url, _):
        yield url
        server.terminate()
        assert server.wait(timeout=10) == 0


@pytest.mark.slow
def test_run_passes_the_served_reference_server(served: str, tmp_path: Path) -> None:
    command = [
        *CALBOT,
        "run",
        "--url",
        served,
        "--state-url",
        "/_calbot/states",
        "--api-key",
        KEY,
        "--second-api-key",
        SECOND_KEY,
        "--rate-limit",
        "100/1s",
        "--seed",
        "5",
        "--report",
        "json",
        "--report-dir",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "calbot-result.json").read_text())
    assert result["verdict"] == "conformant"
    assert {c["status"] for c in result["checks"]} == {"passed"}
    assert KEY not in done.stdout + done.stderr
    assert SECOND_KEY not in done.stdout + done.stderr
