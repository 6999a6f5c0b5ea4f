"""Shared fixtures for calbot's own tests."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from calbot.spec import load_spec


@pytest.hookimpl(optionalhook=True)  # the hook exists only when pytest-xdist is loaded
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core, stealing work from each other (unless `--dist` says
    otherwise). Much of a conformance run waits (a budget's window, Retry-After, a backoff),
    so one worker per core leaves a core idle; four per core made the in-process bursts too
    slow to outpace a budget (each request crosses threads twice, each crossing waits for a
    time slice) and the suite no faster."""
    if config.option.dist == "no":
        config.option.dist = "worksteal"
    return 2 * (os.cpu_count() or 1)


HEAVY = ("tests/correct/", "tests/mutants/")


def _weight(item: pytest.Item) -> int:
    if item.nodeid.startswith(HEAVY):
        return 0
    return 1 if item.get_closest_marker("slow") else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folders of full conformance runs first, then the other slow tests (subprocesses,
    real servers), the rest last (each in its own order), so that no long test starts last and
    holds the suite up while the other workers stand idle."""
    items.sort(key=_weight)


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its files (examples, caches) in a temporary folder, not in the
    project: the test command leaves no .hypothesis/ behind."""
    from hypothesis.configuration import set_hypothesis_home_dir

    home = tempfile.mkdtemp(prefix="calbot-tests-hypothesis-")
    set_hypothesis_home_dir(home)
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


@pytest.fixture
def spec_document() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped fragment."""
    return copy.deepcopy(load_spec())


SERVE = [sys.executable, "-m", "calbot", "serve"]
READY_LINE = re.compile(r"^calbot reference server listening on (http://127\.0\.0\.1:\d+)\n$")
Served = tuple["subprocess.Popen[str]", str, float]


@contextmanager
def _serving(*options: str) -> Iterator[Served]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [*SERVE, "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        ready = time.perf_counter() - started
        match = READY_LINE.match(line)
        assert match, (line, process.stderr.read() if process.poll() is not None else "")
        yield process, match.group(1), ready
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def serve_process() -> Callable[..., AbstractContextManager[Served]]:
    """`with serve_process(*options) as (process, url, ready)`: `calbot serve --port 0` in a
    subprocess, from the installed package; killed on exit if it is still running."""
    return _serving
