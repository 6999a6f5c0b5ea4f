"""`calbot spec validate`: check an OpenAPI document, listing every problem."""

from __future__ import annotations

import sys

import click

from calbot.contracts.outcomes import ExitCode
from calbot.spec.loader import SpecReadError, read_document, spec_path
from calbot.spec.validate import validate_document


@click.group()
def spec() -> None:
    """The OpenAPI fragment: validate it (or another document)."""


@spec.command()
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=str))
def validate(path: str | None) -> None:
    """Validate PATH (default: the shipped fragment): structure, $refs and every example.

    Exit 0 valid; 1 invalid (every problem listed with its location); 2 unreadable.
    """
    target = path or str(spec_path())
    try:
        document = read_document(target)
    except SpecReadError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.COULD_NOT_RUN)
    problems = validate_document(document)
    version = document.get("openapi", document.get("swagger", "?"))
    if not problems:
        click.echo(f"ok: {target} is a valid OpenAPI {version} document; examples match")
        sys.exit(ExitCode.OK)
    noun = "problem" if len(problems) == 1 else "problems"
    click.echo(f"invalid: {target}: {len(problems)} {noun}")
    for problem in problems:
        click.echo(f"  [{problem.kind}] {problem}")
    sys.exit(ExitCode.FAILED)
