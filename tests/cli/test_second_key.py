"""`calbot run --second-api-key` (or CALBOT_SECOND_API_KEY): the workspace checks run with it,
it is masked like the first key everywhere (terminal, curl commands, every report), and a key
the target refuses is the user's mistake (exit 2), never a finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from calbot.cli import cli
from calbot.server import Handler, Request, Response, ServerConfig, running
from calbot.spec.throttles import RateLimit

KEY, SECOND = "sk_cli_first_secret", "sk_cli_second_secret"
BUDGET = RateLimit(100, 1.0)


def leak(request: Request, following: Handler) -> Response:
    """Gives any bot to any workspace: the reference server's 404 becomes the bot."""
    response = following(request)
    if request.path.startswith("/api/v1/bot/") and response.status == 404:
        return Response(200, {"id": request.path.split("/")[-2], "bot_name": "leaked"})
    return response


def invoke(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    common = ["run", "--url", url, "--state-url", "/_calbot/states", "--rate-limit", "100/1s"]
    return CliRunner(env=env).invoke(cli, [*common, *args], catch_exceptions=False)


@pytest.mark.parametrize("via", ["option", "env"])
def test_the_second_key_runs_the_workspace_checks_and_is_masked_everywhere(
    via: str, tmp_path: Path
) -> None:
    config = ServerConfig(api_keys=(KEY, SECOND), rate_limit=BUDGET, hooks=(leak,))
    given = ["--second-api-key", SECOND] if via == "option" else []
    env = {"CALBOT_SECOND_API_KEY": SECOND} if via == "env" else None
    with running(config) as url:
        result = invoke(
            url,
            "--api-key",
            KEY,
            *given,
            "--contracts",
            "workspaces",
            "--report-dir",
            str(tmp_path),
            env=env,
        )
    assert result.exit_code == 1, result.output
    assert "workspaces::bots-not-readable-across" in result.output
    assert "[workspaces.isolated]" in result.output
    texts = [result.output] + [path.read_text() for path in tmp_path.iterdir()]
    assert any("curl" in text and "authorization: token ****" in text.lower() for text in texts)
    for text in texts:
        assert SECOND not in text and KEY not in text


def test_a_second_key_the_target_refuses_cannot_run(tmp_path: Path) -> None:
    with running(ServerConfig(api_keys=(KEY,), rate_limit=BUDGET)) as url:
        result = invoke(
            url, "--api-key", KEY, "--second-api-key", SECOND, "--report-dir", str(tmp_path)
        )
    assert result.exit_code == 2, result.output
    assert "error: the target refuses the second workspace's API key given" in result.output
    assert SECOND not in result.output
    assert "Traceback" not in result.output


def test_the_help_says_what_the_second_key_is() -> None:
    text = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--second-api-key" in text
    assert "Another workspace's API key" in text
    assert "CALBOT_SECOND_API_KEY" in text
