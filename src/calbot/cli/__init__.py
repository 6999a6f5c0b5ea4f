"""The `calbot` command line. Subcommands load lazily so `calbot --help` stays fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from calbot import __version__

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


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calbot")
def cli() -> None:
    """Contract tests and a reference server for Recall.ai's Schedule Bot For Calendar Event."""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI; usage errors exit 2, never with a traceback."""
    try:
        return cli.main(args=argv, prog_name="calbot", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("interrupted", err=True)
        sys.exit(130)
