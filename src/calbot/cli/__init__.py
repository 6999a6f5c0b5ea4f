"""The `calbot` command line. Subcommands load lazily so `calbot --help` stays fast."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from calbot import __version__
from calbot.contracts.outcomes import ExitCode

# name -> (module, attribute); each module holds one command or group.
COMMANDS: dict[str, tuple[str, str]] = {
    "client-report": ("calbot.cli.client_report_cmd", "client_report"),
    "proxy": ("calbot.cli.proxy_cmd", "proxy"),
    "proxy-report": ("calbot.cli.proxy_report_cmd", "proxy_report"),
    "report": ("calbot.cli.report_cmd", "report"),
    "run": ("calbot.cli.run_cmd", "run"),
    "spec": ("calbot.cli.spec_cmd", "spec"),
    "serve": ("calbot.cli.serve_cmd", "serve"),
}


_NO_ARGS_IS_HELP: type[click.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("_Never", (click.UsageError,), {})
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used, with their settings file; a
    usage error is one `error:` line (exit 2), as every other user mistake is."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS_IS_HELP as exc:  # `calbot` alone: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(ExitCode.FAILED)  # click's own code for an abort
        sys.exit(code if isinstance(code, int) else ExitCode.OK)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        _apply_config(ctx, cmd_name, command)
        return command


CONFIG_KEY = "calbot.config"
"""`ctx.meta` key of the settings file in use (a `ConfigFile`), for `--show-config`."""


def _apply_config(ctx: click.Context, name: str, command: click.Command) -> None:
    """Give `command` the settings file's values as its defaults (flags and env vars win)."""
    from pathlib import Path

    from calbot.cli.config_file import ConfigError, default_map, find, load

    if ctx.params.get("no_config") or ctx.resilient_parsing:
        return
    given = ctx.params.get("config")
    try:
        path = Path(given) if given else find(Path.cwd())
        if path is None:
            return
        config = load(path, set(COMMANDS))
        defaults = default_map(config, name, command)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.COULD_NOT_RUN)
    ctx.meta[CONFIG_KEY] = config
    ctx.default_map = {**(ctx.default_map or {}), name: defaults}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calbot")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="CALBOT_CONFIG",
    metavar="FILE",
    help="Settings file (default: calbot.toml, or [tool.calbot] in pyproject.toml, found from "
    "the working directory up). Env CALBOT_CONFIG.",
)
@click.option("--no-config", is_flag=True, help="Read no settings file.")
def cli(config: str | None, no_config: bool) -> None:
    """Contract tests and a reference server for Recall.ai's Schedule Bot For Calendar Event.

    Settings come from the command line, then CALBOT_* environment variables, then the
    settings file (calbot.toml or [tool.calbot] in pyproject.toml)."""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI; usage errors exit 2, never with a traceback."""
    try:
        return cli.main(args=argv, prog_name="calbot", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
