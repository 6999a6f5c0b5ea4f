"""The conformance side of calbot's pytest plugin: items, outcomes, xdist, the session report.

`calbot.pytest_plugin` loads this module only when --calbot-url is given; its docstring is the
user's guide. Here: one `ConformancePlugin` per pytest process, a `CalbotChecks` collector
added to the session, one `CalbotCheck` item per check (one for the whole rate-limit contract),
a `Runner` that builds the target once per process, and `Coordination` between xdist workers.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

from calbot.conformance import Conformance, build
from calbot.contracts.curl import mask
from calbot.contracts.pacing import Pacer
from calbot.contracts.registry import CheckSpec, RunOptions
from calbot.contracts.results import CheckResult, RunResult, Status, group_findings
from calbot.contracts.runner import RATE_LIMIT_CONTRACT, all_checks, preflight, run_check, select
from calbot.contracts.states import StateSetup
from calbot.contracts.target import EVENT_BOT, Target, TargetError
from calbot.spec.throttles import RateLimit, RateLimitSyntaxError, parse_rate_limit

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

COLLECTOR_NAME = "calbot"
ITEM_NAME = "test_calbot"
REPORT_ATTRIBUTE = "calbot_checks"
API_KEY_ENV = "CALBOT_API_KEY"
FINDINGS_SHOWN = 10
TEXT_SHOWN = 600
CURL_SHOWN = 2000
_CLI_FLAG = re.compile(
    r"(?<![\w-])--(?=(?:api-key|state-url|event|rate-limit|no-rate-limit|max-wait|timeout|"
    r"contracts|max-examples|seed|strict|require-state)\b)"
)

if sys.platform != "win32":
    import fcntl

    def _lock(handle: Any, exclusive: bool) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

else:  # pragma: no cover - no flock on Windows: xdist workers are not kept apart there

    def _lock(handle: Any, exclusive: bool) -> None:
        """No file locks here."""

    def _unlock(handle: Any) -> None:
        """No file locks here."""


class CalbotWarning(UserWarning):
    """A SHOULD-level rule is broken (the item passes; --calbot-strict fails it)."""


class CalbotFailure(Exception):
    """A check found the target breaking a rule; the message lists the findings."""

    def __init__(self, text: str, summary: str) -> None:
        super().__init__(text)
        self.summary = summary


# --- options ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The --calbot-* options, checked."""

    conformance: Conformance
    run_options: RunOptions
    report_dir: Path | None

    @property
    def secrets(self) -> tuple[str, ...]:
        key = self.conformance.api_key
        return (key,) if key else ()


def read_settings(config: pytest.Config) -> Settings:
    """The options as calbot's types; `pytest.UsageError` for a bad value."""
    rate_limit = _rate_limit(config.getoption("calbot_rate_limit"))
    contracts = _contracts(config.getoption("calbot_contracts"))
    numbers = {
        "--calbot-max-wait": (config.getoption("calbot_max_wait"), 0.0),
        "--calbot-timeout": (config.getoption("calbot_timeout"), 0.1),
        "--calbot-max-examples": (config.getoption("calbot_max_examples"), 1),
    }
    for flag, (value, least) in numbers.items():
        if value < least:
            raise pytest.UsageError(f"{flag}: must be at least {least}, got {value}")
    worker: dict[str, Any] = getattr(config, "workerinput", {})
    seed = config.getoption("calbot_seed")
    if seed is None:
        seed = worker.get("calbot_seed", random.randrange(2**31))
    report_dir = config.getoption("calbot_report_dir")
    strict = bool(config.getoption("calbot_strict"))
    require_state = bool(config.getoption("calbot_require_state"))
    conformance = Conformance(
        url=config.getoption("calbot_url"),
        api_key=config.getoption("calbot_api_key") or os.environ.get(API_KEY_ENV) or None,
        state_url=config.getoption("calbot_state_url"),
        events=_events(config.getoption("calbot_events")),
        rate_limit=rate_limit,
        rate_limit_contract=not config.getoption("calbot_no_rate_limit"),
        max_wait=config.getoption("calbot_max_wait"),
        timeout=config.getoption("calbot_timeout"),
        contracts=contracts,
        max_examples=config.getoption("calbot_max_examples"),
        seed=seed,
        strict=strict,
        require_state=require_state,
    )
    run_options = RunOptions(
        max_examples=conformance.max_examples,
        seed=seed,
        rate_limit_contract=conformance.rate_limit_contract,
        strict=strict,
        require_state=require_state,
    )
    return Settings(conformance, run_options, Path(report_dir) if report_dir else None)


