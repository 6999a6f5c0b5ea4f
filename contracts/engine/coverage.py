"""What a run exercised: every behaviour of the catalogue, with its requests or why not."""

from __future__ import annotations

from collections.abc import Sequence

from calbot.contracts.behaviours import BEHAVIOURS
from calbot.contracts.engine.registry import CheckSpec
from calbot.contracts.results import CheckResult, Coverage, Status

NOT_DECLARED = "no check of this version exercises it"
NOT_SELECTED = "its checks were not selected for this run"
NOT_REACHED = "its check ran but stopped before it (see the check's findings)"


def coverage(
    known: Sequence[CheckSpec], selected: Sequence[CheckSpec], results: Sequence[CheckResult]
) -> list[Coverage]:
    """One `Coverage` per behaviour of the catalogue, in catalogue order.

    A behaviour is exercised when a check that ran spent requests on it; otherwise the reason
    comes from the checks that declare it: not selected, skipped or errored (their reasons), or
    stopped before they reached it."""
    by_id = {result.id: result for result in results}
    chosen = {spec.id for spec in selected}
    found = []
    for behaviour in BEHAVIOURS:
        declaring = [spec.id for spec in known if behaviour.id in spec.covers]
        ran = [by_id[check] for check in declaring if check in by_id]
        requests = sum(result.exercised.get(behaviour.id, 0) for result in ran)
        item = Coverage(
            behaviour=behaviour.id,
            rule=behaviour.rule,
            text=behaviour.text,
            edge=behaviour.edge.value,
            requests=requests,
            checks=declaring,
        )
        if not requests:
            item.reason = _why_not(declaring, chosen, ran)
        found.append(item)
    return found


def _why_not(declaring: list[str], chosen: set[str], ran: list[CheckResult]) -> str:
    if not declaring:
        return NOT_DECLARED
    if not ran:
        return NOT_SELECTED if not chosen.intersection(declaring) else "the run stopped before it"
    reasons = []
    for result in ran:
        if result.status is Status.SKIPPED:
            reasons.append(f"{result.id} skipped: {result.reason}")
        elif result.status is Status.ERROR:
            reasons.append(f"{result.id} errored: {result.reason}")
    return "; ".join(dict.fromkeys(reasons)) or NOT_REACHED
