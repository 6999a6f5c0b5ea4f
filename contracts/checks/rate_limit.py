"""Rate limiting: past the budget, 429 with a usable Retry-After; nothing changes; recovery.

The budget is the workspace's: `x-throttles` in Recall's OpenAPI gives `scope_key: workspace_id`,
600 POSTs a minute across all its events. So one burst of POSTs goes round several events, each
with a key of its own: a server that counts per event or per path never throttles it. With a
second workspace's key, one POST of that workspace is sent while the first is throttled: it
must be admitted.

The burst starts from an empty window when calbot can wait for one (within the longest wait
allowed), so the first 429 is expected exactly after `limit` requests; DRF-style servers count
every request, which is why calbot waits rather than guesses. A 429 earlier than that comes from
a window calbot did not start (an earlier run, another client): calbot then waits for a clean
window and bursts once more, judging only the second burst, or, when it cannot wait that long,
does not judge when the first 429 came.

One burst serves every check here (it runs in the first of them that is selected).
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.pacing import SAFETY, SLACK_SECONDS
from calbot.contracts.engine.registry import Context, NoState, Skip, check
from calbot.contracts.engine.settings import Setting
from calbot.contracts.engine.steps import bots_of, schedule_ok
from calbot.contracts.judges.answers import usable_retry_after
from calbot.spec.throttles import RateLimit, parse_retry_after

MEMO = "rate_limit.burst"
THROTTLED_NAME = "calbot throttled request"
SLACK = 0.05
LANES = 4
"""Events the burst goes round, a key of its own each."""
UNKNOWN: Any = object()
CLEAN_WINDOW = "a clean window"
BURST_OPERATION = ("POST", EVENT_BOT)
"""The operation whose budget the burst spends (the xdist workers count their sends to it)."""


@dataclass
class Lane:
    """One event of the burst and what its bot had: read before the burst, then admitted."""

    event_id: str
    key: str
    name_before: Any = UNKNOWN  # the bot_name read after the set-up schedule
    last_admitted: str | None = None  # the bot_name of the last burst request answered 200

    @property
    def expected_name(self) -> Any:
        """The bot_name the event's bot has while no request of it is admitted."""
        return self.last_admitted if self.last_admitted is not None else self.name_before


@dataclass
class Burst:
    """What the burst past the budget showed (the second one, when calbot burst twice)."""

    budget: RateLimit
    clean: bool
    expected_at: int
    sent: int  # calls
    elapsed: float
    lanes: list[Lane] = field(default_factory=list)
    first_429_at: int | None = None  # the call answered the first 429
    tries: int = 0  # requests sent: the calls and calbot's retries of transient answers
    first_429_try: int | None = None  # the request (counting retries) answered the first 429
    throttled: httpx.Response | None = None
    throttled_lane: Lane | None = None
    probe: httpx.Response | None = None
    retry_after: float | None = None
    recovery: httpx.Response | None = None
    recovery_skipped: str | None = None
    errors: int = 0
    event_after: httpx.Response | None = None
    bot_after: httpx.Response | None = None
    other_workspace: httpx.Response | None = None  # the second workspace's POST, while throttled
    story: str | None = None  # what happened before the judged burst, when it matters
    unclean: str | None = None  # why an early 429 cannot be judged

    @property
    def event_id(self) -> str:
        return self.throttled_lane.event_id if self.throttled_lane else ""

    @property
    def key(self) -> str:
        return self.throttled_lane.key if self.throttled_lane else ""

    @property
    def early(self) -> bool:
        """The first 429 came before the budget was spent, counting every request sent: a
        server may count calbot's retries of its transient answers too (DRF counts every
        request that reaches a view), so only more requests than that is early."""
        return self.first_429_try is not None and self.first_429_try < self.expected_at

    @property
    def retried(self) -> int:
        """Retries of transient answers up to the first 429 (or the end of the burst)."""
        return (self.first_429_try or self.tries) - (self.first_429_at or self.sent)

    @property
    def outpaced(self) -> bool:
        """Whether some window of the budget's period held more requests than the budget.

        The burst's requests are spread evenly over `elapsed` for this estimate: a server
        slower than the budget's rate never has to answer 429, and is not failed for it.
        """
        requests = max(self.tries, self.sent)
        in_one_window = requests * min(1.0, self.budget.period / max(self.elapsed, 1e-9))
        return in_one_window > self.expected_at - 1

    @property
    def tolerance(self) -> int:
        """How far after the budget a 429 may come (refill during the burst, plus 5%)."""
        refill = math.ceil(self.budget.limit * self.elapsed / self.budget.period)
        return refill + max(1, math.ceil(0.05 * self.budget.limit))


