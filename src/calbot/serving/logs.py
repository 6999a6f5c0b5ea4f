"""Where `calbot serve` and `calbot proxy` log: everything to stderr, API keys masked; stdout
stays for the URL.

- stdout: the one "listening on" line (scripts read the URL from it);
- stderr: uvicorn's errors and warnings, calbot's own (`calbot.server`, `calbot.proxy`), the
  access log when asked for (one line per answered request), and refused connections
  (`calbot.server.http`, `calbot.proxy.http`: one line per connection at the level the user
  chooses).

Every record's message and arguments go through the one masker, so a key a client put in the
URL path never reaches a log.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

import uvicorn.config

from calbot.contracts.masking import masker


class MaskSecrets(logging.Filter):
    """Masks the configured API keys (and any Authorization credential) in a record."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self._mask = masker(tuple(secrets))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._mask.text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._mask.text(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def log_config(level: str, secrets: Sequence[str] = ()) -> dict[str, Any]:
    """uvicorn's logging config with the access log on stderr, calbot's loggers and masking."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"mask": {"()": MaskSecrets, "secrets": tuple(secrets)}}
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
        handler["filters"] = ["mask"]
    config["loggers"]["calbot"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
