"""The sliding-window limiter: exactly `limit` admissions per window, whole-second waits."""

from __future__ import annotations

import pytest

from calbot.contracts.domain.limiter import SlidingWindow
from calbot.spec.throttles import RateLimit


def admitted(window: SlidingWindow, key: str, times: list[float]) -> list[bool]:
    return [window.admit(key, now) is None for now in times]


@pytest.mark.parametrize(("limit", "period"), [(1, 1), (5, 1), (600, 60), (3, 0.5)])
def test_exactly_limit_admissions_in_one_window(limit: int, period: float) -> None:
    window = SlidingWindow(RateLimit(limit, period))
    results = admitted(window, "ws", [0.0] * (limit + 5))
    assert results == [True] * limit + [False] * 5


def test_admissions_spread_over_the_window_still_count() -> None:
    window = SlidingWindow(RateLimit(3, 60))
    assert admitted(window, "ws", [0, 20, 40, 59.9]) == [True, True, True, False]


def test_retry_after_is_the_wait_for_the_oldest_admission_in_whole_seconds() -> None:
    window = SlidingWindow(RateLimit(2, 60))
    assert window.admit("ws", 0) is None
    assert window.admit("ws", 10) is None
    assert window.admit("ws", 20) == 40
    assert window.admit("ws", 20.5) == 40  # 39.5 s rounds up
    assert window.admit("ws", 20.7) == 40  # and so does 39.3 s
    assert window.admit("ws", 59.5) == 1  # half a second rounds up to one
    assert window.admit("ws", 59.999) == 1  # never 0


def test_retry_after_is_an_int_of_at_least_one() -> None:
    window = SlidingWindow(RateLimit(1, 0.2))
    window.admit("ws", 0)
    wait = window.admit("ws", 0.1)
    assert wait == 1 and isinstance(wait, int)


def test_waiting_retry_after_is_enough() -> None:
    window = SlidingWindow(RateLimit(2, 10))
    window.admit("ws", 0)
    window.admit("ws", 3.3)
    wait = window.admit("ws", 4)
    assert wait == 6
    assert window.admit("ws", 4 + wait) is None


def test_the_window_slides() -> None:
    window = SlidingWindow(RateLimit(2, 10))
    assert admitted(window, "ws", [0, 5, 9]) == [True, True, False]
    assert admitted(window, "ws", [10]) == [True]  # the admission at 0 has left
    assert admitted(window, "ws", [14.9, 15]) == [False, True]
    assert admitted(window, "ws", [16]) == [False]


def test_refused_requests_do_not_count() -> None:
    window = SlidingWindow(RateLimit(2, 10))
    admitted(window, "ws", [0, 1])
    assert admitted(window, "ws", [2, 3, 4, 5, 6, 7, 8, 9]) == [False] * 8
    # Had the refusals counted, nothing would be admitted until 19.
    assert admitted(window, "ws", [10, 11, 11.5]) == [True, True, False]


def test_keys_have_their_own_windows() -> None:
    window = SlidingWindow(RateLimit(1, 60))
    assert admitted(window, "a", [0, 1]) == [True, False]
    assert admitted(window, "b", [1]) == [True]
    assert admitted(window, ("a", "POST"), [1]) == [True]


def test_reset_forgets_everything() -> None:
    window = SlidingWindow(RateLimit(1, 60))
    window.admit("a", 0)
    window.reset()
    assert window.admit("a", 1) is None


def test_the_budget_is_kept() -> None:
    budget = RateLimit(600, 60)
    assert SlidingWindow(budget).budget is budget