def _burst(ctx: Context) -> Burst:
    memo = ctx.target.memo
    if MEMO not in memo:
        try:
            memo[MEMO] = _run_burst(ctx)
        except Skip as skip:
            memo[MEMO] = skip
    found = memo[MEMO]
    if isinstance(found, Skip):
        raise Skip(str(found))
    assert isinstance(found, Burst)
    return found


def _run_burst(ctx: Context) -> Burst:
    operation = BURST_OPERATION
    budget = ctx.target.budgets.get(operation)
    if budget is None:
        given = ctx.target.spell(Setting.RATE_LIMIT)
        raise Skip(f"the fragment documents no budget for POST and none was given ({given})")
    lanes = [_lane(ctx, 1)]
    with contextlib.suppress(NoState):  # given event ids can run short: fewer lanes then
        lanes.extend(_lane(ctx, number) for number in range(2, LANES + 1))
    other_event = _other_workspace_event(ctx)
    wait = ctx.target.pacer.until_clear(operation)
    clean = wait <= ctx.target.config.max_wait
    recent = 0 if clean else ctx.target.pacer.recent(operation, budget.period)
    if clean:
        _wait(ctx, wait, CLEAN_WINDOW)
    burst = _send_burst(ctx, Burst(budget, clean, budget.limit - recent + 1, 0, 0.0, lanes), 1)
    if burst.early:
        burst = _again(ctx, burst)
    if burst.throttled is None:
        return burst
    _after_429(ctx, burst, other_event)
    return burst


def _other_workspace_event(ctx: Context) -> str | None:
    """An event in the second workspace, when a key for one was given and state setup can."""
    second = ctx.target.config.second_api_key
    if not second:
        return None
    try:
        return str(ctx.event(api_key=second)["id"])
    except NoState:
        return None


def _lane(ctx: Context, number: int) -> Lane:
    """A fresh event scheduled with a key of its own, and its bot's name as read."""
    lane = Lane(ctx.event()["id"], ctx.key(f"burst-{number}"))
    body = {"deduplication_key": lane.key, "bot_config": {}}
    scheduled = schedule_ok(ctx, lane.event_id, body, f"set-up schedule {number}")
    if scheduled is None:
        raise Skip("a set-up schedule failed (see the other contracts)")
    bots = bots_of(scheduled)
    if len(bots) == 1 and isinstance(bots[0].get("bot_id"), str):
        read = ctx.get_bot(bots[0]["bot_id"])
        if read.status_code == 200:
            lane.name_before = _json(read).get("bot_name")
    return lane


def _send_burst(ctx: Context, burst: Burst, first: int) -> Burst:
    """POSTs round the lanes, unpaced, until the first 429 (or well past the budget)."""
    ctx.target.pacer.forget(BURST_OPERATION)
    started = time.monotonic()
    lanes = burst.lanes
    before = len(ctx.target.transcript)  # every request sent, retries of transient answers too
    for count in range(1, 2 * burst.budget.limit + 11):
        index = first + count - 1
        lane = lanes[(index - 1) % len(lanes)]
        name = f"calbot burst {index}"
        body = {"deduplication_key": lane.key, "bot_config": {"bot_name": name}}
        response = ctx.schedule(lane.event_id, body, paced=False, retry_throttled=False)
        burst.sent, burst.tries = count, len(ctx.target.transcript) - before
        if response.status_code == 429:
            burst.first_429_at, burst.throttled, burst.throttled_lane = count, response, lane
            burst.first_429_try = burst.tries
            break
        if response.status_code == 200:
            lane.last_admitted = name
        else:
            burst.errors += 1
    burst.elapsed = time.monotonic() - started
    return burst


