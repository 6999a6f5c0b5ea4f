"""The stateful model check: random sequences against the target, compared with the oracle.

A Hypothesis `RuleBasedStateMachine` schedules, re-schedules, unschedules and reads across a
few events and keys, sends each step to the target and to `calbot.contracts.domain.model.Workspace`,
and compares the answers. Bot ids differ between the two, so they are matched as they appear:
one oracle bot is one target bot for as long as it lives (dedup and override keep identity).
A failure shrinks to a short sequence, reported with one curl command per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from calbot.contracts.domain.model import Outcome, Workspace
from calbot.contracts.domain.timestamps import parse_timestamp
from calbot.contracts.engine.registry import Context, Skip, check
from calbot.generators import bot_configs, dedup_keys
from calbot.spec.fields import MAX_KEY_LENGTH
from calbot.spec.meeting_urls import is_documented_form, mismatches

MODEL_EVENTS = ("upcoming", "upcoming", "upcoming", "ended")
KEYS = 3
CONFIG_FIELDS = ("bot_name", "metadata", "recording_config", "automatic_leave", "variant", "chat")


STEPS = 12
# Requests the check may send in all (exploring and shrinking): against a real server paced at
# its budget, an unbounded shrink could take minutes. Past it, examples do nothing and the
# smallest failure seen so far is reported.
REQUEST_BUDGET = 300  # plus PER_EXAMPLE for each example asked for
PER_EXAMPLE = 16


class Mismatch(AssertionError):
    """The target answered differently from the oracle."""

    def __init__(self, message: str, expected: Any, actual: Any) -> None:
        super().__init__(message)
        self.message, self.expected, self.actual = message, expected, actual


@dataclass
class Step:
    """One step as the report shows it."""

    text: str
    curl: str
    status: int


@dataclass
class Budget:
    """Requests left, and the smallest failure seen so far."""

    left: int = REQUEST_BUDGET
    best: tuple[list[Step], Mismatch] | None = None

    def spend(self, requests: int) -> bool:
        """False (and nothing spent) when the budget cannot cover `requests` more."""
        if self.left < requests:
            self.left = 0
            return False
        self.left -= requests
        return True

    def remember(self, log: list[Step], mismatch: Mismatch) -> None:
        if self.best is None or len(log) <= len(self.best[0]):
            self.best = (list(log), mismatch)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def make_machine(ctx: Context, log: list[Step], budget: Budget) -> type[RuleBasedStateMachine]:
    """A state machine class bound to this check's context (and a shared step log)."""
    runs = iter(range(1, 1_000_000))
    # Only links Recall's published patterns cover: for other forms a conformant server may
    # refuse the request or answer a null object, and the model cannot know which.
    configs = bot_configs(ctx.now()).filter(
        lambda config: "meeting_url" not in config or is_documented_form(config["meeting_url"])
    )

    class ScheduleMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            log.clear()
            self.run = next(runs)
            self.oracle = Workspace(clock=ctx.now)
            self.events: list[str] = []
            self.bots: dict[str, str] = {}  # oracle bot id -> target bot id
            self.keys: list[str] = []
            self.sent: dict[str, list[Any]] = {name: [] for name in CONFIG_FIELDS}
            # Oracle bots whose meeting_url and join_at are the model's guess: a bot that events
            # with different links or times share (Recall does not say whose wins).
            self.guessed: set[str] = set()
            self.live = budget.spend(len(MODEL_EVENTS))
            for kind in MODEL_EVENTS if self.live else ():
                body = ctx.event(kind)
                params = {name: body.get(name) for name in ("start_time", "end_time")}
                params |= {
                    "id": body["id"],
                    "meeting_url": body.get("meeting_url"),
                    "platform": body.get("platform", "google_calendar"),
                    "is_deleted": bool(body.get("is_deleted")),
                }
                if not self.oracle.add_event(params).ok:
                    raise Skip(f"the target's {kind} event cannot be modelled: {body}")
                self.events.append(body["id"])

        # --- steps ------------------------------------------------------------------------------

        def _go(self) -> bool:
            """Whether this example still sends requests (the budget is not spent)."""
            self.live = self.live and budget.spend(2)
            return self.live

        def _mismatch(self, message: str, expected: Any, actual: Any) -> Mismatch:
            mismatch = Mismatch(message, expected, actual)
            budget.remember(log, mismatch)
            return mismatch

        def _log(self, text: str, response: httpx.Response) -> None:
            curl = ctx.target.curl(response.request)
            log.append(Step(text, curl, response.status_code))

        def _label(self, index: int) -> str:
            return f"event {'ABCD'[index]} ({MODEL_EVENTS[index]})"

        @initialize(keys=st.lists(dedup_keys(), min_size=KEYS, max_size=KEYS, unique_by=str.strip))
        def pick_keys(self, keys: list[str]) -> None:
            """This run's keys: documented recipes and adversarial ones, made unique to the run."""
            prefix = f"calbot-{ctx.options.nonce}-sm{self.run}-"
            room = MAX_KEY_LENGTH - len(prefix)
            self.keys = list(dict.fromkeys(prefix + key[-room:] for key in keys))

        @rule(
            event=st.integers(0, len(MODEL_EVENTS) - 1),
            key=st.integers(0, KEYS - 1),
            config=configs,
        )
        def schedule(self, event: int, key: int, config: dict[str, Any]) -> None:
            if not self._go():
                return
            full_key = self.keys[key % len(self.keys)]
            body = {"deduplication_key": full_key, "bot_config": config}
            for name in CONFIG_FIELDS:
                if name in config:
                    self.sent[name].append(config[name])
            response = ctx.schedule(self.events[event], body)
            shown = full_key if len(full_key) < 80 else f"{full_key[:60]}…({len(full_key)} chars)"
            self._log(f"schedule {self._label(event)} key {shown!r} bot_config {config}", response)
            expected = self.oracle.schedule(self.events[event], body)
            self._track_sharing(self.events[event])
            self._compare_event(response, expected)

        def _track_sharing(self, event_id: str) -> None:
            entries = self.oracle.events[event_id].bots
            bot = self.oracle.bots.get(entries[0].bot_id) if entries else None
            if bot is None:
                return
            if len(bot.events) > 1:
                self.guessed.add(bot.id)
            else:  # an unshared bot's link and time come from this request, as documented
                self.guessed.discard(bot.id)

        @rule(event=st.integers(0, len(MODEL_EVENTS) - 1))
        def unschedule(self, event: int) -> None:
            if not self._go():
                return
            response = ctx.unschedule(self.events[event])
            self._log(f"unschedule {self._label(event)}", response)
            self._compare_event(response, self.oracle.unschedule(self.events[event]))

        @rule(event=st.integers(0, len(MODEL_EVENTS) - 1))
        def read_event(self, event: int) -> None:
            if not self._go():
                return
            response = ctx.get_event(self.events[event])
            self._log(f"read {self._label(event)}", response)
            self._compare_event(response, self.oracle.get_event(self.events[event]))

        @rule(event=st.integers(0, len(MODEL_EVENTS) - 1))
        def read_bot(self, event: int) -> None:
            if not self._go():
                return
            entries = self.oracle.events[self.events[event]].bots
            if not entries or entries[0].bot_id not in self.bots:
                return
            oracle_bot = self.oracle.bots[entries[0].bot_id]
            response = ctx.get_bot(self.bots[oracle_bot.id])
            self._log(f"read the bot of {self._label(event)}", response)
            self._compare_bot(response, self.oracle.get_bot(oracle_bot.id), oracle_bot.id)

        # --- comparisons ------------------------------------------------------------------------

        def _status(self, response: httpx.Response, expected: Outcome) -> Any:
            if response.status_code != expected.status:
                raise self._mismatch(
                    f"answered {response.status_code} where the model answers {expected.status}",
                    expected={"status": expected.status, "body": expected.body},
                    actual={"status": response.status_code, "body": _json(response)},
                )
            return _json(response)

        def _compare_event(self, response: httpx.Response, expected: Outcome) -> None:
            body = self._status(response, expected)
            if not expected.ok:
                return
            got = body.get("bots") if isinstance(body, dict) else None
            want = expected.body["bots"]
            if not isinstance(got, list) or len(got) != len(want):
                raise self._mismatch("the event's bots[] differ from the model's", want, got)
            for item, model in zip(got, want, strict=True):
                if not isinstance(item, dict):
                    raise self._mismatch("a bots[] item is not an object", model, item)
                if str(item.get("deduplication_key")).strip() != model["deduplication_key"].strip():
                    raise self._mismatch(
                        "bots[].deduplication_key differs from the model's", model, item
                    )
                for name in ("meeting_url",):
                    if model["bot_id"] not in self.guessed and item.get(name) != model[name]:
                        raise self._mismatch(f"bots[].{name} differs from the model's", model, item)
                self._same_bot(model["bot_id"], item.get("bot_id"))

        def _same_bot(self, oracle_id: str, target_id: object) -> None:
            live = set(self.oracle.bots)
            self.bots = {o: t for o, t in self.bots.items() if o in live}
            known = self.bots.get(oracle_id)
            if known is None:
                if target_id in self.bots.values():
                    raise self._mismatch(
                        "two different bots in the model are one bot on the target "
                        "(deduplication joined events it should not have)",
                        "a new bot_id",
                        target_id,
                    )
                if not isinstance(target_id, str):
                    raise self._mismatch("bots[].bot_id is not a string", "a bot id", target_id)
                self.bots[oracle_id] = target_id
            elif known != target_id:
                raise self._mismatch(
                    "the event's bot is not the one the model expects (deduplication or "
                    "override broke the bot's identity)",
                    known,
                    target_id,
                )

        def _compare_bot(self, response: httpx.Response, expected: Outcome, oracle_id: str) -> None:
            body = self._status(response, expected)
            if not expected.ok or not isinstance(body, dict):
                return
            bot = self.oracle.bots[oracle_id]
            if oracle_id in self.guessed:
                return
            # A join_at given in bot_config may or may not win over the event's start time
            # (Recall's docs disagree): the model's answer is a guess, so it is not compared.
            if "join_at" not in bot.config and parse_timestamp(body.get("join_at")) != bot.join_at:
                raise self._mismatch(
                    "the bot's join_at differs", expected.body["join_at"], body.get("join_at")
                )
            problems = mismatches(body.get("meeting_url"), bot.meeting_url)
            if problems:
                raise self._mismatch(
                    "the bot's meeting_url object differs", bot.meeting_url, problems
                )
            if len(bot.events) == 1:  # latest-wins is unambiguous for an unshared bot
                self._latest_config(bot.config, body)

        def _latest_config(self, config: dict[str, Any], body: dict[str, Any]) -> None:
            """The bot shows the latest bot_config: given fields as sent, dropped ones gone."""
            for name in ("bot_name", "metadata"):
                if name in config and _trimmed(body.get(name)) != _trimmed(config[name]):
                    message = f"the bot's {name} is not the latest config's"
                    raise self._mismatch(message, config[name], body.get(name))
            for name in CONFIG_FIELDS:
                earlier = self.sent[name]
                if name not in config and body.get(name) and body.get(name) in earlier:
                    message = (
                        f"the bot kept {name} from an earlier bot_config (merged, not replaced)"
                    )
                    raise self._mismatch(message, f"no {name} from earlier configs", body.get(name))

    return ScheduleMachine


