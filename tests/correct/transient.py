"""Correct servers that answer Recall's documented transient statuses now and then.

Recall documents three answers a client must retry: 409 for calls on events that share a
deduplication key while another is in flight ("retry with backoff",
https://docs.recall.ai/docs/scheduling-guide), 502-504 when it sheds load and 507 when the
ad-hoc bot pool is empty ("retry", https://docs.recall.ai/reference/errors). A server that
answers them is correct as long as they clear when retried; calbot must retry them and judge
the answer that follows.

Every decision comes from the server's own counters, never from the clock or a random source,
so the same calbot run meets the same answers (a failure reproduces). The hooks keep counters,
so a server needs fresh ones (`Fresh`); those that look at the server's state are `bind`-ed to
its core. 502-504 come from in front of the API (a load balancer): not counted against the
budget. 409 and 507 are the API's own answers, after authentication; whether they count
against the budget the docs do not say. The family's do not (a middleware in front of the
throttle); a server that counts them, as Django REST Framework counts every request that
reaches a view, is among the known false alarms (`family.PENDING`).
"""

from __future__ import annotations

import email.utils
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import cycle

from calbot.contracts.domain.model import Event, Workspace
from calbot.contracts.domain.operations import (
    SCHEDULE_OPERATION,
    UNSCHEDULE_OPERATION,
    Operation,
    operation_of,
)
from calbot.contracts.domain.validation import ScheduleRequest, schedule_request_errors
from calbot.server import Handler, Hook, Request, Response, ServerCore
from calbot.server.messages import detail, throttled
from calbot.server.parsing import json_body

AD_HOC_WINDOW = timedelta(minutes=10)
"""A bot joining within this of now is ad-hoc, drawn from a pool that can run dry
(https://docs.recall.ai/docs/scheduling-bots-best-practices)."""
POOL_EMPTY = "No bots available. Please retry in 30 seconds."
CONFLICT = "Conflict: another request on this deduplication key is in progress. Please retry."
SHED = {502: "Bad gateway.", 503: "Service temporarily unavailable.", 504: "Gateway timeout."}


def _http_date_now() -> str:
    """Retry-After as an HTTP-date (RFC 9110 §10.2.3): this second, so no wait at all."""
    return email.utils.formatdate(int(time.time()), usegmt=True)


def retry_afters(*forms: str | None) -> Iterator[str | None]:
    """The Retry-After values a server gives in turn: seconds, "date" (an HTTP-date) or None."""
    for form in cycle(forms):
        yield _http_date_now() if form == "date" else form


def _with_retry_after(response: Response, value: str | None) -> Response:
    if value is None:
        return response
    return Response(response.status, response.body, (*response.headers, ("Retry-After", value)))


class Fresh:
    """A hook made anew for every server built (it keeps counters)."""

    def __init__(self, make: Callable[[], Hook]) -> None:
        self.make = make


def bind_all(hooks: tuple[Hook, ...], core: ServerCore) -> None:
    """Hand the server's core to the hooks that look at its state."""
    for hook in hooks:
        bind = getattr(hook, "bind", None)
        if callable(bind):
            bind(core)


class ApiAnswers:
    """A hook answering some API requests itself, after authentication. `counted`: as the
    API's view would, behind the throttle (the request counts against its budget, as Django
    REST Framework counts every request that reaches a view); otherwise in front of it (a
    middleware, not counted). Recall does not say which; both are correct."""

    core: ServerCore | None = None

    def __init__(self, *, counted: bool) -> None:
        self.counted = counted

    def bind(self, core: ServerCore) -> None:
        self.core = core

    def __call__(self, request: Request, following: Handler) -> Response:
        found = operation_of(request.method, request.path)
        if found is None or request.workspace is None or self.core is None or _cut(request):
            return following(request)  # not the API, no valid key, a cut body: the reference's
        operation, event_id = found[0], found[1] or ""
        workspace = self.core.world.workspaces.get(request.workspace)
        event = workspace.events.get(event_id) if workspace else None
        if workspace is None or event is None:
            return following(request)
        answer = self.answer(request, operation, workspace, event)
        if answer is None or not self.counted:
            return answer or following(request)
        limiter = self.core.limiters.get(operation)
        now = self.core.config.clock()
        wait = limiter.admit(request.workspace, now.timestamp()) if limiter else None
        return throttled(wait) if wait is not None else answer

    def answer(
        self, request: Request, operation: Operation, workspace: Workspace, event: Event
    ) -> Response | None:
        """The transient answer this request gets instead of the reference's, if any."""
        raise NotImplementedError

    def now(self) -> datetime:
        assert self.core is not None
        return self.core.config.clock()


def _cut(request: Request) -> bool:
    """The body did not arrive whole: the server refuses it before any view sees it."""
    return request.body_too_large or bool(request.interrupted)


def _schedule_request(request: Request) -> ScheduleRequest | None:
    body = json_body(request)
    if isinstance(body, Response):
        return None
    checked = schedule_request_errors(body)
    return checked if isinstance(checked, ScheduleRequest) else None