def _again(ctx: Context, early: Burst) -> Burst:
    """An early 429 comes from a window calbot did not start: wait for a clean one (within
    the longest wait allowed) and burst once more, to judge that burst alone."""
    admitted = (early.first_429_try or 1) - 1
    clean_in = early.budget.period * SAFETY + SLACK_SECONDS
    max_wait = ctx.target.config.max_wait
    seen = (
        f"the first burst was throttled after only {admitted} requests, where the budget "
        f"({early.budget}) allowed {early.expected_at - 1}: the server's window held requests "
        "calbot did not send (an earlier run, another client)"
    )
    if clean_in > max_wait:
        early.clean = False
        setting = ctx.target.spell(Setting.MAX_WAIT)
        early.unclean = (
            f"{seen}; a clean window was {clean_in:.0f} s away, past {setting} {max_wait:g} s, "
            f"so when the first 429 comes is not judged (a larger {setting} lets calbot wait)"
        )
        early.story = early.unclean
        return early
    _wait(ctx, clean_in, CLEAN_WINDOW)
    next_index = (early.first_429_at or 0) + 1
    fresh = Burst(early.budget, True, early.budget.limit + 1, 0, 0.0, early.lanes)
    fresh.story = (
        f"{seen}; calbot waited {clean_in:.1f} s for a clean window, burst again and judged "
        "the second burst only"
    )
    return _send_burst(ctx, fresh, next_index)


def _after_429(ctx: Context, burst: Burst, other_event: str | None) -> None:
    """Inside the throttled window: a follow-up POST (it must be refused and change nothing),
    the second workspace's POST (admitted), a look at the event; then the recovery."""
    lane, throttled = burst.throttled_lane, burst.throttled
    assert lane is not None and throttled is not None
    burst.retry_after = parse_retry_after(throttled.headers.get("retry-after"))
    probe = {"deduplication_key": ctx.key("throttled"), "bot_config": {"bot_name": THROTTLED_NAME}}
    burst.probe = ctx.schedule(lane.event_id, probe, paced=False, retry_throttled=False)
    if other_event is not None:
        body = {"deduplication_key": ctx.key("other-workspace"), "bot_config": {}}
        burst.other_workspace = ctx.schedule(
            other_event,
            body,
            api_key=ctx.target.config.second_api_key,
            paced=False,
            retry_throttled=False,
        )
    # Look before recovering: the recovery schedule would hide what a throttled request did.
    burst.event_after = ctx.get_event(lane.event_id)
    bots = bots_of(_json(burst.event_after))
    if len(bots) == 1 and isinstance(bots[0].get("bot_id"), str):
        burst.bot_after = ctx.get_bot(bots[0]["bot_id"])
    _recover(ctx, burst)


def _recover(ctx: Context, burst: Burst) -> None:
    if burst.retry_after is None:
        burst.recovery_skipped = "the 429 had no usable Retry-After to wait for"
        return
    if burst.retry_after > ctx.target.config.max_wait:
        burst.recovery_skipped = (
            f"Retry-After is {burst.retry_after:g} s, more than "
            f"{ctx.target.spell(Setting.MAX_WAIT)} {ctx.target.config.max_wait:g} s"
        )
        return
    _wait(ctx, burst.retry_after + SLACK, "Retry-After")
    body = {"deduplication_key": burst.key, "bot_config": {"bot_name": "calbot recovered"}}
    burst.recovery = ctx.schedule(burst.event_id, body, paced=False, retry_throttled=False)