def _rate_limit(text: str | None) -> RateLimit | None:
    if text is None:
        return None
    try:
        return parse_rate_limit(text)
    except RateLimitSyntaxError as exc:
        raise pytest.UsageError(f"--calbot-rate-limit: {exc}") from None


def _contracts(text: str | None) -> list[str] | None:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if not names:
        return None
    try:
        select(all_checks(), names)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-contracts: {exc}") from None
    return names


def _events(values: Sequence[str]) -> dict[str, list[str]]:
    from calbot.contracts.events import parse_event_ids

    try:
        return parse_event_ids(values)
    except ValueError as exc:
        raise pytest.UsageError(f"--calbot-event {exc}") from None


# --- results as data (they travel from xdist workers to the controller) ------------------------


def dump_check(check: CheckResult) -> dict[str, Any]:
    """A check result as plain JSON-ready data (its part of `RunResult.to_dict`)."""
    holder = RunResult("", "", "", datetime.now(UTC), checks=[check])
    data: dict[str, Any] = holder.to_dict()["checks"][0]
    return data


def load_check(data: dict[str, Any]) -> CheckResult:
    """The check result `dump_check` gave."""
    holder = {"target": "", "kit_version": "", "spec_version": "", "started_at": "2000-01-01"}
    return RunResult.from_dict({**holder, "checks": [data]}).checks[0]


# --- outcomes ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an item's check results mean to pytest."""

    kind: Literal["passed", "failed", "error", "skipped"]
    text: str = ""
    summary: str = ""
    warnings: list[str] = field(default_factory=list)


def judge(
    results: Sequence[CheckResult],
    *,
    strict: bool,
    secrets: Sequence[str],
    limit: int = FINDINGS_SHOWN,
) -> Outcome:
    """Failed (or, strict, warned) beats error beats all-skipped beats passed (with warnings)."""
    failing = (Status.FAILED, Status.WARNING) if strict else (Status.FAILED,)
    failed = [r for r in results if r.status in failing]
    errors = [r for r in results if r.status is Status.ERROR]
    if failed or errors:
        text = "\n\n".join(describe(r, secrets, limit) for r in failed + errors)
        others = [r for r in results if r not in failed and r not in errors]
        if others:
            text += "\n\nthe other checks of this item:\n" + "\n".join(
                mask(f"  {r.id} {r.status.value}" + (f": {r.reason}" if r.reason else ""), secrets)
                for r in others
            )
        first = (failed or errors)[0]
        summary = headline(first, secrets, named=len(results) > 1)
        return Outcome("failed" if failed else "error", text, summary)
    if all(r.status is Status.SKIPPED for r in results):
        reasons = dict.fromkeys(mask(r.reason or "no reason given", secrets) for r in results)
        return Outcome("skipped", "; ".join(reasons))
    warned = [describe(r, secrets, limit) for r in results if r.status is Status.WARNING]
    return Outcome("passed", warnings=warned)


def headline(check: CheckResult, secrets: Sequence[str], *, named: bool = False) -> str:
    """One line: the first finding (or the reason), after the check's name when `named`."""
    text = check.reason or check.status.value
    if check.findings:
        total = sum(finding.count for finding in check.findings)
        text = check.findings[0].message + (f" (+{total - 1} more)" if total > 1 else "")
    return mask(f"{check.name}: {text}" if named else text, secrets)


def describe(check: CheckResult, secrets: Sequence[str], limit: int = FINDINGS_SHOWN) -> str:
    """A check's result for a person: the rule, then each (grouped) finding with a curl."""
    lines = [
        f"{check.id} {check.status.value.upper()} · {check.level.value.upper()} rule {check.rule}",
    ]
    if check.description:
        lines.append(f"  {check.description}")
    if check.reason:
        lines.append(f"  reason: {check.reason}")
    groups = group_findings(check.findings)
    if groups:
        total = sum(finding.count for finding in groups)
        lines.append(f"  {total} finding{'s' if total != 1 else ''}:")
    for number, finding in enumerate(groups[:limit], 1):
        times = f" (×{finding.count})" if finding.count > 1 else ""
        lines.append(f"  {number}. [{finding.rule}] {finding.message}{times}")
        for label, value, shown in (
            ("operation", finding.operation, TEXT_SHOWN),
            ("expected", finding.expected, TEXT_SHOWN),
            ("actual", finding.actual, TEXT_SHOWN),
            ("reproduce", finding.curl, CURL_SHOWN),
        ):
            if value:
                lines.append(f"     {label + ':':<10} {_indent(_clip(value, shown), 16)}")
    if len(groups) > limit:
        lines.append(f"  … and {len(groups) - limit} more (-vv shows all; --calbot-report-dir)")
    return mask("\n".join(lines), secrets)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "… (cut; in full in the reports)"


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def pytest_flags(text: str | None) -> str | None:
    """A reason that names a `calbot run` option, with the pytest option's name instead."""
    return _CLI_FLAG.sub("--calbot-", text) if text else text


