"""What a check's result means to pytest: its outcome, and the text shown for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from calbot.contracts.masking import mask
from calbot.contracts.results import CheckResult, Status, group_findings

FINDINGS_SHOWN = 10
TEXT_SHOWN = 600
CURL_SHOWN = 2000


class CalbotFailure(Exception):
    """A check found the target breaking a rule; the message lists the findings."""

    def __init__(self, text: str, summary: str) -> None:
        super().__init__(text)
        self.summary = summary


@dataclass
class ItemVerdict:
    """What an item's check results mean to pytest."""

    kind: Literal["passed", "failed", "error", "skipped"]
    text: str = ""
    summary: str = ""
    warnings: list[str] = field(default_factory=list)


def judge(
    results: Sequence[CheckResult],
    *,
    strict: bool,
    secrets: Sequence[str],
    limit: int = FINDINGS_SHOWN,
) -> ItemVerdict:
    """Failed (or, strict, warned) beats error beats all-skipped beats passed (with warnings)."""
    failing = (Status.FAILED, Status.WARNING) if strict else (Status.FAILED,)
    failed = [r for r in results if r.status in failing]
    errors = [r for r in results if r.status is Status.ERROR]
    if failed or errors:
        text = "\n\n".join(describe(r, secrets, limit) for r in failed + errors)
        others = [r for r in results if r not in failed and r not in errors]
        if others:
            text += "\n\nthe other checks of this item:\n" + "\n".join(
                mask(f"  {r.id} {r.status.value}" + (f": {r.reason}" if r.reason else ""), secrets)
                for r in others
            )
        first = (failed or errors)[0]
        summary = headline(first, secrets, named=len(results) > 1)
        return ItemVerdict("failed" if failed else "error", text, summary)
    if all(r.status is Status.SKIPPED for r in results):
        reasons = dict.fromkeys(mask(r.reason or "no reason given", secrets) for r in results)
        return ItemVerdict("skipped", "; ".join(reasons))
    warned = [describe(r, secrets, limit) for r in results if r.status is Status.WARNING]
    return ItemVerdict("passed", warnings=warned)


def headline(check: CheckResult, secrets: Sequence[str], *, named: bool = False) -> str:
    """One line: the first finding (or the reason), after the check's name when `named`."""
    text = check.reason or check.status.value
    if check.findings:
        total = sum(finding.count for finding in check.findings)
        text = check.findings[0].message + (f" (+{total - 1} more)" if total > 1 else "")
    return mask(f"{check.name}: {text}" if named else text, secrets)


def describe(check: CheckResult, secrets: Sequence[str], limit: int = FINDINGS_SHOWN) -> str:
    """A check's result for a person: the rule, then each (grouped) finding with a curl."""
    lines = [
        f"{check.id} {check.status.value.upper()} · {check.level.value.upper()} rule {check.rule}",
    ]
    if check.description:
        lines.append(f"  {check.description}")
    if check.reason:
        lines.append(f"  reason: {check.reason}")
    groups = group_findings(check.findings)
    if groups:
        total = sum(finding.count for finding in groups)
        lines.append(f"  {total} finding{'s' if total != 1 else ''}:")
    for number, finding in enumerate(groups[:limit], 1):
        times = f" (×{finding.count})" if finding.count > 1 else ""
        lines.append(f"  {number}. [{finding.rule}] {finding.message}{times}")
        for label, value, shown in (
            ("operation", finding.operation, TEXT_SHOWN),
            ("expected", finding.expected, TEXT_SHOWN),
            ("actual", finding.actual, TEXT_SHOWN),
            ("reproduce", finding.curl, CURL_SHOWN),
        ):
            if value:
                lines.append(f"     {label + ':':<10} {_indent(_clip(value, shown), 16)}")
    if len(groups) > limit:
        lines.append(f"  … and {len(groups) - limit} more (-vv shows all; --calbot-report-dir)")
    return mask("\n".join(lines), secrets)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "… (cut; in full in the reports)"


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)
