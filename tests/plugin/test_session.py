"""The run one pytest process opens, and its checks run under xdist: what each worker tells the
one that runs the rate-limit burst (in-process, against the built-in server)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from calbot.conformance import Conformance, select_checks
from calbot.contracts.checks.rate_limit import LANES, MEMO, Burst
from calbot.pytest.coordination import Coordination
from calbot.pytest.session import Runner
from calbot.pytest.settings import Settings
from calbot.spec.throttles import RateLimit

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no file locks on Windows")

# A budget whose window (a minute) is longer than the longest wait allowed: the burst cannot
# wait for a clean window, so it counts the requests inside it, as `calbot run` does.
BUDGET = RateLimit(100, 60.0)
BURST_OPERATION = ("POST", "/api/v2/calendar-events/{id}/bot/")


def settings(seed: int) -> Settings:
    options = Conformance(rate_limit=BUDGET, max_wait=0.5, max_examples=1, seed=seed)
    return Settings(options, None, heartbeat=5.0)


def test_the_burst_counts_what_the_other_workers_sent(tmp_path: Path) -> None:
    other = Runner(settings(5), Coordination(tmp_path, "gw1", 2))
    burst = Runner(settings(5), Coordination(tmp_path, "gw0", 2))
    try:
        other.run(select_checks(["dedup"]))
        sent = json.loads((tmp_path / "sends-gw1.json").read_text())
        assert len(sent) >= 3  # dedup schedules a bot or two per check
        burst.run(select_checks(["rate_limit::throttles-past-budget"]))
        found = burst.opened.target.memo[MEMO]
        assert isinstance(found, Burst) and not found.clean
        # the set-up schedules of its own lanes, and what the other worker sent
        assert found.expected_at == BUDGET.limit - LANES - len(sent) + 1
        # the burst had the whole budget; afterwards the worker paces to its share again
        assert burst.opened.target.pacer.budgets[BURST_OPERATION] == RateLimit(50, 60.0)
    finally:
        other.close()
        burst.close()


def test_without_xdist_nothing_is_shared(tmp_path: Path) -> None:
    alone = Runner(settings(6), None)
    try:
        results, waits = alone.run(select_checks(["dedup::same-key-same-bot"]))
        assert [result.status.value for result in results] == ["passed"]
        assert waits == 0
        assert alone.opened.target.pacer.budgets[BURST_OPERATION] == BUDGET
    finally:
        alone.close()
    assert list(tmp_path.iterdir()) == []
