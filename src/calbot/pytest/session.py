"""The run, opened once per pytest process (its target built once), and the checks run on it."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from calbot.conformance import CouldNotRun, TargetUnreachable
from calbot.conformance.run import RATE_LIMIT_CONTRACT, CheckSpec, Run, open_run
from calbot.contracts.masking import mask
from calbot.contracts.results import CheckResult, Status
from calbot.hypothesis_home import hypothesis_home
from calbot.pytest.coordination import Coordination
from calbot.pytest.settings import Settings, flag


class Runner:
    """The run, opened on first use in this process, and checks run on it."""

    def __init__(self, settings: Settings, coordination: Coordination | None) -> None:
        self.settings = settings
        self.coordination = coordination
        self._run: Run | None = None
        self._checked = False
        self.unreachable: str | None = None
        self.unreachable_reported = False

    @property
    def opened(self) -> Run:
        """The run (nothing is sent to open it): one target for every item of this process,
        paced to this worker's share of the budget under xdist."""
        if self._run is None:
            self._run = open_run(self.settings.conformance, spelling=flag)
            if self.coordination is not None and self.coordination.workers > 1:
                self._run.target.share_budget(self.coordination.workers)
        return self._run

    def ready(self) -> Run:
        """The run, once checked that the target answers at all (once per process)."""
        opened = self.opened
        if not self._checked:
            self._checked = True
            try:
                opened.preflight()
            except TargetUnreachable as exc:
                self.unreachable = (
                    f"could not reach the target: {mask(str(exc), self.settings.secrets)}"
                )
            except CouldNotRun as exc:  # the key refused, not this API
                self.unreachable = f"could not run: {mask(str(exc), self.settings.secrets)}"
        return opened

    def run(self, specs: Sequence[CheckSpec]) -> tuple[list[CheckResult], int]:
        """Run `specs` in order: their results, and how often a 429 had to be waited out.

        Nothing is sent when the target did not answer at all."""
        opened = self.ready()
        if self.unreachable is not None:
            reason = f"calbot {self.unreachable}"
            return [_not_run(spec, reason) for spec in specs], 0
        target = opened.target
        burst = any(spec.contract == RATE_LIMIT_CONTRACT for spec in specs)
        shared = self.coordination
        with shared.turn(burst=burst) if shared else contextlib.nullcontext():
            if burst and shared:
                # The other workers stand still now: the burst has the whole budget, and counts
                # what they sent inside its window, as `calbot run` counts its own requests.
                opened.heard_burst_sends(shared.others_sends())
                target.share_budget(1)
            before = target.throttled_waits
            try:
                with hypothesis_home(None):  # no .hypothesis/ in the user's project
                    results = [opened.check(spec) for spec in specs]
            finally:
                if shared:
                    if burst:
                        target.share_budget(shared.workers)
                    shared.publish_sends(opened.burst_sends())
        return results, target.throttled_waits - before

    def close(self) -> None:
        if self._run is not None:
            self._run.close()


def _not_run(spec: CheckSpec, reason: str) -> CheckResult:
    return spec.result(Status.ERROR, reason)