def _wait(ctx: Context, seconds: float, why: str) -> None:
    """Sleep, the activity saying what for (a progress display shows it)."""
    with ctx.target.activity.waiting(seconds, why):
        ctx.target.sleep(seconds)


def _needs_429(burst: Burst) -> httpx.Response:
    if burst.throttled is None:
        raise Skip("no 429 was seen, so there is nothing to check here (see throttles-past-budget)")
    return burst.throttled


@check(
    "rate_limit",
    "throttles-past-budget",
    rule="rate-limit.throttle",
    covers=("rate-limit.past-budget", "rate-limit.across-events"),
)
def throttles_past_budget(ctx: Context) -> None:
    """A burst of POSTs past the budget, round several events, is answered 429."""
    with ctx.exercising("rate-limit.past-budget"):
        burst = _burst(ctx)
    if len(burst.lanes) > 1:  # the same requests put the budget's scope to the test
        ctx.exercised["rate-limit.across-events"] = ctx.exercised["rate-limit.past-budget"]
    if burst.story:
        ctx.note(burst.story)
    if burst.throttled is None and not burst.outpaced:
        raise Skip(
            f"the burst could not outpace the budget ({burst.sent} POSTs in "
            f"{burst.elapsed:.1f} s against {burst.budget}): the server answered too slowly "
            "for any window to hold more than the budget, so no 429 was owed"
        )
    if burst.throttled is None:
        ctx.fail(
            f"no 429 after {burst.sent} POSTs in {burst.elapsed:.1f} s: "
            f"{_assumed_budget(ctx, burst.budget)}; and the budget is the workspace's, across "
            f"its events (x-throttles scope workspace_id: the burst went round "
            f"{len(burst.lanes)}), not one per event or path",
            expected=f"429 once the workspace's budget ({burst.budget}) is spent",
            actual=f"{burst.sent - burst.errors} answered 200, {burst.errors} other answers",
            signature="no 429",
        )


def _assumed_budget(ctx: Context, budget: RateLimit) -> str:
    """What calbot assumed, and that a server with a larger budget answers the same: the finding
    stands (calbot cannot tell which is true) and says how to tell calbot."""
    source = "the budget given" if ctx.target.config.rate_limit is not None else "Recall's"
    flag = ctx.target.spell(Setting.RATE_LIMIT)
    return (
        f"calbot assumed {source}, {budget}; a server configured with a larger budget answers "
        f"the same way (if this one is, give its budget: {flag})"
    )


@check(
    "rate_limit",
    "at-the-budget",
    rule="rate-limit.budget",
    covers=("rate-limit.not-before-budget",),
)
def at_the_budget(ctx: Context) -> None:
    """The first 429 comes after the budget is spent: not before, and not far after."""
    burst = _burst(ctx)
    throttled = _needs_429(burst)
    assert burst.first_429_at is not None and burst.first_429_try is not None
    admitted = burst.first_429_at - 1
    if burst.story:
        ctx.note(burst.story)
    if burst.early:
        if not burst.clean:
            raise Skip(
                burst.unclean
                or f"could not start from an empty window within "
                f"{ctx.target.spell(Setting.MAX_WAIT)}, so an early 429 may be calbot's own "
                "earlier requests"
            )
        retries = (
            f" ({burst.retried} of them retries of transient answers)" if burst.retried else ""
        )
        ctx.fail(
            f"throttled after only {burst.first_429_try - 1} requests{retries}; the budget is "
            f"{burst.budget}",
            expected=f"{burst.expected_at - 1} requests admitted before the first 429",
            actual=f"{burst.first_429_try - 1} requests sent, {admitted} of them calls admitted",
            response=throttled,
            signature="throttled early",
        )
    elif burst.first_429_at > burst.expected_at + burst.tolerance:
        ctx.fail(
            f"the first 429 came only after {admitted} requests; the budget is {burst.budget}",
            expected=f"at most {burst.expected_at - 1 + burst.tolerance} admitted",
            actual=f"{admitted} admitted",
            response=throttled,
            signature="throttled late",
            rule="rate-limit.not-late",
        )