# --- running checks ---------------------------------------------------------------------------


class Coordination:
    """Keeps xdist workers' calbot checks out of the rate-limit burst.

    Every calbot item holds a shared lock on a file in a directory the controller made; the
    burst holds it exclusively, so it runs alone. Each worker notes when it last finished a
    check, and the burst first waits (at most --calbot-max-wait) until those requests have
    left the budget's window.
    """

    def __init__(self, directory: Path, worker: str, workers: int) -> None:
        self.directory = directory
        self.worker = worker
        self.workers = workers

    @contextlib.contextmanager
    def turn(self, *, burst: bool) -> Iterator[None]:
        """Hold the lock for one item (exclusively for the burst)."""
        with (self.directory / "burst.lock").open("a+b") as handle:
            _lock(handle, exclusive=burst)
            try:
                yield
            finally:
                if not burst:
                    (self.directory / f"activity-{self.worker}").write_text(str(time.time()))
                _unlock(handle)

    def quiet_in(self, period: float) -> float:
        """Seconds until the workers' last checks are `period` seconds old."""
        latest = 0.0
        for path in self.directory.glob("activity-*"):
            with contextlib.suppress(OSError, ValueError):
                latest = max(latest, float(path.read_text()))
        return max(0.0, latest + period - time.time()) if latest else 0.0


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
            except TargetError as exc:
                self.unreachable = mask(str(exc), self.settings.secrets)
        return self._built

    def run(self, specs: Sequence[CheckSpec]) -> tuple[list[CheckResult], int]:
        """Run `specs` in order: their results, and how often a 429 had to be waited out.

        Nothing is sent when the target did not answer at all."""
        target, states = self.ready()
        if self.unreachable is not None:
            reason = f"the target could not be reached: {self.unreachable}"
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
            results = [run_check(spec, target, states, options) for spec in specs]
        for result in results:
            result.reason = pytest_flags(result.reason)
        return results, target.throttled_waits - before

    def close(self) -> None:
        if self._built is not None:
            self._built[0].close()


def _not_run(spec: CheckSpec, reason: str) -> CheckResult:
    return spec.result(Status.ERROR, reason)


# --- collection tree --------------------------------------------------------------------------


