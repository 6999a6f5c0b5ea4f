"""The README's `calbot run` options table lists every option a user can give."""

from __future__ import annotations

import re
from pathlib import Path

import click

from calbot.cli.run_cmd import run

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_run_option_is_in_the_readme_table() -> None:
    """Problem 9: --timeout and -q were missing from the table."""
    section = README.read_text().split("## Testing a server", 1)[1].split("\n### ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `-"))
    documented = set(re.findall(r"`(--?[a-z][a-z-]*)", table))
    options = {
        name
        for param in run.params
        if isinstance(param, click.Option) and not param.hidden
        for name in param.opts
    }
    assert options - {"--help"} <= documented, sorted(options - documented)