class AdHocPool(ApiAnswers):
    """507, the ad-hoc pool is empty, for a schedule the reference would accept whose bot joins
    within 10 minutes (or has no time left: the event is under way): Recall documents 507 for
    ad-hoc bots, pre-poned events among them, as an answer to retry
    (https://docs.recall.ai/docs/scheduling-bots-best-practices,
    https://docs.recall.ai/docs/scheduling-guide). Each such event is refused 1 to 3 times
    before its bot is admitted.

    With `every`, the first schedule of one in `every` other events gets a 507 too: Recall's
    errors page lists 507 for creating bots with no condition a client can check
    (https://docs.recall.ai/reference/errors), the published OpenAPI of this operation lists
    507 among its answers unconditionally, and a client cannot know which pool the server draws
    from; a client must retry it on any schedule."""

    def __init__(
        self,
        *,
        every: int | None = None,
        first: int = 2,
        retry_after: tuple[str | None, ...] = ("1", None, "date", None),
        counted: bool = False,
    ) -> None:
        super().__init__(counted=counted)
        self.every, self.events = every, (every or 0) - first
        self.refusals: dict[str, int] = {}  # how many times each event is refused, in all
        self.refused: Counter[str] = Counter()
        self.ad_hoc_events = 0
        self.retry_after = retry_afters(*retry_after)

    def answer(
        self, request: Request, operation: Operation, workspace: Workspace, event: Event
    ) -> Response | None:
        if operation != SCHEDULE_OPERATION or event.is_deleted:
            return None
        now = self.now()
        checked = _schedule_request(request)
        if checked is None or event.end_time <= now:
            return None  # the reference refuses it (400, ended): no pool is involved
        if not (checked.bot_config.get("meeting_url") or event.meeting_url):
            return None
        if event.id not in self.refusals:
            self.refusals[event.id] = self._refusals(checked, event, now)
        if self.refused[event.id] < self.refusals[event.id]:
            self.refused[event.id] += 1
            return _with_retry_after(detail(507, POOL_EMPTY), next(self.retry_after))
        return None

    def _refusals(self, checked: ScheduleRequest, event: Event, now: datetime) -> int:
        """How many times the pool is empty for the first schedule of `event`."""
        join_at = checked.join_at or event.start_time
        if join_at - now <= AD_HOC_WINDOW:
            self.ad_hoc_events += 1
            return 1 + (self.ad_hoc_events - 1) % 3
        if self.every is None:
            return 0
        self.events += 1
        return 1 if self.events % self.every == 0 else 0


class BusyKeys(ApiAnswers):
    """409 for a schedule or unschedule that touches a deduplication key or an event the
    previous write touched, once for one such key or event in `every`: that call is taken as
    still in flight. Recall documents 409 for add/remove calls on events that share a key while
    another is in flight, "retry with backoff" (https://docs.recall.ai/docs/scheduling-guide);
    a serialised server stands in for "in flight" with this rule. No Retry-After (none is
    documented)."""

    def __init__(self, every: int = 8, first: int = 2, *, counted: bool = False) -> None:
        super().__init__(counted=counted)
        self.every, self.occasions = every, every - first
        self.last: frozenset[tuple[str, str]] = frozenset()
        self.seen: set[tuple[str, str]] = set()  # keys and events that met a write in flight

    def __call__(self, request: Request, following: Handler) -> Response:
        response = super().__call__(request, following)
        found = operation_of(request.method, request.path)
        if (
            found
            and found[0] in (SCHEDULE_OPERATION, UNSCHEDULE_OPERATION)
            and response.status == 200
        ):
            self.last = self._touched(request, found[1] or "", response)
        return response

    def answer(
        self, request: Request, operation: Operation, workspace: Workspace, event: Event
    ) -> Response | None:
        if operation not in (SCHEDULE_OPERATION, UNSCHEDULE_OPERATION):
            return None
        touched = {("event", event.id)} | {("key", bot.deduplication_key) for bot in event.bots}
        if operation == SCHEDULE_OPERATION:
            touched |= self._key(request)
        busy = touched & self.last
        if not busy or busy & self.seen:
            return None  # nothing in flight, or this key or event met it already
        self.seen |= busy
        self.occasions += 1
        if self.occasions % self.every:
            return None
        self.last = frozenset()  # the call in flight has ended: a retry goes through
        return detail(409, CONFLICT)

    def _touched(
        self, request: Request, event_id: str, response: Response
    ) -> frozenset[tuple[str, str]]:
        bots = response.body.get("bots") if isinstance(response.body, dict) else None
        keys = {
            ("key", str(bot.get("deduplication_key")))
            for bot in bots or ()
            if isinstance(bot, dict)
        }
        return frozenset({("event", event_id), *keys, *self._key(request)})

    @staticmethod
    def _key(request: Request) -> set[tuple[str, str]]:
        body = json_body(request)
        key = body.get("deduplication_key") if isinstance(body, dict) else None
        return {("key", key)} if isinstance(key, str) else set()


class LoadShedding:
    """502, 503 or 504 for one request in `every`, whatever it is, from in front of the API (so
    not counted against the budget): Recall documents 502-504 as load shedding, to be retried
    (https://docs.recall.ai/reference/errors). Never two requests in a row."""

    def __init__(
        self,
        every: int = 50,
        first: int = 5,
        retry_after: tuple[str | None, ...] = ("0", None, "date", None),
    ) -> None:
        if every < 2:
            raise ValueError("shedding every request would never clear")
        self.every, self.seen = every, every - first
        self.statuses = cycle(sorted(SHED))
        self.retry_after = retry_afters(*retry_after)

    def __call__(self, request: Request, following: Handler) -> Response:
        self.seen += 1
        if self.seen % self.every:
            return following(request)
        status = next(self.statuses)
        return _with_retry_after(detail(status, SHED[status]), next(self.retry_after))
