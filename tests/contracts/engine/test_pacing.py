import pytest

from calbot.contracts.engine.pacing import SAFETY, SLACK_SECONDS, Pacer
from calbot.spec.throttles import RateLimit


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(limit: int = 3, period: float = 10.0) -> tuple[Pacer, FakeTime]:
    time = FakeTime()
    return Pacer({"op": RateLimit(limit, period)}, clock=time.clock, sleep=time.sleep), time


def test_sends_within_the_budget_do_not_wait() -> None:
    pacer, time = make()
    for _ in range(3):
        pacer.before_send("op")
    assert time.slept == []


def test_the_next_send_waits_for_the_oldest_to_leave_the_window() -> None:
    pacer, time = make(limit=3, period=10.0)
    for _ in range(3):
        pacer.before_send("op")
        time.now += 1
    pacer.before_send("op")
    window = 10.0 * SAFETY + SLACK_SECONDS
    assert time.slept == [pytest.approx(window - 3)]
    assert pacer.waited == pytest.approx(window - 3)


def test_operations_without_a_budget_are_not_paced() -> None:
    pacer, time = make(limit=1)
    for _ in range(5):
        pacer.before_send("other")
    assert time.slept == []


def test_until_clear_and_recent() -> None:
    pacer, time = make(limit=5, period=10.0)
    assert pacer.until_clear("op") == 0
    pacer.before_send("op")
    time.now += 4
    pacer.before_send("op")
    assert pacer.recent("op", 10) == 2
    assert pacer.until_clear("op") == pytest.approx(10.0 * SAFETY + SLACK_SECONDS)
    pacer.forget("op")
    assert pacer.recent("op", 10) == 0


def test_a_request_counts_from_its_answer() -> None:
    """A server that took the request in late counts it late: so does calbot's window."""
    pacer, time = make(limit=5, period=10.0)
    moment = pacer.before_send("op")
    assert moment == 100.0
    time.now += 0.3  # the answer comes 0.3 s after the send
    pacer.answered("op", moment)
    assert pacer.until_clear("op") == pytest.approx(10.0 * SAFETY + SLACK_SECONDS)
    assert pacer.before_send("other") is None


def test_sent_is_what_is_still_in_the_window() -> None:
    pacer, time = make(limit=5, period=10.0)
    pacer.before_send("op")
    first = time.now
    time.now += 5
    pacer.before_send("op")
    assert pacer.sent("op") == [first, time.now]
    time.now += 10.0 * SAFETY + SLACK_SECONDS - 5
    assert pacer.sent("op") == [first + 5]
    assert pacer.sent("other") == []


def test_requests_heard_of_count_as_sent() -> None:
    """Another process's requests (an xdist worker's) count in the waits, as this pacer's own."""
    pacer, time = make(limit=3, period=10.0)
    pacer.before_send("op")
    pacer.heard("op", [time.now - 2, time.now - 1])
    assert pacer.recent("op", 10) == 3
    assert pacer.sent("op") == [time.now - 2, time.now - 1, time.now]
    assert pacer.until_clear("op") == pytest.approx(10.0 * SAFETY + SLACK_SECONDS)
    pacer.before_send("op")  # the budget is spent: wait for the oldest heard of to leave
    window = 10.0 * SAFETY + SLACK_SECONDS
    assert time.slept == [pytest.approx(window - 2)]
