"""The conformance plugin: one per pytest process, registered with --calbot-url."""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from calbot.contracts.results import CheckResult, RunResult
from calbot.pytest.collection import COLLECTOR_NAME, CalbotCheck, CalbotChecks
from calbot.pytest.coordination import Coordination
from calbot.pytest.progress import (
    Capturing,
    ProgressLine,
    Status,
    StatusFile,
    live_logging,
    worker_statuses,
)
from calbot.pytest.reporting import CalbotFailure
from calbot.pytest.session import Runner
from calbot.pytest.settings import read_settings
from calbot.pytest.xdist import REPORT_ATTRIBUTE, dump_check, load_check

MIN_COVERAGE = "--calbot-min-coverage"
PROGRESS_PLUGIN = "calbot-progress"


class ConformancePlugin:
    """Registered by `calbot.pytest.plugin` when --calbot-url is given, once per process."""

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
        self.coordination = coordination
        self.runner = Runner(self.settings, coordination)
        self.progress: ProgressLine | None = None  # one process: open while a check runs
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
        node.workerinput["calbot_seed"] = self.settings.conformance.seed

    # --- running ------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """Signs of life while the checks run: the status line (see `calbot.pytest.progress`)."""
        with self._signs_of_life(session):
            return (yield)

    def _signs_of_life(self, session: pytest.Session) -> contextlib.AbstractContextManager[object]:
        """A worker writes its status for the controller; the controller, or a lone process,
        writes the status line through its terminal reporter."""
        ours = any(isinstance(item, CalbotCheck) for item in session.items)
        if self.coordination is not None:  # an xdist worker: its output is never shown
            if not ours:
                return contextlib.nullcontext()
            activity = self.runner.opened.activity
            return StatusFile(self.coordination.status_path, activity, self.settings.secrets)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.worker is not None:
            return contextlib.nullcontext()
        if self.shared_dir is not None:  # the xdist controller
            return self._status_line(reporter, functools.partial(worker_statuses, self.shared_dir))
        if not ours:
            return contextlib.nullcontext()
        activity = self.runner.opened.activity

        def statuses() -> list[Status]:
            return [("", activity)]

        return self._status_line(reporter, statuses, one_process=True)

    @contextlib.contextmanager
    def _status_line(
        self,
        reporter: pytest.TerminalReporter,
        statuses: Callable[[], list[Status]],
        *,
        one_process: bool = False,
    ) -> Iterator[ProgressLine]:
        """The status line, for the whole run-test loop (registered: it clears itself before
        pytest reports); in one process it writes only while a check runs (`checking`)."""
        line = ProgressLine(
            reporter,
            statuses,
            self.settings.secrets,
            live=bool(reporter.isatty) and not live_logging(self.config),
            heartbeat=self.settings.heartbeat,
            always_open=not one_process,
        )
        self.config.pluginmanager.register(line, PROGRESS_PLUGIN)
        self.progress = line if one_process else None
        try:
            with line:
                yield line
        finally:
            self.progress = None
            self.config.pluginmanager.unregister(line, PROGRESS_PLUGIN)

    def checking(self) -> contextlib.AbstractContextManager[None]:
        """Around a check run in this process: the status line may be written meanwhile."""
        if self.progress is None:
            return contextlib.nullcontext()
        capture: Capturing | None = self.config.pluginmanager.get_plugin("capturemanager")
        return self.progress.showing(capture)

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
        described = self.runner.opened.describe()
        budget = self.settings.conformance.rate_limit
        return [
            f"calbot: {described.target} · state: {described.state_setup} · seed {described.seed}"
            + (f" · budget {budget}" if budget else "")
        ]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """The controller sums up the session and writes its reports; the target is closed."""
        if self.worker is not None or not self.checks:
            self.runner.close()
            return
        self.result = self.session_result()
        self.runner.close()
        if self.result.coverage_shortfall() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.settings.report_dir is None:
            return
        from calbot.reports import write_reports
        from calbot.reports.formats import FORMATS

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
        from calbot.reports.coverage import coverage_summary
        from calbot.reports.retries import run_retries

        counts = self.result.counts()
        shown = ", ".join(f"{n} {status.value}" for status, n in counts.items() if n)
        shortfall = self.result.coverage_shortfall(MIN_COVERAGE)
        why = f" · {shortfall}" if shortfall else ""
        terminalreporter.write_sep(
            "-",
            f"calbot: {self.result.verdict.value}{why} · {len(self.result.checks)} checks: {shown}",
        )
        for fact in (coverage_summary(self.result), run_retries(self.result)):
            if fact:
                terminalreporter.write_line(f"calbot {fact}")
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
        return self.runner.opened.gathered(
            self.checks.values(),
            began=self.started,
            throttled_waits=self.throttled_waits,
            first={"runner": "pytest", "workers": self.workers or 1},
        )
