"""Signs of life during `calbot run`: a line per finished check, and in between a live line
(on a terminal) or a heartbeat line every few seconds (in a CI log).

The runner calls the display (its `Progress` callback) when a check starts and ends; a daemon
thread reads the run's `Activity` (requests sent, the wait in progress) in between.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from calbot.cli.reporting import STATUS_MARKS
from calbot.conformance import Activity
from calbot.conformance.status import LIVE_AFTER, LIVE_TICK, Ticker, running_for, status_line
from calbot.contracts.masking import mask
from calbot.contracts.results import CheckResult, Status, describe_retries
from calbot.spec.text import one_line

if TYPE_CHECKING:
    from calbot.conformance import CheckSpec

LINE = 200


class Display(Ticker):
    """The runner's `Progress` callback, with a live line or heartbeat while a check runs."""

    def __init__(
        self,
        activity: Activity,
        secrets: tuple[str, ...],
        *,
        live: bool,
        heartbeat: float,
        echo: Callable[..., None] = click.echo,
    ) -> None:
        self.activity, self.secrets, self.live, self.heartbeat = activity, secrets, live, heartbeat
        self.echo = echo
        super().__init__("calbot-progress")
        self._lock = threading.Lock()
        self._shown = False  # a live line is on screen
        self._skipped: list[tuple[CheckSpec, CheckResult]] = []  # in a row, one reason

    def stopped(self) -> None:
        with self._lock:
            self._clear()
            self._flush_skipped()

    def __call__(self, stage: str, spec: CheckSpec, result: CheckResult | None) -> None:
        if stage != "done" or result is None:
            return
        with self._lock:
            self._clear()
            if result.status is Status.SKIPPED and result.reason:
                if self._skipped and self._skipped[0][1].reason != result.reason:
                    self._flush_skipped()
                self._skipped.append((spec, result))
                return
            self._flush_skipped()
            self.echo(self.check_line(spec, result))

    def _flush_skipped(self) -> None:
        """Skipped checks in a row with one reason: one line ("20 checks skipped: ...")."""
        skipped, self._skipped = self._skipped, []
        if len(skipped) == 1:
            self.echo(self.check_line(*skipped[0]))
        elif skipped:
            symbol, colour = STATUS_MARKS[Status.SKIPPED]
            first, last = skipped[0][0].id, skipped[-1][0].id
            reason = mask(skipped[0][1].reason or "", self.secrets)
            line = f"{len(skipped)} checks skipped ({first} … {last}): {reason}"
            self.echo(f"  {click.style(symbol, fg=colour)} {one_line(line, LINE - 4)}")

    def check_line(self, spec: CheckSpec, result: CheckResult) -> str:
        symbol, colour = STATUS_MARKS[result.status]
        line = f"  {click.style(symbol, fg=colour)} {spec.id:<48} {result.duration:6.2f}s"
        note = ""
        if result.reason:
            note = mask(result.reason, self.secrets)
        elif result.findings:
            count = sum(f.count for f in result.findings)
            first = mask(result.findings[0].message, self.secrets)
            note = f"{count} finding{'s' if count != 1 else ''}: {first}"
        retried = describe_retries(result.retried)
        note = f"{note} ({retried})" if note and retried else note or retried
        return f"{line}  {one_line(note, LINE - 60)}" if note else line

    def every(self) -> float:
        return LIVE_TICK if self.live else self.heartbeat

    def tick(self) -> None:
        least = 0.0 if self.live else min(LIVE_AFTER, self.every())  # a heartbeat: not at once
        text = status_line(self.activity, self.secrets, LINE)
        running = running_for(self.activity)
        if text is None or running is None or running < least:
            return
        with self._lock:
            if self.live:
                width = max(20, shutil.get_terminal_size().columns - 1)
                self.echo(f"\r\x1b[2K  … {text[: width - 4]}", nl=False)
                self._shown = True
            else:
                self.echo(f"  … {text}")

    def _clear(self) -> None:
        if self._shown:
            self.echo("\r\x1b[2K", nl=False)
            self._shown = False
