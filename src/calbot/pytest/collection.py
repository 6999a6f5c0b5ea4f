"""The collection tree: one `calbot` collector, one item per check."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from calbot.conformance.run import RATE_LIMIT_CONTRACT, CheckSpec, select_checks
from calbot.contracts.results import CheckResult
from calbot.exceptions import CalbotWarning
from calbot.pytest.reporting import FINDINGS_SHOWN, CalbotFailure, ItemVerdict, judge
from calbot.pytest.session import Runner
from calbot.pytest.settings import Settings

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr


class ConformancePlugin(Protocol):
    """What the collection tree needs of the session's plugin (`hooks.ConformancePlugin`)."""

    settings: Settings
    runner: Runner

    def checking(self) -> AbstractContextManager[None]:
        """Around a check: the status line may be written meanwhile."""
        ...


COLLECTOR_NAME = "calbot"
ITEM_NAME = "test_calbot"


class CalbotChecks(pytest.Collector):
    """The session's `calbot` node: one item per check, the rate-limit contract as one item."""

    def __init__(self, *, plugin: ConformancePlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        specs = select_checks(self.plugin.settings.conformance.contracts)
        burst = [spec for spec in specs if spec.contract == RATE_LIMIT_CONTRACT]
        groups = [(spec.id, [spec]) for spec in specs if spec not in burst]
        if burst:
            groups.append((RATE_LIMIT_CONTRACT, burst))
        return [
            CalbotCheck.from_parent(
                self, name=f"{ITEM_NAME}[{key}]", specs=group, plugin=self.plugin
            )
            for key, group in groups
        ]


class CalbotCheck(pytest.Item):
    """One calbot check (or the rate-limit contract's checks, which share one burst)."""

    def __init__(
        self, *, specs: Sequence[CheckSpec], plugin: ConformancePlugin, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.specs = tuple(specs)
        self.plugin = plugin
        self.results: list[CheckResult] = []
        self.throttled_waits = 0
        self.sent = False
        self.add_marker(COLLECTOR_NAME)
        self.extra_keyword_matches.update(spec.id for spec in self.specs)

    @property
    def burst(self) -> bool:
        return any(spec.contract == RATE_LIMIT_CONTRACT for spec in self.specs)

    def setup(self) -> None:
        """Run the check against the target; a check that could not run is an error here."""
        if self.config.getoption("setuponly", False):
            return
        runner = self.plugin.runner
        with self.plugin.checking():
            self.results, self.throttled_waits = runner.run(self.specs)
        self.sent = False
        if runner.unreachable is not None:
            if runner.unreachable_reported:
                pytest.skip("calbot: could not run against the target (see the first calbot error)")
            runner.unreachable_reported = True
            summary = f"calbot {runner.unreachable}"
            advice = "Check --calbot-url and that the server is running; the other calbot items"
            if not runner.unreachable.startswith("could not reach"):
                advice = "Check --calbot-url and --calbot-api-key; the other calbot items"
            raise CalbotFailure(f"{summary}\n{advice} are skipped.", summary)
        outcome = self._outcome()
        if outcome.kind == "error":
            raise CalbotFailure(outcome.text, outcome.summary)

    def runtest(self) -> None:
        """Judge the results: failure, skip, or pass (with a warning per SHOULD finding)."""
        outcome = self._outcome()
        if outcome.kind == "failed":
            raise CalbotFailure(outcome.text, outcome.summary)
        if outcome.kind == "skipped":
            pytest.skip(outcome.text)
        for text in outcome.warnings:
            warnings.warn_explicit(CalbotWarning(text), CalbotWarning, COLLECTOR_NAME, 0)

    def _outcome(self) -> ItemVerdict:
        settings = self.plugin.settings
        return judge(
            self.results,
            strict=settings.conformance.strict,
            secrets=settings.secrets,
            limit=sys.maxsize if self.config.get_verbosity() > 1 else FINDINGS_SHOWN,
        )

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        """A finding list, not a traceback; the summary line names the first finding."""
        value = excinfo.value
        if not isinstance(value, CalbotFailure | CalbotWarning):
            return super().repr_failure(excinfo, style)
        shown = excinfo.getrepr(style="value", chain=False)
        if shown.reprcrash is not None:
            summary = value.summary if isinstance(value, CalbotFailure) else str(value)
            shown.reprcrash.message = summary.splitlines()[0]
        return shown

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name
