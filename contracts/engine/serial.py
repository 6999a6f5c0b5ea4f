"""The states some serial order of parallel calls gives, from calbot's model of the API.

Recall serialises work on a deduplication key (parallel add/remove calls on events sharing one
may get a 409, to retry: https://docs.recall.ai/docs/scheduling-guide), so calls sent in
parallel must end as if they had run one after the other, in some order. Which order is the
server's to choose: every order is replayed on the model (`calbot.contracts.domain.model`) and
the end state it gives is accepted.

A state is what a client can observe without knowing the server's ids: for each event, the
bots on it (their key and `bot_name`), and which events share a bot. Which bot id a re-schedule
keeps is left open (Recall may update the bot in place), so ids never enter a state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import permutations
from typing import Any, Literal

from calbot.contracts.domain.model import Workspace
from calbot.contracts.engine.events import event_params

BotView = tuple[Any, Any]  # (deduplication_key, bot_name)
Groups = frozenset[frozenset[int]]


@dataclass(frozen=True, slots=True)
class Step:
    """A schedule (with its body) or an unschedule of the scenario's `event`-th event."""

    kind: Literal["schedule", "unschedule"]
    event: int
    body: Mapping[str, Any] | None = None

    def describe(self) -> str:
        if self.kind == "unschedule" or self.body is None:
            return f"unschedule event {self.event + 1}"
        return f"schedule event {self.event + 1} with key {self.body.get('deduplication_key')!r}"


@dataclass(frozen=True, slots=True)
class State:
    """What the events show: their bots (key, name), and which events share a bot."""

    bots: tuple[tuple[BotView, ...], ...]
    shared: Groups

    def describe(self) -> str:
        parts = []
        for index, bots in enumerate(self.bots):
            if not bots:
                parts.append(f"event {index + 1}: no bot")
                continue
            shown = ", ".join(f"key {key!r} named {name!r}" for key, name in bots)
            noun = "bot" if len(bots) == 1 else f"{len(bots)} bots"
            parts.append(f"event {index + 1}: {noun} ({shown})")
        sharing = sorted(sorted(group) for group in self.shared if len(group) > 1)
        for group in sharing:
            parts.append("events " + ", ".join(str(i + 1) for i in group) + " share one bot")
        return "; ".join(parts)


def state_of(events: Sequence[Mapping[str, Any]], names: Mapping[Any, Any]) -> State:
    """The state the event bodies show; `names` maps a bot id to its `bot_name` as read."""
    holders: dict[Any, set[int]] = {}
    views = []
    for index, event in enumerate(events):
        items = event.get("bots")
        bots = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        for bot in bots:
            holders.setdefault(_hashable(bot.get("bot_id")), set()).add(index)
        views.append(
            tuple(
                sorted(
                    (
                        (bot.get("deduplication_key"), names.get(_hashable(bot.get("bot_id"))))
                        for bot in bots
                    ),
                    key=repr,
                )
            )
        )
    return State(tuple(views), frozenset(frozenset(group) for group in holders.values()))


def serial_states(events: int, before: Iterable[Step], parallel: Sequence[Step]) -> set[State]:
    """Every state the model ends in: `before` in its order, then `parallel` in each order."""
    before = list(before)
    found = set()
    for order in permutations(parallel):
        model = Workspace()
        now = datetime.now(UTC)
        ids = [model.add_event(event_params("upcoming", now=now)).body["id"] for _ in range(events)]
        for step in (*before, *order):
            if step.kind == "schedule":
                model.schedule(ids[step.event], dict(step.body or {}))
            else:
                model.unschedule(ids[step.event])
        bodies = [model.get_event(event_id).body for event_id in ids]
        names = {bot.id: model.bot_json(bot).get("bot_name") for bot in model.bots.values()}
        found.add(state_of(bodies, names))
    return found


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


__all__ = ["State", "Step", "serial_states", "state_of"]
