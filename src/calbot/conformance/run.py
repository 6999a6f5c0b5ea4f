"""A run, built once: the target and state setup its options describe, what it tests (a header
says it before anything is sent), and running it, whole (`execute`) or check by check (the
pytest plugin's items, gathered into one result at the end).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from calbot.conformance.options import Conformance
from calbot.contracts.checks.rate_limit import BURST_OPERATION
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.coverage import coverage
from calbot.contracts.engine.defaults import new_seed
from calbot.contracts.engine.events import parse_event_ids
from calbot.contracts.engine.preflight import preflight
from calbot.contracts.engine.registry import CheckSpec, RunOptions
from calbot.contracts.engine.runner import (
    RATE_LIMIT_CONTRACT,
    Progress,
    all_checks,
    run,
    run_check,
    run_record,
    select,
)
from calbot.contracts.engine.settings import Spelling, field_name
from calbot.contracts.engine.state_setup import (
    CallableStates,
    GivenEvents,
    NoStates,
    ProviderStates,
    StateSetup,
)
from calbot.contracts.engine.target import Target, TargetConfig, TargetError
from calbot.contracts.masking import mask
from calbot.contracts.outcomes import CouldNotRun, Incomplete, Outcome
from calbot.contracts.results import CheckResult, RunResult, new_run
from calbot.spec.states import STATES_PATH
from calbot.spec.throttles import RateLimit

__all__ = [
    "BUILTIN_BUDGET",
    "BUILTIN_DISPLAY_URL",
    "BUILTIN_LABEL",
    "RATE_LIMIT_CONTRACT",
    "CheckSpec",
    "Description",
    "Progress",
    "Run",
    "no_verdict",
    "open_run",
    "parse_events",
    "run_conformance",
    "select_checks",
]

# The built-in server runs with a short window, so that the rate-limit contract (burst, then
# wait for Retry-After) takes seconds, not the documented minute; `calbot serve` keeps the
# documented 600/60s. The run tells its contracts the same budget.
BUILTIN_BUDGET = RateLimit(100, 1.0)
BUILTIN_LABEL = "built-in reference server (in-process)"
# Where a finding's curl sends a request the built-in server answered (`calbot serve`'s port).
BUILTIN_DISPLAY_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class Description:
    """What a run tests and how, known before it sends a request."""

    target: str  # the target's label, never with a key
    state_setup: str
    seed: int


class Run:
    """One run's target and state setup, built once from its options (the built-in server
    when they name no target); close it when done (or use it as a context manager)."""

    def __init__(
        self,
        options: Conformance,
        *,
        activity: Activity | None = None,
        spelling: Spelling = field_name,
    ) -> None:
        seed = options.seed if options.seed is not None else new_seed()
        self.options = dataclasses.replace(options, seed=seed)
        self.target, self.states = _build(self.options, activity, spelling)
        self.run_options = RunOptions(
            max_examples=options.max_examples,
            seed=seed,
            rate_limit_contract=options.rate_limit_contract,
            strict=options.strict,
            require_state=options.require_state,
            allow_skips=options.allow_skips,
            min_coverage=options.min_coverage,
        )

    @property
    def seed(self) -> int:
        assert self.options.seed is not None  # chosen when the run opened
        return self.options.seed

    @property
    def activity(self) -> Activity:
        """What the run is doing (for a progress display); `stop()` ends it at once."""
        return self.target.activity

    def describe(self) -> Description:
        """The target, the state setup and the seed, as a header shows them (keys masked)."""
        shown = self.options.secrets
        return Description(
            mask(self.target.label, shown), mask(self.states.description, shown), self.seed
        )

    def execute(self, progress: Progress | None = None) -> RunResult:
        """Run the selected contracts.

        Raises `CouldNotRun` (its `.result` is the run so far, marked incomplete) when the
        target cannot be reached, refuses the key, is not this API or state setup fails, and
        `RunInterrupted` (also with `.result`) on Ctrl-C. A run that verified too little comes
        back marked incomplete."""
        try:
            return run(
                self.target,
                self.states,
                self.run_options,
                contracts=self.options.contracts,
                progress=progress,
            )
        except TargetError as exc:  # the runner makes a result of every other: never lose one
            incomplete = Incomplete(Outcome.COULD_NOT_RUN, str(exc))
            raise CouldNotRun(str(exc), no_verdict(self.options, incomplete)) from None

    def preflight(self) -> None:
        """Check that the target is there, is this API and takes the keys given; raises
        `CouldNotRun` (`TargetUnreachable` when nothing answered at all)."""
        preflight(self.target)

    def check(self, spec: CheckSpec) -> CheckResult:
        """Run one check; state setup that fails is this check's error, not the run's end.

        The activity follows it, as it follows `execute`'s checks (for a progress display)."""
        self.activity.start_check(spec.id)
        try:
            return run_check(spec, self.target, self.states, self.run_options)
        finally:
            self.activity.end_check()

    def burst_budget(self) -> RateLimit | None:
        """The budget the rate-limit contract's burst spends (POST schedule), when known."""
        return self.target.budget(*BURST_OPERATION)

    def burst_sends(self) -> list[float]:
        """When this run's requests to the operation the rate-limit burst spends were answered
        (epoch seconds), those still inside its budget's window: what another process that
        runs the burst next must count (pytest-xdist workers)."""
        offset = self._epoch_offset()
        return [moment + offset for moment in self.target.pacer.sent(BURST_OPERATION)]

    def heard_burst_sends(self, sends: Iterable[float]) -> None:
        """Count requests other processes sent to the burst's operation (epoch seconds, as
        their `burst_sends` gave them) as this run's own: the burst then waits for them to
        leave the budget's window, or, when it cannot wait that long, counts them, as it does
        this run's own requests."""
        offset = self._epoch_offset()
        self.target.pacer.heard(BURST_OPERATION, [moment - offset for moment in sends])

    def _epoch_offset(self) -> float:
        """Epoch seconds minus the pacer's clock: other processes share the wall clock only."""
        return time.time() - self.target.pacer.clock()

    def gathered(
        self,
        results: Iterable[CheckResult],
        *,
        began: datetime,
        throttled_waits: int,
        first: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """One result of checks run one by one (the pytest plugin's items, on any worker), in
        run order, as `execute` would give it; `first` leads its options (who ran it, how)."""
        known = all_checks()
        order = {spec.id: index for index, spec in enumerate(known)}
        checks = sorted(results, key=lambda check: order.get(check.id, len(order)))
        starts = [check.started_at for check in checks if check.started_at]
        started = min(starts, default=began)
        ends = [
            check.started_at + timedelta(seconds=check.duration)
            for check in checks
            if check.started_at
        ]
        contracts = (check.contract for check in checks)
        result = new_run(
            self.describe().target,
            started,
            duration=round((max(ends, default=started) - started).total_seconds(), 3),
            seed=self.seed,
            strict=self.options.strict,
            options={
                **(first or {}),
                **run_record(self.target, self.states, self.run_options, contracts),
                "throttled_waits": throttled_waits,
            },
            checks=checks,
            min_coverage=self.options.min_coverage,
        )
        result.options["transient_retries"] = result.retried()
        # What did not run (deselected, stopped by -x) counts as not selected.
        ids = {check.id for check in checks}
        result.coverage = coverage(known, [spec for spec in known if spec.id in ids], checks)
        return result

    def close(self) -> None:
        self.target.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_run(
    options: Conformance, *, activity: Activity | None = None, spelling: Spelling = field_name
) -> Run:
    """Build the run `options` describe (nothing is sent yet). `activity` follows it as it goes
    and can stop it; `spelling` names settings in its texts as the front end does."""
    return Run(options, activity=activity, spelling=spelling)


def run_conformance(
    options: Conformance, *, progress: Progress | None = None, activity: Activity | None = None
) -> RunResult:
    """Run the contracts `options` select against the target they name.

    Raises `CouldNotRun` (its `.result` is the run so far, marked incomplete) when the target
    cannot be reached, refuses the key, is not this API or state setup fails, and
    `RunInterrupted` (also with `.result`) on Ctrl-C. `activity` follows the run as it goes
    (for a progress display) and can stop it."""
    with open_run(options, activity=activity) as opened:
        return opened.execute(progress)


def select_checks(names: Iterable[str] | None = None) -> list[CheckSpec]:
    """The checks named by contract (`dedup`) or id (`dedup::same-key-same-bot`), in run order
    (all of them when `names` is empty); ValueError names what is unknown, and what is known."""
    return select(all_checks(), names)


def parse_events(values: Iterable[str]) -> dict[str, list[str]]:
    """Existing events given as `KIND=ID` pairs, by kind; ValueError when one is malformed."""
    return parse_event_ids(values)


def no_verdict(options: Conformance, incomplete: Incomplete) -> RunResult:
    """A result with no checks, for a run that stopped before it opened (bad arguments, Ctrl-C
    while building the target), marked `incomplete`, for the reports."""
    result = new_run(
        options.url or BUILTIN_LABEL,
        datetime.now(UTC),
        seed=options.seed,
        strict=options.strict,
        options={"contracts": options.contracts or "all"},
    )
    result.incomplete = incomplete
    return result


def _build(
    options: Conformance, activity: Activity | None, spelling: Spelling
) -> tuple[Target, StateSetup]:
    """The target and state setup the options describe (the built-in server when no target)."""
    builtin = options.url is None and options.app is None
    app = options.app
    budget = options.rate_limit
    api_key, second_api_key = options.api_key, options.second_api_key
    if builtin:
        from calbot.server import ServerConfig, create_app

        budget = budget or BUILTIN_BUDGET
        # Two workspaces, so that the key and workspace checks run against it too.
        api_key = api_key or f"calbot-builtin-{secrets.token_hex(8)}"
        second_api_key = second_api_key or f"calbot-builtin-{secrets.token_hex(8)}"
        app = create_app(ServerConfig(api_keys=(api_key, second_api_key), rate_limit=budget))
    target = Target(
        TargetConfig(
            base_url=options.url,
            app=app,
            api_key=api_key,
            second_api_key=second_api_key,
            rate_limit=budget,
            max_wait=options.max_wait,
            timeout=options.timeout,
            display_url=BUILTIN_DISPLAY_URL if builtin else None,
            label=options.label or (f"{BUILTIN_LABEL}, budget {budget}" if builtin else None),
            spelling=spelling,
        ),
        activity,
    )
    return target, _states(target, options, builtin, spelling)


def _states(target: Target, options: Conformance, builtin: bool, spelling: Spelling) -> StateSetup:
    if options.state_callable is not None:
        return CallableStates(options.state_callable)
    if options.state_url or builtin:
        return ProviderStates(target, options.state_url or STATES_PATH)
    if options.events:
        return GivenEvents(target, options.events)
    return NoStates(spelling)
