"""What the ledger keeps of what was sent and answered: a schedule body's facts (validated,
an excerpt, the deduplication key, the bot_config's key paths), an answer's one-line message,
and paths, all cut to a readable size with secrets masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calbot.contracts.clients.ledger.record import Json
from calbot.contracts.domain.validation import schedule_request_errors
from calbot.contracts.masking import Masker, masker
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.text import ELLIPSIS, shorten, shorten_counting

MAX_STRING = 300
MAX_ITEMS = 50
MAX_DEPTH = 8
MAX_PATH = 300
MAX_CONFIG_PATHS = 200
CONFIG_PATH_DEPTH = 4


@dataclass(frozen=True, slots=True)
class BodyFacts:
    """What the ledger keeps of a schedule request's body."""

    validation: str
    errors: Json | None
    body: Any
    body_truncated: bool
    key: str | None
    config_keys: tuple[str, ...] | None


def schedule_body_facts(
    value: object, *, secrets: Sequence[str] = (), masked: Masker | None = None
) -> BodyFacts:
    """Validate a parsed schedule body (as the fragment does) and keep an excerpt of it.

    Secrets are masked with `masked` when given, else with the configured `secrets`; the
    deduplication key is `****` when it is exactly a secret.
    """
    masked = masked or masker(tuple(secrets))
    checked = schedule_request_errors(value)
    errors = excerpt(checked, masked=masked)[0] if isinstance(checked, dict) else None
    body, truncated = excerpt(value, masked=masked)
    key = value.get("deduplication_key") if isinstance(value, Mapping) else None
    keep_key = isinstance(key, str) and len(key) <= MAX_KEY_LENGTH
    config = value.get("bot_config") if isinstance(value, Mapping) else None
    return BodyFacts(
        validation="invalid" if errors is not None else "valid",
        errors=errors,
        body=body,
        body_truncated=truncated,
        key=masked.value(key) if keep_key and isinstance(key, str) else None,
        config_keys=config_paths(config) if isinstance(config, Mapping) else None,
    )


def unreadable_body_facts(errors: Mapping[str, Any]) -> BodyFacts:
    """A schedule body the server could not read as JSON (415, parse error, too large)."""
    return BodyFacts("invalid", excerpt(dict(errors))[0], None, False, None, None)


def config_paths(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Dotted key paths of a bot_config, e.g. ("metadata", "metadata.team", "bot_name")."""
    paths: list[str] = []
    stack: list[tuple[str, Mapping[str, Any], int]] = [("", config, 1)]
    while stack and len(paths) < MAX_CONFIG_PATHS:
        prefix, node, depth = stack.pop()
        for name, value in node.items():
            path = f"{prefix}{name}"
            paths.append(path)
            if isinstance(value, Mapping) and depth < CONFIG_PATH_DEPTH:
                stack.append((f"{path}.", value, depth + 1))
    return tuple(sorted(paths[:MAX_CONFIG_PATHS]))


def excerpt(
    value: object, secrets: Sequence[str] = (), *, masked: Masker | None = None
) -> tuple[Any, bool]:
    """A JSON value cut to a readable size (long strings, big containers, deep nesting).

    Returns the excerpt and whether anything was cut. Secrets in strings become `****`
    (`masked`, or the configured `secrets`).
    """
    cut = False
    using = masked or masker(tuple(secrets))

    def visit(node: object, depth: int) -> Any:
        nonlocal cut
        if isinstance(node, str):
            text = using.text(node)
            if len(text) > MAX_STRING:
                cut = True
                return shorten_counting(text, MAX_STRING)
            return text
        if isinstance(node, Mapping | list):
            if depth >= MAX_DEPTH:
                cut = True
                return ELLIPSIS
            items = list(node.items()) if isinstance(node, Mapping) else list(enumerate(node))
            if len(items) > MAX_ITEMS:
                cut = True
            kept = items[:MAX_ITEMS]
            if isinstance(node, Mapping):
                return {visit(str(k), MAX_DEPTH): visit(v, depth + 1) for k, v in kept}
            return [visit(v, depth + 1) for _, v in kept]
        if node is None or isinstance(node, bool | int | float):
            return node
        return repr(node)

    return visit(value, 0), cut


def answer_message(body: Mapping[str, Any]) -> str | None:
    """The one line an answer says: its `detail`, or the first of its field errors."""
    detail = body.get("detail")
    if isinstance(detail, str):
        return _short(detail)
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        for name, messages in errors.items():
            if isinstance(messages, list) and messages and isinstance(messages[0], str):
                prefix = "" if name == "non_field_errors" else f"{name}: "
                return _short(prefix + messages[0])
    message = body.get("message")
    return _short(message) if isinstance(message, str) else None


def _short(text: str, limit: int = MAX_STRING) -> str:
    return shorten(text, limit)


def short_path(path: str) -> str:
    """The request path, cut to MAX_PATH characters."""
    return _short(path, MAX_PATH)
