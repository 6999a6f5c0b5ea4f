"""The target, built once per pytest process, and the checks run on it."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from calbot.conformance import build
from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.pacing import Pacer
from calbot.contracts.engine.preflight import TargetUnreachable
from calbot.contracts.engine.registry import CheckSpec
from calbot.contracts.engine.runner import (
    RATE_LIMIT_CONTRACT,
    preflight,
    run_check,
)
from calbot.contracts.engine.state_setup import StateSetup
from calbot.contracts.engine.target import Target, TargetError
from calbot.contracts.masking import mask
from calbot.contracts.results import CheckResult, Status
from calbot.hypothesis_home import hypothesis_home
from calbot.pytest.coordination import Coordination
from calbot.pytest.reporting import pytest_flags
from calbot.pytest.settings import Settings
from calbot.spec.throttles import RateLimit

if TYPE_CHECKING:
    pass


class Runner:
    """The target and state setup, built on first use in this process, and checks run on it."""

    def __init__(self, settings: Settings, coordination: Coordination | None) -> None:
        self.settings = settings
        self.coordination = coordination
        self._built: tuple[Target, StateSetup] | None = None
        self.unreachable: str | None = None
        self.unreachable_reported = False

    def ready(self) -> tuple[Target, StateSetup]:
        """Build the target (and check it answers at all) once per process."""
        if self._built is None:
            target, states = build(self.settings.conformance)
            if self.coordination is not None and self.coordination.workers > 1:
                share = self.coordination.workers
                target.pacer = Pacer(
                    {
                        op: RateLimit(max(1, b.limit // share), b.period)
                        for op, b in target.budgets.items()
                    }
                )
            self._built = (target, states)
            try:
                preflight(target)
            except TargetUnreachable as exc:
                self.unreachable = (
                    f"could not reach the target: {mask(str(exc), self.settings.secrets)}"
                )
            except TargetError as exc:  # the key refused, not this API
                self.unreachable = f"could not run: {mask(str(exc), self.settings.secrets)}"
        return self._built

    def run(self, specs: Sequence[CheckSpec]) -> tuple[list[CheckResult], int]:
        """Run `specs` in order: their results, and how often a 429 had to be waited out.

        Nothing is sent when the target did not answer at all."""
        target, states = self.ready()
        if self.unreachable is not None:
            reason = f"calbot {self.unreachable}"
            return [_not_run(spec, reason) for spec in specs], 0
        options = self.settings.run_options
        burst = any(spec.contract == RATE_LIMIT_CONTRACT for spec in specs)
        turn = (
            self.coordination.turn(burst=burst) if self.coordination else contextlib.nullcontext()
        )
        with turn:
            budget = target.budget("POST", EVENT_BOT)
            if burst and self.coordination and options.rate_limit_contract and budget:
                target.sleep(min(self.coordination.quiet_in(budget.period), target.config.max_wait))
            before = target.throttled_waits
            with hypothesis_home(None):  # no .hypothesis/ in the user's project
                results = [run_check(spec, target, states, options) for spec in specs]
        for result in results:
            result.reason = pytest_flags(result.reason)
        return results, target.throttled_waits - before

    def close(self) -> None:
        if self._built is not None:
            self._built[0].close()


def _not_run(spec: CheckSpec, reason: str) -> CheckResult:
    return spec.result(Status.ERROR, reason)
