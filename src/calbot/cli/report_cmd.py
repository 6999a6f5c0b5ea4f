"""`calbot report render`: re-render a saved calbot-result.json in any report format."""

from __future__ import annotations

from pathlib import Path

import click

from calbot.cli.reporting import fail
from calbot.reports.formats import FORMATS


@click.group()
def report() -> None:
    """Saved results (calbot-result.json): render them again, in any format."""


@report.command()
@click.argument("result_file", metavar="RESULT.json", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="html: one self-contained page; md: a CI step summary or PR comment; "
    "junit: JUnit XML for CI servers; json: the result again, in this calbot's format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (parent folders are created) instead of to standard output.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="TEXT",
    help="A value to mask as **** (repeatable). Authorization credentials are always masked.",
)
def render(result_file: Path, fmt: str, output: Path | None, secrets: tuple[str, ...]) -> None:
    """Render RESULT.json (written by `calbot run`) as FORMAT.

    Exit 0 when rendered; 2 when RESULT.json is missing, not JSON, not a calbot result or
    of another schema_version, or the output cannot be written.
    """
    from calbot.reports import render as render_result
    from calbot.reports.json_result import ResultReadError, read_result

    try:
        result = read_result(result_file)
    except ResultReadError as exc:
        fail(str(exc))
    text = render_result(result, fmt, secrets=secrets)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(f"wrote {output}")
