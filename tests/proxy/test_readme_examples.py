"""The README's "Checking live traffic" examples, run as written: the shell one (a client
through `calbot proxy` in front of `calbot serve`, then both reports) and the pytest one."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text().split("## Checking live traffic", 1)[1].split("\n## ")[0]
SHELL_EXAMPLE = re.findall(r"```sh\n(.+?)\n```", SECTION, re.DOTALL)[0]
PYTEST_EXAMPLE = re.findall(r"```python\n(.+?)\n```", SECTION, re.DOTALL)[0]

# The client's tests: schedule on an event, handling a 429 politely (sleeping Retry-After) or
# not (retrying at once).
CLIENT = """\
#!{python}
import os, time
import httpx

http = httpx.Client(base_url=os.environ["RECALL_BASE_URL"],
                    headers={{"Authorization": "Token " + os.environ["RECALL_API_KEY"]}})
params = {{"start_time": "2031-01-01T10:00:00Z", "end_time": "2031-01-01T10:30:00Z",
          "meeting_url": "https://meet.google.com/abc-defg-hij"}}
event = http.post("/_calbot/states", json={{"state": "a calendar event", "params": params}}).json()
path = f"/api/v2/calendar-events/{{event['id']}}/bot/"
body = {{"deduplication_key": "2031-01-01T10:00:00Z-https://meet.google.com/abc-defg-hij",
        "bot_config": {{"bot_name": "Notetaker"}}}}
for attempt in range(3):
    answer = http.post(path, json=body)
    if answer.status_code != 429:
        break
    if {polite}:
        time.sleep(float(answer.headers["Retry-After"]))
bot_id = answer.json()["bots"][0]["bot_id"]
assert http.get(f"/api/v1/bot/{{bot_id}}/").json()["meeting_url"]["platform"] == "google_meet"
http.get(f"/api/v2/calendar-events/{{event['id']}}/")
http.delete(path)
"""

Serve = Callable[..., AbstractContextManager[tuple[Any, str, float]]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def verdict(folder: Path) -> str:
    data = json.loads((folder / "calbot-result.json").read_text())
    return str(data["verdict"])


@pytest.mark.slow
@pytest.mark.parametrize(("polite", "exit_code"), [(True, 0), (False, 1)])
def test_the_shell_example(
    tmp_path: Path, serve_process: Serve, polite: bool, exit_code: int
) -> None:
    client = tmp_path / "client-tests.sh"
    client.write_text(CLIENT.format(python=sys.executable, polite=polite))
    client.chmod(0o755)
    bin_dir = Path(sys.executable).parent
    fault = "--fault", "429:1:op=schedule:retry-after=1"
    with serve_process("--api-key", "test-key", *fault) as (_process, url, _ready):
        env = {
            **os.environ,
            "RECALL_BASE_URL": url,
            "RECALL_API_KEY": "test-key",
            "PROXY_PORT": str(free_port()),
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
        }
        done = subprocess.run(
            ["bash", "-c", SHELL_EXAMPLE],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = done.stdout + done.stderr
    assert done.returncode == exit_code, output
    lines = (tmp_path / "ledger.jsonl").read_text().splitlines()
    # the event, 429, schedule, bot, event, unschedule: all recorded (the readiness probe is
    # the proxy's own, never forwarded nor recorded)
    assert len(lines) == 6
    assert f"calbot proxy stopped after {len(lines)} requests" in done.stdout, output
    # -q: the proxy says one line at exit; each verdict is printed once, by its own command
    assert done.stdout.count("client:") == 0 and done.stdout.count("upstream:") == 0, output
    assert verdict(tmp_path / "upstream-report") == "conformant"
    expected = "conformant" if polite else "non-conformant"
    assert verdict(tmp_path / "client-report") == expected
    assert "test-key" not in "".join(lines) + output


@pytest.mark.slow
def test_the_pytest_example(tmp_path: Path) -> None:
    (tmp_path / "test_through_the_proxy.py").write_text(PYTEST_EXAMPLE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALL_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert (tmp_path / "ledger.jsonl").read_text().count("\n") == 4
