"""The client rules' broken findings as terminal text: what `calbot client-report` and
`calbot proxy` print, and what the `calbot_server` fixture fails or warns with.

Presentation only, over the result model: the rules and their findings are
`calbot.contracts.clients`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from calbot.contracts.results import CheckResult, Level, Status
from calbot.spec.text import shorten

_SYMBOL = {Status.FAILED: "✗", Status.WARNING: "!"}


def describe_violations(
    checks: Sequence[CheckResult], *, include_warnings: bool = True, per_rule: int = 10
) -> str:
    """The broken rules and their findings, one block per rule, for a terminal."""
    shown = [Status.FAILED, Status.WARNING] if include_warnings else [Status.FAILED]
    broken = [check for check in checks if check.status in shown and check.findings]
    if not broken:
        return "no client rule was broken"
    total = sum(len(check.findings) for check in broken)
    lines = [f"{_plural(len(broken), 'client rule')} broken ({_plural(total, 'violation')}):"]
    for check in broken:
        kind = "MUST" if check.level is Level.MUST else "SHOULD, a warning"
        lines.append(f"{_SYMBOL[check.status]} {check.rule} ({kind}): {check.description}")
        for finding in check.findings[:per_rule]:
            lines.append(f"    {finding.message}")
            lines.append(f"      expected: {finding.expected}")
            request = finding.exchanges[-1].request_body if finding.exchanges else None
            if request:
                lines.append(f"      request body: {shorten(request, 200)}")
        if len(check.findings) > per_rule:
            lines.append(f"    … and {len(check.findings) - per_rule} more")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
