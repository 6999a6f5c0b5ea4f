"""Settings from a file: `calbot.toml`, or `[tool.calbot]` in `pyproject.toml`.

Found from the working directory upwards (the first `calbot.toml`, or `pyproject.toml` with a
`[tool.calbot]` table; `calbot.toml` wins in one directory), or named with `calbot --config`.
Keys are the flags' names without dashes (`state-url`, `rate-limit`, `report`; `_` works for
`-`); top-level keys set `calbot run`, a table per command sets that command
(`[tool.calbot.serve]`). The command line wins, then environment variables, then the file.
Paths in the file are relative to the file's directory.

    [tool.calbot]
    url = "http://127.0.0.1:8000"
    state-url = "/_calbot/states"
    rate-limit = "600/60s"
    contracts = ["dedup", "override"]
    report = ["html", "md"]
    strict = true
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

CALBOT_TOML = "calbot.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_COMMAND = "run"


class ConfigError(Exception):
    """A settings file that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The settings of one file, by command (`run`, `serve`, ...), keys as written."""

    path: Path
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.path.parent


def find(start: Path) -> Path | None:
    """The settings file for `start`: the nearest `calbot.toml`, or `pyproject.toml` with a
    `[tool.calbot]` table, looking in `start` and then each parent."""
    for directory in (start, *start.parents):
        own = directory / CALBOT_TOML
        if own.is_file():
            return own
        project = directory / PYPROJECT
        if project.is_file() and _has_tool_table(project):
            return project
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "calbot" in _read(path).get("tool", {})
    except ConfigError:  # a broken pyproject that names calbot: load() says what is wrong
        return "[tool.calbot" in path.read_text(encoding="utf-8", errors="replace")


def load(path: Path, commands: set[str]) -> ConfigFile:
    """Read the settings in `path` for the `commands` calbot has."""
    data: Any = _read(path)
    if path.name != CALBOT_TOML and "tool" in data:  # pyproject.toml
        data = data["tool"].get("calbot", {}) if isinstance(data["tool"], dict) else None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.calbot] is not a table")
    found: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in commands:
                known = ", ".join(sorted(commands))
                raise ConfigError(f"{path}: [{key}] is not a calbot command (one of {known})")
            found.setdefault(key, {}).update(value)
        else:
            found.setdefault(DEFAULT_COMMAND, {})[key] = value
    return ConfigFile(path, found)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def default_map(config: ConfigFile, name: str, command: click.Command) -> dict[str, Any]:
    """The file's settings for `command` as click's `default_map` (parameter names as keys,
    values as the command line would give them); ConfigError for an unknown key or a value of
    the wrong kind."""
    settings = config.commands.get(name, {})
    options = _options(command)
    found: dict[str, Any] = {}
    for key, value in settings.items():
        option = options.get(key.replace("_", "-"))
        if option is None:
            known = ", ".join(sorted(options))
            raise ConfigError(
                f"{config.path}: unknown setting {key!r} for calbot {name} (known: {known})"
            )
        assert option.name is not None
        found[option.name] = _value(config, name, key, option, value)
    return found


def _options(command: click.Command) -> dict[str, click.Option]:
    """The command's options by flag name without dashes (`state-url`), hidden ones left out."""
    found = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden or param.name is None:
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                found[opt[2:]] = param
    found.pop("help", None)
    return found


def _value(config: ConfigFile, name: str, key: str, option: click.Option, value: Any) -> Any:
    where = f"{config.path}: {key}"
    if option.is_flag and not option.count:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} is a flag: use true or false")
        return value
    if isinstance(value, dict):
        raise ConfigError(f"{where}: a table is not a value")
    if option.multiple:
        items = value if isinstance(value, list) else [value]
        return [_scalar(config, where, option, item) for item in items]
    if isinstance(value, list):
        if any(isinstance(item, list | dict) for item in value):
            raise ConfigError(f"{where}: use a list of plain values")
        return ",".join(str(item) for item in value)  # `contracts`, `report`: comma lists
    return _scalar(config, where, option, value)


def _scalar(config: ConfigFile, where: str, option: click.Option, value: Any) -> Any:
    if isinstance(value, list | dict | bool):
        raise ConfigError(f"{where}: expected a single value, not {value!r}")
    if isinstance(option.type, click.Path):
        return str(config.directory / Path(str(value)).expanduser())
    return value if isinstance(value, int | float) else str(value)


def source_label(ctx: click.Context, name: str, config: ConfigFile | None) -> str:
    """Where a parameter's value came from, in words (for `--show-config`)."""
    source = ctx.get_parameter_source(name)
    if source is click.core.ParameterSource.COMMANDLINE:
        return "command line"
    if source is click.core.ParameterSource.ENVIRONMENT:
        param = next((p for p in ctx.command.params if p.name == name), None)
        envvar = getattr(param, "envvar", None)
        return f"env {envvar}" if isinstance(envvar, str) else "environment"
    if source is click.core.ParameterSource.DEFAULT_MAP and config is not None:
        return str(config.path)
    return "default"


def shown(value: Any) -> str:
    """A setting's value as `--show-config` prints it."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(shown(item) for item in value) or "-"
    if isinstance(value, Mapping):
        pairs = [f"{k}={shown(v)}" for k, v in value.items()]
        return ", ".join(pairs) or "-"
    return str(value)
