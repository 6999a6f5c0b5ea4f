"""The run's activity: what a progress display reads, and Ctrl-C that cannot be swallowed."""

from __future__ import annotations

import threading
import time

import pytest

from calbot.contracts.domain.operations import EVENT
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.target import Target, TargetConfig
from calbot.server import ServerConfig, create_app


def test_requests_and_waits_are_counted_per_check() -> None:
    target = Target(TargetConfig(app=create_app(ServerConfig())))
    activity = target.activity
    activity.start_check("a::b")
    target.send("GET", EVENT.format(id="x"))
    target.send("GET", EVENT.format(id="y"))
    assert (activity.check, activity.check_requests, activity.requests) == ("a::b", 2, 2)
    activity.start_check("c::d")
    assert (activity.check_requests, activity.requests) == (0, 2)
    with activity.waiting(30, "Retry-After"):
        left = activity.wait_left()
        assert left is not None and 29 < left <= 30
        assert activity.waiting_for == "Retry-After"
    assert activity.wait_left() is None


def test_once_stopped_every_request_raises_keyboard_interrupt() -> None:
    """A swallowed first Ctrl-C cannot let the run go on: the next request raises again."""
    target = Target(TargetConfig(app=create_app(ServerConfig())))
    target.activity.stop()
    for _ in range(2):
        with pytest.raises(KeyboardInterrupt):
            target.send("GET", EVENT.format(id="x"))


def test_a_long_wait_ends_at_once_when_stopped() -> None:
    activity = Activity()
    threading.Timer(0.1, activity.stop).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        activity.pause(30, "the budget's window")
    assert time.monotonic() - started < 5