class CalbotChecks(pytest.Collector):
    """The session's `calbot` node: one item per check, the rate-limit contract as one item."""

    def __init__(self, *, plugin: ConformancePlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        specs = select(all_checks(), self.plugin.settings.conformance.contracts)
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
        self.results, self.throttled_waits = runner.run(self.specs)
        self.sent = False
        if runner.unreachable is not None:
            if runner.unreachable_reported:
                pytest.skip("calbot: the target could not be reached (see the first calbot error)")
            runner.unreachable_reported = True
            summary = f"calbot could not reach the target: {runner.unreachable}"
            advice = "Check --calbot-url and that the server is running; the other calbot items"
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

    def _outcome(self) -> Outcome:
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


# --- the plugin -------------------------------------------------------------------------------


class ConformancePlugin:
    """Registered by `calbot.pytest_plugin` when --calbot-url is given, once per process."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = read_settings(config)
        self.worker: dict[str, Any] | None = getattr(config, "workerinput", None)
        coordination = None
        if self.worker is not None and self.worker.get("calbot_shared_dir"):
            coordination = Coordination(
                Path(self.worker["calbot_shared_dir"]),
                str(self.worker.get("workerid", "gw")),
                int(self.worker.get("workercount", 1)),
            )
        self.runner = Runner(self.settings, coordination)
        self.shared_dir: Path | None = None
        self.workers = 0
        self.checks: dict[str, CheckResult] = {}
        self.throttled_waits = 0
        self.started = datetime.now(UTC)
        self.result: RunResult | None = None
        self.written: dict[str, Path] = {}
        self.report_error: str | None = None

    # --- collection ---------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Add the `calbot` node to what the session collects."""
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            report.result.append(
                CalbotChecks.from_parent(
                    collector, name=COLLECTOR_NAME, nodeid=COLLECTOR_NAME, plugin=self
                )
            )
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The rate-limit burst runs last: the budget it spends slows nothing else down."""
        burst = [item for item in items if isinstance(item, CalbotCheck) and item.burst]
        if burst:
            items[:] = [*(item for item in items if item not in burst), *burst]

    # --- xdist --------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """(xdist controller) Give each worker the run's seed and the coordination directory."""
        if self.shared_dir is None:
            self.shared_dir = Path(tempfile.mkdtemp(prefix="calbot-xdist-"))
        self.workers += 1
        node.workerinput["calbot_shared_dir"] = str(self.shared_dir)
        node.workerinput["calbot_seed"] = self.settings.run_options.seed

    # --- running ------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the item's check results to the report that settles its outcome."""
        report = yield
        if not isinstance(item, CalbotCheck):
            return report
        excinfo = call.excinfo
        if call.when == "setup" and excinfo and isinstance(excinfo.value, CalbotFailure):
            report.longrepr = item.repr_failure(excinfo)  # pytest would show a traceback
        if report.skipped and isinstance(report.longrepr, tuple):
            # Shown as `calbot:0: <reason>`, not as a line of this module.
            report.longrepr = (COLLECTOR_NAME, 0, report.longrepr[2])
        if item.results and not item.sent and (call.when == "call" or not report.passed):
            item.sent = True
            data = {
                "checks": [dump_check(result) for result in item.results],
                "throttled_waits": item.throttled_waits,
            }
            setattr(report, REPORT_ATTRIBUTE, data)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """(controller) Keep every check result, from this process or from the workers."""
        data = getattr(report, REPORT_ATTRIBUTE, None)
        if self.worker is not None or not isinstance(data, dict):
            return
        for plain in data["checks"]:
            result = load_check(plain)
            self.checks[result.id] = result
        self.throttled_waits += int(data.get("throttled_waits", 0))

    # --- the end ------------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say what is tested, how, and with which seed."""
        label, states, _ = self._describe()
        budget = self.settings.conformance.rate_limit
        return [
            f"calbot: {label} · state: {states} · seed {self.settings.run_options.seed}"
            + (f" · budget {budget}" if budget else "")
        ]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Close the target; the controller sums up the session and writes its reports."""
        self.runner.close()
        if self.worker is not None or not self.checks:
            return
        self.result = self.session_result()
        if self.settings.report_dir is None:
            return
        from calbot.reports.render import FORMATS, write_reports

        try:
            self.written = write_reports(
                self.result, FORMATS, self.settings.report_dir, secrets=self.settings.secrets
            )
        except OSError as exc:
            self.report_error = (
                f"calbot: cannot write the reports to {self.settings.report_dir}: "
                f"{exc.strerror or exc}"
            )
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The calbot verdict, and where the reports are."""
        if self.result is None:
            return
        counts = self.result.counts()
        shown = ", ".join(f"{n} {status.value}" for status, n in counts.items() if n)
        terminalreporter.write_sep(
            "-", f"calbot: {self.result.verdict.value} · {len(self.result.checks)} checks: {shown}"
        )
        if self.written:
            terminalreporter.write_line(f"calbot reports in {self.settings.report_dir}:")
            for path in self.written.values():
                terminalreporter.write_line(f"  {path}")
        if self.report_error:
            terminalreporter.write_line(self.report_error, red=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.shared_dir is not None:
            shutil.rmtree(self.shared_dir, ignore_errors=True)

    def session_result(self) -> RunResult:
        """One RunResult of every check this session ran, in calbot's run order."""
        from calbot import __version__
        from calbot.spec import load_spec

        order = {spec.id: index for index, spec in enumerate(all_checks())}
        checks = sorted(self.checks.values(), key=lambda check: order.get(check.id, len(order)))
        starts = [check.started_at for check in checks if check.started_at]
        started = min(starts, default=self.started)
        ends = [
            check.started_at + timedelta(seconds=check.duration)
            for check in checks
            if check.started_at
        ]
        label, states, budgets = self._describe()
        conformance = self.settings.conformance
        return RunResult(
            target=label,
            kit_version=__version__,
            spec_version=str(load_spec()["info"]["version"]),
            started_at=started,
            duration=round((max(ends, default=started) - started).total_seconds(), 3),
            seed=self.settings.run_options.seed,
            strict=conformance.strict,
            options={
                "runner": "pytest",
                "workers": self.workers or 1,
                "max_examples": conformance.max_examples,
                "rate_limit": budgets,
                "max_wait": conformance.max_wait,
                "state_setup": states,
                "contracts": sorted({check.contract for check in checks}),
                "throttled_waits": self.throttled_waits,
            },
            checks=checks,
        )

    def _describe(self) -> tuple[str, str, dict[str, str]]:
        """The target's label, the state setup and the budgets (no request is sent)."""
        target, states = build(self.settings.conformance)
        try:
            budgets = {f"{m} {p}": str(b) for (m, p), b in sorted(target.budgets.items())}
            return mask(target.label, self.settings.secrets), states.description, budgets
        finally:
            target.close()
