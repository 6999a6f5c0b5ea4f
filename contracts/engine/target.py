"""The implementation under test: where requests go, with which key, at what pace."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from calbot.contracts.domain.operations import (
    Operation,
    budgets,
    operation_of,
)
from calbot.contracts.engine.activity import Activity
from calbot.contracts.engine.curl import curl_command
from calbot.contracts.engine.defaults import MAX_WAIT, TIMEOUT
from calbot.contracts.engine.pacing import Pacer
from calbot.contracts.engine.retrying import (
    PERSISTED,
    Persisted,
    Retries,
    Transient,
    next_wait,
)
from calbot.contracts.engine.settings import Setting, Spelling, field_name
from calbot.contracts.engine.transport import ASGIApp, SyncASGITransport
from calbot.contracts.masking import mask
from calbot.contracts.results import Exchange
from calbot.spec.throttles import TRANSIENT_STATUSES, RateLimit, parse_retry_after

IN_PROCESS_URL = "http://calbot.invalid"
MAX_THROTTLED_RETRIES = 3
BODY_EXCERPT = 4000


class TargetError(Exception):
    """The target could not be talked to (unreachable, timed out, kept throttling)."""


class TargetThrottled(TargetError):
    """The target kept answering 429 after calbot waited as told."""


_UNSET: Any = object()


@dataclass
class TargetConfig:
    """How to reach an implementation. Give `base_url` (real HTTP) or `app` (in-process ASGI)."""

    base_url: str | None = None
    app: ASGIApp | None = None
    api_key: str | None = None
    second_api_key: str | None = None  # another workspace's key, for the workspace checks
    rate_limit: RateLimit | None = None
    max_wait: float = MAX_WAIT
    timeout: float = TIMEOUT
    display_url: str | None = None
    label: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    # How the front end that started the run names its settings, in the texts that point to one.
    spelling: Spelling = field_name


class Target:
    """Sends requests to the implementation, paced to its budget, and keeps a transcript."""

    def __init__(self, config: TargetConfig, activity: Activity | None = None) -> None:
        if (config.base_url is None) == (config.app is None):
            raise ValueError("give exactly one of base_url and app")
        self.config = config
        self.activity = activity or Activity()
        self.budgets: dict[Operation, RateLimit] = budgets(config.rate_limit)
        self.pacer = self._pacer(1)
        self.base_url = (config.base_url or IN_PROCESS_URL).rstrip("/")
        transport: httpx.BaseTransport | None = None
        if config.app is not None:
            transport = SyncASGITransport(config.app, timeout=config.timeout)
        self.client = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=config.timeout,
            follow_redirects=False,
        )
        self.transcript: list[httpx.Response] = []
        self.throttled_waits = 0
        self._lock = threading.Lock()  # send() may run in several threads (parallel checks)
        self.retries = Retries()
        self.memo: dict[str, Any] = {}
        # Waits go through the activity: shown by a progress display, cut short by stop().
        self.sleep: Callable[[float], None] = self.activity.pause

    # --- identity -------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """What the reports call the target (never with the key)."""
        if self.config.label:
            return self.config.label
        return self.config.base_url or "in-process ASGI app"

    @property
    def secrets(self) -> tuple[str, ...]:
        keys = (self.config.api_key, self.config.second_api_key)
        return tuple(key for key in keys if key)

    def auth_headers(self, key: str | None = _UNSET) -> dict[str, str]:
        key = self.config.api_key if key is _UNSET else key
        return {"Authorization": f"Token {key}"} if key else {}

    def operation_of(self, method: str, path: str) -> Operation | None:
        """The operation a request addresses, e.g. ("POST", EVENT_BOT); None for other requests."""
        found = operation_of(method, path.partition("?")[0])
        return found[0] if found else None

    def budget(self, method: str, template: str) -> RateLimit | None:
        return self.budgets.get((method.upper(), template))

    @property
    def in_process(self) -> bool:
        """Requests go to an ASGI app in this process, not over the network."""
        return self.config.app is not None

    def spell(self, setting: Setting) -> str:
        """`setting` as the front end that started the run names it (`max_wait`, or a flag)."""
        return self.config.spelling(setting)

    # --- pacing ---------------------------------------------------------------------------------

    def share_budget(self, parts: int) -> None:
        """Pace to one `parts`-th of each budget: this is one of `parts` processes sending to
        the target at once (pytest-xdist workers); 1 gives the whole budget back. The requests
        sent so far still count."""
        self.pacer.budgets = _shares(self.budgets, parts)

    def _pacer(self, parts: int) -> Pacer:
        """A pacer to one `parts`-th of each budget, waiting through the activity."""
        return Pacer(
            _shares(self.budgets, parts),
            sleep=lambda seconds: self.activity.pause(seconds, "the budget's window"),
        )

    # --- sending --------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        api_key: str | None = _UNSET,
        paced: bool = True,
        retry_throttled: bool = True,
        transient: Collection[int] | Transient = TRANSIENT_STATUSES,
    ) -> httpx.Response:
        """Send one request, as calbot's client rules demand of a client.

        A 429 is waited out (Retry-After) and retried, never returned, unless `retry_throttled`
        is False. An answer in `transient` (by default the documented 409, 502-504 and 507; a
        `retrying.Transient` policy says more) is retried after its Retry-After, or with
        backoff, up to a bound (`retrying`); an answer that persists past it is returned marked
        (`retrying.persisted`). Every try goes through the pacer and shows in the activity,
        waits too. `api_key` sends another key than the configured one (the second
        workspace's)."""
        all_headers = {**self.config.extra_headers, **(self.auth_headers(api_key) if auth else {})}
        all_headers.update(headers or {})
        kwargs: dict[str, Any] = {"headers": all_headers}
        if json is not _UNSET:
            kwargs["json"] = json
        elif content is not None:
            kwargs["content"] = content
        operation = self.operation_of(method, path)
        policy = Transient.of(transient)
        throttled, waited = 0, 0.0
        answers: list[int] = []  # the transient answers so far
        while True:
            moment = self.pacer.before_send(operation) if paced and operation else None
            response = self._send_once(method, path, kwargs)
            if moment is not None and operation:
                self.pacer.answered(operation, moment)
            status = response.status_code
            if status == 429 and retry_throttled:
                if throttled == MAX_THROTTLED_RETRIES:
                    pace = self.spell(Setting.RATE_LIMIT)
                    raise TargetThrottled(
                        f"{method} {path} was still answered 429 after {MAX_THROTTLED_RETRIES} "
                        f"waits for Retry-After; lower the pace with {pace}"
                    )
                throttled += 1
                self.wait_out(response)
                continue
            if status not in policy:
                return response
            answers.append(status)
            tries, most = policy.tries(status, answers)
            named = self.spell(Setting.MAX_WAIT)
            wait = next_wait(
                response, tries, waited, self.config.max_wait, most, max_wait_named=named
            )
            if isinstance(wait, str):
                if policy.marks(status):
                    mark = Persisted(status, len(answers), waited, wait, tuple(answers))
                    response.extensions[PERSISTED] = mark
                return response
            self.retries.add(status)
            waited += wait
            with self.activity.waiting(wait, f"the {status} to clear (retry {tries})"):
                self.sleep(wait)

    def wait_out(self, response: httpx.Response) -> float:
        """Sleep as a 429's Retry-After says (1 s when absent or unusable), capped by max_wait."""
        wait = parse_retry_after(response.headers.get("retry-after"))
        wait = min(max(wait if wait is not None else 1.0, 0.0), self.config.max_wait)
        with self._lock:
            self.throttled_waits += 1
        with self.activity.waiting(wait, "Retry-After"):
            self.sleep(wait)
        return wait

    def _send_once(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        self.activity.sent()
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            where = self.origin(path)
            raise TargetError(f"{method} {path}: {where} timed out ({exc})") from None
        except httpx.TransportError as exc:
            where = self.origin(path)
            raise TargetError(f"{method} {path}: cannot reach {where} ({exc})") from None
        with self._lock:
            self.transcript.append(response)
        return response

    @contextmanager
    def recording(self) -> Iterator[list[httpx.Response]]:
        """Collect the responses sent inside the block (for a check's findings)."""
        start = len(self.transcript)
        log: list[httpx.Response] = []
        try:
            yield log
        finally:
            log.extend(self.transcript[start:])
            del self.transcript[start:]

    # --- reporting helpers ----------------------------------------------------------------------

    def origin(self, path: str) -> str:
        """The address a request to `path` goes to (`path` may be absolute: a state URL)."""
        url = httpx.URL(path)
        if url.is_absolute_url:
            return str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
        return self.label

    def url_for(self, path: str) -> str:
        """The full URL a request to `path` goes to, as a user can reproduce it."""
        return self.display(str(self.client.build_request("GET", path).url))

    def display(self, url: str) -> str:
        """A URL as a user can reproduce it (in-process URLs become the display URL)."""
        shown = self.config.display_url or self.base_url
        return url.replace(IN_PROCESS_URL, shown.rstrip("/"), 1)

    def curl(self, request: httpx.Request) -> str:
        headers = {name: value for name, value in request.headers.items()}
        return curl_command(
            request.method,
            self.display(str(request.url)),
            headers,
            request.content,
            secrets=self.secrets,
        )

    def exchange(self, response: httpx.Response) -> Exchange:
        request = response.request

        def text(raw: bytes) -> str | None:
            if not raw:
                return None
            decoded = raw[:BODY_EXCERPT].decode("utf-8", errors="replace")
            cut = f"… ({len(raw) - BODY_EXCERPT} more bytes)" if len(raw) > BODY_EXCERPT else ""
            return mask(decoded, self.secrets) + cut

        def headers(items: httpx.Headers) -> dict[str, str]:
            return {name: mask(value, self.secrets) for name, value in items.items()}

        return Exchange(
            method=request.method,
            url=self.display(str(request.url)),
            request_headers=headers(request.headers),
            request_body=text(request.content),
            status_code=response.status_code,
            response_headers=headers(response.headers),
            response_body=text(response.content),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 2)
            if hasattr(response, "_elapsed")
            else None,
        )

    def close(self) -> None:
        self.client.close()


def _shares(budgets: Mapping[Operation, RateLimit], parts: int) -> dict[Hashable, RateLimit]:
    return {operation: _share(budget, parts) for operation, budget in budgets.items()}


def _share(budget: RateLimit, parts: int) -> RateLimit:
    """One `parts`-th of `budget` (at least one request a period)."""
    if parts <= 1:
        return budget
    return RateLimit(max(1, budget.limit // parts), budget.period)
