"""Rate limiting: past the budget, 429 with a usable Retry-After; nothing changes; recovery.

One burst of POSTs serves every check here. It starts from an empty window when calbot can
wait for one (within --max-wait), so the first 429 is expected exactly after `limit` requests;
DRF-style servers count every request, which is why calbot waits rather than guesses.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

from calbot.contracts.domain.operations import EVENT_BOT
from calbot.contracts.engine.registry import Context, Skip, check
from calbot.contracts.engine.steps import bots_of, schedule_ok
from calbot.spec.throttles import RateLimit, parse_retry_after

MEMO = "rate_limit.burst"
THROTTLED_NAME = "calbot throttled request"
SLACK = 0.05


@dataclass
class Burst:
    """What one burst past the budget showed."""

    budget: RateLimit
    clean: bool
    expected_at: int
    sent: int
    elapsed: float
    first_429_at: int | None = None
    throttled: httpx.Response | None = None
    last_admitted: str | None = None
    probe: httpx.Response | None = None
    event_id: str = ""
    key: str = ""
    retry_after: float | None = None
    recovery: httpx.Response | None = None
    recovery_skipped: str | None = None
    errors: int = 0
    event_after: httpx.Response | None = None
    bot_after: httpx.Response | None = None

    @property
    def outpaced(self) -> bool:
        """Whether some window of the budget's period held more requests than the budget.

        The burst's requests are spread evenly over `elapsed` for this estimate: a server
        slower than the budget's rate never has to answer 429, and is not failed for it.
        """
        in_one_window = self.sent * min(1.0, self.budget.period / max(self.elapsed, 1e-9))
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
    operation = ("POST", EVENT_BOT)
    budget = ctx.target.budgets.get(operation)
    if budget is None:
        raise Skip("the fragment documents no budget for POST and none was given (--rate-limit)")
    event = ctx.event()
    key = ctx.key("burst")
    if (
        schedule_ok(ctx, event["id"], {"deduplication_key": key, "bot_config": {}}, "set-up")
        is None
    ):
        raise Skip("the set-up schedule failed (see the other contracts)")
    wait = ctx.target.pacer.until_clear(operation)
    clean = wait <= ctx.target.config.max_wait
    recent = 0 if clean else ctx.target.pacer.recent(operation, budget.period)
    if clean:
        ctx.target.sleep(wait)
    ctx.target.pacer.forget(operation)
    burst = Burst(budget, clean, budget.limit - recent + 1, 0, 0.0, event_id=event["id"], key=key)
    started = time.monotonic()
    for index in range(1, 2 * budget.limit + 11):
        name = f"calbot burst {index}"
        body = {"deduplication_key": key, "bot_config": {"bot_name": name}}
        response = ctx.schedule(event["id"], body, paced=False, retry_throttled=False)
        burst.sent = index
        if response.status_code == 429:
            burst.first_429_at, burst.throttled = index, response
            break
        if response.status_code == 200:
            burst.last_admitted = name
        else:
            burst.errors += 1
    burst.elapsed = time.monotonic() - started
    if burst.throttled is None:
        return burst
    burst.retry_after = parse_retry_after(burst.throttled.headers.get("retry-after"))
    probe = {"deduplication_key": ctx.key("throttled"), "bot_config": {"bot_name": THROTTLED_NAME}}
    burst.probe = ctx.schedule(event["id"], probe, paced=False, retry_throttled=False)
    # Look before recovering: the recovery schedule would hide what a throttled request did.
    burst.event_after = ctx.get_event(event["id"])
    bots = bots_of(_json(burst.event_after))
    if len(bots) == 1 and isinstance(bots[0].get("bot_id"), str):
        burst.bot_after = ctx.get_bot(bots[0]["bot_id"])
    _recover(ctx, burst)
    return burst


def _recover(ctx: Context, burst: Burst) -> None:
    if burst.retry_after is None:
        burst.recovery_skipped = "the 429 had no usable Retry-After to wait for"
        return
    if burst.retry_after > ctx.target.config.max_wait:
        burst.recovery_skipped = (
            f"Retry-After is {burst.retry_after:g} s, more than --max-wait "
            f"{ctx.target.config.max_wait:g} s"
        )
        return
    ctx.target.sleep(burst.retry_after + SLACK)
    body = {"deduplication_key": burst.key, "bot_config": {"bot_name": "calbot recovered"}}
    burst.recovery = ctx.schedule(burst.event_id, body, paced=False, retry_throttled=False)


def _needs_429(burst: Burst) -> httpx.Response:
    if burst.throttled is None:
        raise Skip("no 429 was seen, so there is nothing to check here (see throttles-past-budget)")
    return burst.throttled


@check(
    "rate_limit",
    "throttles-past-budget",
    rule="rate-limit.throttle",
    covers=("rate-limit.past-budget",),
)
def throttles_past_budget(ctx: Context) -> None:
    """A burst of POSTs past the budget is answered 429."""
    burst = _burst(ctx)
    if burst.throttled is None and not burst.outpaced:
        raise Skip(
            f"the burst could not outpace the budget ({burst.sent} POSTs in "
            f"{burst.elapsed:.1f} s against {burst.budget}): the server answered too slowly "
            "for any window to hold more than the budget, so no 429 was owed"
        )
    if burst.throttled is None:
        ctx.fail(
            f"no 429 after {burst.sent} POSTs in {burst.elapsed:.1f} s",
            expected=f"429 once the budget ({burst.budget}) is spent",
            actual=f"{burst.sent - burst.errors} answered 200, {burst.errors} other answers",
            signature="no 429",
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
    assert burst.first_429_at is not None
    admitted = burst.first_429_at - 1
    if burst.first_429_at < burst.expected_at:
        if not burst.clean:
            raise Skip(
                "could not start from an empty window within --max-wait, so an early 429 "
                "may be calbot's own earlier requests"
            )
        ctx.fail(
            f"throttled after only {admitted} requests; the budget is {burst.budget}",
            expected=f"{burst.expected_at - 1} requests admitted before the first 429",
            actual=f"{admitted} admitted",
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
    if parse_retry_after(value) is None:
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
    if burst.probe is None or burst.probe.status_code != 429:
        raise Skip("the follow-up request inside the throttled window was not refused")
    assert burst.event_after is not None
    if not ctx.expect_status(burst.event_after, 200, "read the event after the 429s"):
        return
    keys = [item.get("deduplication_key") for item in bots_of(_json(burst.event_after))]
    if keys != [burst.key]:
        ctx.fail(
            "a throttled schedule changed the event's bot",
            expected={"bots[].deduplication_key": [burst.key]},
            actual={"bots[].deduplication_key": keys},
            response=burst.probe,
        )
        return
    bot = _json(burst.bot_after) if burst.bot_after is not None else {}
    if bot.get("bot_name") != burst.last_admitted:
        ctx.fail(
            "a throttled schedule changed the bot's config",
            expected={"bot_name": burst.last_admitted},
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
