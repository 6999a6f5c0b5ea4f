"""`calbot serve`: ready line, options, clean stop on SIGTERM/SIGINT, one-line errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from calbot.cli import cli
from calbot.server import bind

FRESH_HEALTH = {
    "status": "ok",
    "events": 0,
    "bots": 0,
    "max_events_per_workspace": 10_000,
    "evicted": {"events": 0, "bots": 0},
}


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


COMMAND = [sys.executable, "-m", "calbot", "serve"]
Serve = Callable[..., AbstractContextManager[Any]]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_is_ready_and_stops_cleanly(sig: signal.Signals, serve_process: Serve) -> None:
    with serve_process() as (process, url, _):  # how soon: benchmarks/first_run.py
        assert httpx.get(f"{url}/_calbot/health").json() == FRESH_HEALTH
        process.send_signal(sig)
        assert process.wait(timeout=5) == 0
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read() == ""
        assert "Traceback" not in process.stderr.read()


def test_serve_passes_its_options_to_the_server(serve_process: Serve) -> None:
    options = [
        "--rate-limit",
        "2/60s",
        "--api-key",
        "k1",
        "--api-key",
        "k2",
        "--max-body-bytes",
        "300",
    ]
    with serve_process(*options) as (process, url, _):
        with httpx.Client(base_url=url) as http:
            path = "/api/v2/calendar-events/0b8c7f5e-1111-4a2b-9c3d-1234567890ab/"
            assert http.get(path).status_code == 401
            assert http.get(path, headers={"authorization": "Token k1"}).status_code == 404
            assert http.get(path, headers={"authorization": "k2"}).status_code == 404
            assert http.get(path, headers={"authorization": "k1"}).status_code == 404
            throttled = http.get(path, headers={"authorization": "k1"})
            assert throttled.status_code == 429 and throttled.headers["retry-after"]
            big = http.post("/_calbot/states", content=b"x" * 301, headers={"authorization": "k1"})
            assert big.status_code == 413
        process.terminate()
        assert process.wait(timeout=5) == 0


def test_a_busy_port_is_a_one_line_error_and_exit_2() -> None:
    with bind() as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_a_busy_port_in_a_real_process_has_no_traceback() -> None:
    with bind() as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=20, check=False
        )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: cannot listen")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--rate-limit", "lots"], "error: --rate-limit: 'lots' is not N/PERIOD"),
        (["--rate-limit", "0/1s"], "error: --rate-limit: '0/1s': the limit and the period"),
        (["--api-key", "two words"], "error: --api-key: API keys must be non-empty"),
        (["--host", "256.0.0.1"], "error: cannot listen on 256.0.0.1:0: unknown host"),
    ],
)
def test_bad_values_are_one_line_errors_and_exit_2(options: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", *options])
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "options",
    [
        ["--port", "70000"],
        ["--max-body-bytes", "-1"],
        ["--nope"],
        ["--request-timeout", "0"],
        ["--idle-timeout", "-1"],
        ["--max-connections", "0"],
        ["--max-header-bytes", "100"],
        ["--max-events", "0"],
        ["--refusal-log-level", "loud"],
    ],
)
def test_usage_errors_exit_2_without_a_traceback(options: list[str]) -> None:
    result = CliRunner().invoke(cli, ["serve", *options])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_defaults_are_the_servers() -> None:
    from calbot.cli import serve_cmd
    from calbot.server import config

    assert serve_cmd.DEFAULT_MAX_BODY_BYTES == config.DEFAULT_MAX_BODY_BYTES
    assert serve_cmd.DEFAULT_MAX_EVENTS == config.DEFAULT_MAX_EVENTS
    limits = config.Limits()
    assert limits.request_timeout == serve_cmd.DEFAULT_REQUEST_TIMEOUT
    assert limits.idle_timeout == serve_cmd.DEFAULT_IDLE_TIMEOUT
    assert limits.max_connections == serve_cmd.DEFAULT_MAX_CONNECTIONS
    assert limits.max_header_bytes == serve_cmd.DEFAULT_MAX_HEADER_BYTES
    assert limits.shutdown_grace == serve_cmd.DEFAULT_SHUTDOWN_GRACE


def test_serve_passes_its_limits_and_logs_refusals_once_at_the_chosen_level(
    serve_process: Serve,
) -> None:
    options = ["--max-header-bytes", "2048", "--max-events", "1", "--idle-timeout", "0.3"]
    options += ["--refusal-log-level", "warning"]
    with serve_process(*options) as (process, url, _):
        with httpx.Client(base_url=url) as http:
            big = http.get("/_calbot/health", headers={"x-big": "b" * 3000})
            assert big.status_code == 431
            assert big.json() == {
                "detail": "Request header fields too large: the limit is 2048 bytes."
            }
            assert http.get("/_calbot/health").json()["max_events_per_workspace"] == 1
        with socket.create_connection(address(url), timeout=5) as idle:
            assert idle.recv(100) == b""  # closed after --idle-timeout, nothing sent
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert process.stderr is not None
        lines = process.stderr.read().splitlines()
    refusals = [line for line in lines if "431" in line]
    assert len(refusals) == 1 and refusals[0].startswith("WARNING:"), lines


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--rate-limit", "--api-key", "--max-body-bytes"):
        assert option in result.output
    assert "serve" in CliRunner().invoke(cli, ["--help"]).output
