"""What `calbot run` can say without running: the resolved settings, and the checks."""

from __future__ import annotations

from collections.abc import Sequence

import click

from calbot.cli.config_file import ConfigFile, shown, source_label

SECRET_SETTINGS = frozenset({"api_key", "second_api_key"})


def show_config(ctx: click.Context, config: ConfigFile | None, secrets: Sequence[str]) -> None:
    """Each setting of the command: its value (keys masked) and where it came from."""
    from calbot.contracts.masking import MASK, mask

    where = str(config.path) if config else "none found"
    click.echo(f"calbot {ctx.info_name} settings (settings file: {where})")
    rows = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.hidden or param.name is None:
            continue
        if param.name in ("show_config", "list_checks"):
            continue
        value = ctx.params.get(param.name)
        text = MASK if param.name in SECRET_SETTINGS and value else mask(shown(value), secrets)
        flag = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
        rows.append((flag, text, source_label(ctx, param.name, config)))
    width = max(len(flag) for flag, _, _ in rows)
    value_width = min(max(len(text) for _, text, _ in rows), 40)
    for flag, text, source in rows:
        click.echo(f"  {flag:<{width}}  {text:<{value_width}}  ({source})")


def list_checks(contracts: list[str] | None) -> None:
    """The checks a run would run (with `--contracts`, those), their rules and evidence."""
    from calbot.conformance import select_checks
    from calbot.contracts.rules import RULES_BY_ID

    checks = select_checks(contracts)
    click.echo(
        f"{len(checks)} checks; MUST (documented by Recall) fails a run, SHOULD (inferred) warns"
    )
    id_width = max(len(spec.id) for spec in checks)
    rule_width = max(len(spec.rule) for spec in checks)
    for spec in checks:
        rule = RULES_BY_ID[spec.rule]
        level = rule.level.value.upper()
        click.echo(
            f"  {spec.id:<{id_width}}  {spec.rule:<{rule_width}}  {level:<6}  "
            f"{rule.evidence.value:<10}  {spec.description}"
        )
    rules = sorted({spec.rule for spec in checks})
    click.echo("sources:")
    for rule_id in rules:
        rule = RULES_BY_ID[rule_id]
        click.echo(f"  {rule_id}: {', '.join(rule.sources) or '-'}")
