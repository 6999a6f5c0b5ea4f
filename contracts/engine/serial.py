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
    """What the events show: each bot (the events holding it, its key and name), in a
    canonical order, and how many events there are."""

    events: int
    bots: tuple[tuple[tuple[int, ...], Any, Any], ...]

    def describe(self, name: str | None = None) -> str:
        """In words; `name` stands for every bot's name when given."""
        parts = []
        for holders, key, bot_name in self.bots:
            bot = f"key {key!r}, named {name or repr(bot_name)}"
            if len(holders) == 1:
                parts.append(f"event {holders[0] + 1} has a bot ({bot})")
            else:
                shown = ", ".join(str(index + 1) for index in holders)
                parts.append(f"events {shown} share one bot ({bot})")
        held = {index for holders, _, _ in self.bots for index in holders}
        bare = [str(index + 1) for index in range(self.events) if index not in held]
        if bare:
            noun = "event" if len(bare) == 1 else "events"
            parts.append(f"{noun} {', '.join(bare)}: no bot")
        return "; ".join(parts)


def describe_any(states: Iterable[State]) -> str:
    """The states in words, as alternatives; states that differ only in their one bot's name
    (the config of the call taken last) are said once, with the names."""
    shapes: dict[tuple[Any, ...], list[State]] = {}
    for state in sorted(states, key=lambda state: repr(state.bots)):
        shape = (state.events, tuple((holders, key) for holders, key, _ in state.bots))
        shapes.setdefault(shape, []).append(state)
    texts = []
    for same in shapes.values():
        if len(same) > 1 and all(len(state.bots) == 1 for state in same):
            names = " or ".join(repr(state.bots[0][2]) for state in same)
            texts.append(same[0].describe(name=names))
        else:
            texts.extend(state.describe() for state in same)
    return texts[0] if len(texts) == 1 else "one of: " + " | ".join(texts)


def state_of(events: Sequence[Mapping[str, Any]], names: Mapping[Any, Any]) -> State:
    """The state the event bodies show; `names` maps a bot id to its `bot_name` as read."""
    holders: dict[Any, list[int]] = {}
    keys: dict[Any, Any] = {}
    for index, event in enumerate(events):
        items = event.get("bots")
        bots = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        for position, bot in enumerate(bots):
            bot_id = _hashable(bot.get("bot_id"))
            if bot_id is None:  # no id: a bot of its own, as far as anyone can tell
                bot_id = ("no bot_id", index, position)
            holders.setdefault(bot_id, []).append(index)
            keys.setdefault(bot_id, bot.get("deduplication_key"))
    found = [
        (tuple(sorted(held)), keys[bot_id], names.get(bot_id)) for bot_id, held in holders.items()
    ]
    return State(len(events), tuple(sorted(found, key=repr)))


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


__all__ = ["State", "Step", "describe_any", "serial_states", "state_of"]