@check("rate_limit", "retry-after", rule="rate-limit.throttle", covers=("rate-limit.past-budget",))
def retry_after(ctx: Context) -> None:
    """The 429 carries Retry-After as delta-seconds or an HTTP-date."""
    throttled = _needs_429(_burst(ctx))
    value = throttled.headers.get("retry-after")
    if not usable_retry_after(value):
        ctx.fail(
            "the 429 has no usable Retry-After header",
            expected="Retry-After: <seconds> or an HTTP-date (https://docs.recall.ai/reference/errors)",
            actual="missing" if value is None else repr(value),
            response=throttled,
            signature="retry-after " + ("missing" if value is None else "unparseable"),
        )


@check(
    "rate_limit",
    "throttled-changes-nothing",
    rule="rate-limit.no-effect",
    covers=("rate-limit.no-effect",),
)
def throttled_changes_nothing(ctx: Context) -> None:
    """A throttled schedule leaves the event's bot and its config as they were."""
    burst = _burst(ctx)
    _needs_429(burst)
    lane = burst.throttled_lane
    assert lane is not None
    if burst.probe is None or burst.probe.status_code != 429:
        raise Skip("the follow-up request inside the throttled window was not refused")
    assert burst.event_after is not None
    if not ctx.expect_status(burst.event_after, 200, "read the event after the 429s"):
        return
    keys = [item.get("deduplication_key") for item in bots_of(_json(burst.event_after))]
    if keys != [lane.key]:
        ctx.fail(
            "a throttled schedule changed the event's bot",
            expected={"bots[].deduplication_key": [lane.key]},
            actual={"bots[].deduplication_key": keys},
            response=burst.probe,
        )
        return
    expected = lane.expected_name
    if expected is UNKNOWN:
        return  # the bot could not be read before the burst: the key is all there is to compare
    bot = _json(burst.bot_after) if burst.bot_after is not None else {}
    if bot.get("bot_name") != expected:
        ctx.fail(
            "a throttled schedule changed the bot's config",
            expected={"bot_name": expected},
            actual={"bot_name": bot.get("bot_name")},
            response=burst.probe,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@check(
    "rate_limit",
    "recovers-after-retry-after",
    rule="rate-limit.throttle",
    covers=("rate-limit.recovery",),
)
def recovers(ctx: Context) -> None:
    """After waiting Retry-After, the same call succeeds."""
    burst = _burst(ctx)
    _needs_429(burst)
    if burst.recovery is None:
        raise Skip(burst.recovery_skipped or "no recovery attempt was made")
    if burst.recovery.status_code != 200:
        ctx.fail(
            f"after waiting Retry-After ({burst.retry_after:g} s) the call answered "
            f"{burst.recovery.status_code}",
            expected=200,
            actual=burst.recovery.status_code,
            response=burst.recovery,
            signature=f"recovery {burst.recovery.status_code}",
        )


@check(
    "rate_limit",
    "other-workspace-not-throttled",
    rule="rate-limit.budget",
    covers=("rate-limit.per-workspace",),
)
def other_workspace(ctx: Context) -> None:
    """While one workspace's budget is spent, another workspace's POST is admitted."""
    ctx.second_key()
    burst = _burst(ctx)
    _needs_429(burst)
    other = burst.other_workspace
    if other is None:
        raise Skip(f"no event could be put in the second workspace ({ctx.states.description})")
    if burst.probe is None or burst.probe.status_code != 429:
        raise Skip(
            "the first workspace was no longer throttled when the second one's POST was sent, "
            "so its answer says nothing about whose budget it counted against"
        )
    if other.status_code == 429:
        ctx.fail(
            "the second workspace's POST was throttled while the first workspace's budget was "
            "spent: each workspace has a budget of its own (x-throttles scope workspace_id)",
            expected=200,
            actual=429,
            response=other,
            signature="throttled across workspaces",
        )
        return
    ctx.expect_status(other, 200, "the second workspace's schedule while the first is throttled")