def _trimmed(value: Any) -> Any:
    """Strings as Django REST Framework stores them (trimmed), also inside objects, where a
    null value reads as "not given" (a server may keep or drop it)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {key: _trimmed(item) for key, item in value.items() if item is not None}
    return value


@check("stateful", "model-agreement", rule="stateful.model", covers=("stateful.sequences",))
def model_agreement(ctx: Context) -> None:
    """Random schedule/unschedule/read sequences give the answers the model gives."""
    ctx.event()  # fail fast (skip) when events cannot be created
    log: list[Step] = []
    budget = Budget(left=REQUEST_BUDGET + PER_EXAMPLE * ctx.options.max_examples)
    machine = make_machine(ctx, log, budget)
    config = settings(
        max_examples=max(5, ctx.options.max_examples),
        stateful_step_count=STEPS,
        deadline=None,
        database=None,  # no example database: the same seed gives the same run
        report_multiple_bugs=False,  # one smallest failure, never an ExceptionGroup
        suppress_health_check=list(HealthCheck),
        # No "explain" phase: it replays the shrunk failure hundreds of times to annotate it,
        # and calbot reports the sequence itself.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    )
    try:
        _run_seeded(machine, config, ctx.options.seed)
    except Mismatch as mismatch:
        _report(ctx, mismatch.message, mismatch.expected, mismatch.actual, log)
    except Flaky:
        # The request budget ran out while shrinking (replays stop sending), or the target is
        # not deterministic: report the smallest failure seen.
        if budget.best is None:
            raise
        steps, smallest = budget.best
        _report(ctx, smallest.message, smallest.expected, smallest.actual, steps)


def _run_seeded(machine: type[RuleBasedStateMachine], config: settings, seed: int | None) -> None:
    """Run the machine with the run's seed, so that the same seed repeats a stateful run too."""
    try:  # the split-out test HypoFuzz uses; seedable like any @given test
        from hypothesis.stateful import get_state_machine_test
    except ImportError:  # pragma: no cover - older or newer Hypothesis
        run_state_machine_as_test(machine, settings=config)
        return
    test = get_state_machine_test(machine, settings=config)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    test()


def _report(ctx: Context, message: str, expected: Any, actual: Any, log: list[Step]) -> None:
    lines = []
    for number, step in enumerate(log, 1):
        lines.append(f"# {number}. {step.text} -> {step.status}")
        lines.append(step.curl)
    ctx.fail(
        f"after {len(log)} steps: {message}",
        expected=expected,
        actual=actual,
        signature=f"stateful: {message}",
    )
    ctx.findings[-1].curl = "\n".join(lines)
