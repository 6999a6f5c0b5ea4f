"""The README's examples, run as written: a pytest suite using `calbot_server`, and a CI
script where a client in another language (curl in bash) runs against `calbot serve --record`
and `calbot client-report` gives the verdict."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PYTEST_EXAMPLE = '''\
import time

import httpx
import pytest

from calbot.client_fixture import ClientServerOptions

RETRYABLE = {409, 429, 502, 503, 504, 507}


class RecallClient:
    """The client under test: schedules a bot on a calendar event, politely."""

    def __init__(self, http: httpx.Client, sleep=time.sleep, attempts: int = 5) -> None:
        self.http, self.sleep, self.attempts = http, sleep, attempts

    def schedule(self, event: dict, bot_config: dict) -> dict | None:
        path = f"/api/v2/calendar-events/{event['id']}/bot/"
        body = {
            "deduplication_key": f"{event['start_time']}-{event['meeting_url']}",
            "bot_config": bot_config,  # the full config, every time
        }
        delay = 1.0
        for _ in range(self.attempts):
            response = self.http.post(path, json=body)
            if response.status_code == 200:
                return response.json()
            if response.status_code not in RETRYABLE:
                return None  # e.g. 400 "Cannot schedule bot as calendar event has ended."
            retry_after = response.headers.get("Retry-After")
            self.sleep(float(retry_after) if retry_after else delay)
            delay *= 2
        return None


@pytest.fixture
def calbot_server_options():  # optional: these are the defaults, but for the key
    return ClientServerOptions(api_key="sk-test", tight_loop="5/1s", strict_warnings=False)


def test_schedules_through_a_throttle(calbot_server):
    event = calbot_server.create_event()  # an upcoming event; "ended" for an ended one
    calbot_server.fail_next(1, status=429, retry_after=30)
    with calbot_server.client() as http:  # in-process; or httpx.Client(base_url=calbot_server.url)
        client = RecallClient(http, sleep=calbot_server.sleep)  # fake sleep: moves the server clock
        scheduled = client.schedule(event, {"bot_name": "Notetaker"})
    assert scheduled["bots"][0]["deduplication_key"].startswith(event["start_time"])
    assert [r.status for r in calbot_server.ledger if r.operation] == [429, 200]
    # at teardown the ledger is checked: a broken client rule fails this test


def test_survives_an_outage_and_a_conflict(calbot_server):
    calbot_server.scenario("outage-2")  # the next two requests: 503
    calbot_server.fault("409:1:op=schedule")  # then a 409, as `calbot serve --fault` reads it
    with calbot_server.client() as http:
        client = RecallClient(http, sleep=calbot_server.sleep)
        assert client.schedule(calbot_server.create_event(), {"bot_name": "Notetaker"})


def test_leaves_ended_events_alone(calbot_server):
    with calbot_server.client() as http:
        client = RecallClient(http, sleep=calbot_server.sleep)
        assert client.schedule(calbot_server.create_event("ended"), {}) is None


@pytest.mark.calbot_relaxed  # report the violations, do not fail: assert on them yourself
def test_a_careless_client_is_told_what_it_did(calbot_server):
    event = calbot_server.create_event()
    calbot_server.fail_next(1, status=429, retry_after=30)
    with calbot_server.client() as http:
        for _ in range(2):  # retries at once, ignoring Retry-After
            http.post(
                f"/api/v2/calendar-events/{event['id']}/bot/",
                json={"deduplication_key": "standup", "bot_config": {}},
            )
    assert [v.rule for v in calbot_server.violations()] == ["client.retry-after"]
'''


@pytest.mark.slow
def test_the_pytest_example(tmp_path: Path) -> None:
    (tmp_path / "test_recall_client.py").write_text(PYTEST_EXAMPLE)
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list(ET.parse(junit).getroot().iter("testcase"))) == 4


CI_EXAMPLE = """\
set -euo pipefail
calbot serve --port "$PORT" --api-key test-key --record ledger.jsonl \\
    --fault 429:1:op=schedule:retry-after=1 &
server=$!
until curl -fsS "http://127.0.0.1:$PORT/_calbot/health" >/dev/null 2>&1; do sleep 0.1; done

CALBOT_URL="http://127.0.0.1:$PORT" CALBOT_API_KEY=test-key ./client-tests.sh

kill "$server" && wait "$server"
calbot client-report ledger.jsonl --report-dir calbot-report
"""

CLIENT = """\
#!/usr/bin/env bash
# A tiny client: create an event, then schedule a bot on it, retrying on 429.
set -euo pipefail
auth="Authorization: Token $CALBOT_API_KEY"
json="Content-Type: application/json"
params='{"start_time": "2031-01-01T10:00:00Z", "end_time": "2031-01-01T10:30:00Z",
         "meeting_url": "https://meet.google.com/abc-defg-hij"}'
event=$(curl -fsS -X POST "$CALBOT_URL/_calbot/states" -H "$auth" -H "$json" \\
    -d "{\\"state\\": \\"a calendar event\\", \\"params\\": $params}" | jq -r .id)
body='{"deduplication_key": "2031-01-01T10:00:00Z-https://meet.google.com/abc-defg-hij",
       "bot_config": {"bot_name": "Notetaker"}}'
for attempt in 1 2 3; do
  status=$(curl -sS -o /dev/null -D headers.txt -w '%{http_code}' -X POST \\
      "$CALBOT_URL/api/v2/calendar-events/$event/bot/" -H "$auth" -H "$json" -d "$body")
  [ "$status" = 429 ] || break
  WAIT "$(grep -i '^retry-after:' headers.txt | tr -d '\\r' | cut -d' ' -f2)"
done
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
@pytest.mark.parametrize(("wait", "exit_code"), [("sleep", 0), (":", 1)])
def test_the_ci_example_with_a_shell_client(tmp_path: Path, wait: str, exit_code: int) -> None:
    client = tmp_path / "client-tests.sh"
    client.write_text(CLIENT.replace("WAIT", wait))
    client.chmod(0o755)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PORT": str(free_port()), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", CI_EXAMPLE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == exit_code, done.stdout + done.stderr
    data = json.loads((tmp_path / "calbot-report" / "calbot-result.json").read_text())
    statuses = {check["rule"]: check["status"] for check in data["checks"]}
    expected = "passed" if exit_code == 0 else "failed"
    assert statuses["client.retry-after"] == expected
    assert statuses["client.retries-throttled"] == "passed"
