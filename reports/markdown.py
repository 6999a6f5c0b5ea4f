"""Keeping the Markdown report under GitHub's size limits, however big the run.

A PR comment holds at most 65,536 characters (a step summary 1 MiB). The report is rendered
with more and more terse limits until it fits `BUDGET`; every level says what it left out.
Rendering streams, and gives up on a level as soon as it runs over, so a giant run costs
little. If even the tersest level is too big, the text is cut at a line, open code blocks and
`<details>` are closed, and a note says how much was cut and where the full report is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from calbot.reports.view import Limits

BUDGET = 64_000  # characters; under GitHub's 65,536 with room to spare

# From full detail to the bare verdict and table (and the coverage summary without its list).
LEVELS = (
    Limits(),
    Limits(groups_per_check=5, exchanges_per_finding=1, excerpt_chars=600),
    Limits(
        groups_per_check=3,
        exchanges_per_finding=0,
        excerpt_chars=300,
        detailed_checks=40,
        table_rows=200,
        coverage_rows=60,
    ),
    Limits(
        groups_per_check=2,
        exchanges_per_finding=0,
        excerpt_chars=200,
        detailed_checks=25,
        table_rows=100,
        coverage_rows=30,
    ),
    Limits(
        groups_per_check=1,
        exchanges_per_finding=0,
        excerpt_chars=150,
        detailed_checks=10,
        table_rows=60,
        coverage_rows=0,
    ),
)

CUT_NOTE = (
    "\n\n---\n**Report cut short:** {chars:,} more characters ({lines:,} lines) did not fit "
    "GitHub's size limit. The full report is in calbot-report.html, the data in "
    "calbot-result.json.\n"
)


def fit(stream: Callable[[Limits], Iterator[str]], budget: int = BUDGET) -> str:
    """The most detailed rendering under `budget` characters (see the module docstring)."""
    for limits in LEVELS[:-1]:
        text, complete = _collect(stream(limits), budget)
        if complete:
            return text
    return cut("".join(stream(LEVELS[-1])), budget)


def _collect(chunks: Iterator[str], budget: int) -> tuple[str, bool]:
    """The streamed text, and whether it ended within `budget` (stops reading once over)."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > budget:
            return "".join(parts), False
    return "".join(parts), True


def cut(text: str, budget: int = BUDGET) -> str:
    """`text` cut at a line so that it, the closing of open blocks and a note fit `budget`."""
    if len(text) <= budget:
        return text
    room = budget - len(CUT_NOTE) - 64  # the note's numbers and the closing fence/tags
    end = text.rfind("\n", 0, room)
    kept = text[: end if end > 0 else room]
    closing = _close_open_blocks(kept)
    rest = text[len(kept) :]
    note = CUT_NOTE.format(chars=len(rest), lines=rest.count("\n"))
    return kept + closing + note


def _close_open_blocks(text: str) -> str:
    """What closes the code fence and the `<details>` still open at the end of `text`."""
    fence, details = "", 0
    for line in text.splitlines():
        stripped = line.lstrip()
        ticks = len(stripped) - len(stripped.lstrip("`"))
        if fence:
            if ticks >= len(fence) and not stripped.strip("`").strip():
                fence = ""
        elif ticks >= 3:
            fence = "`" * ticks
        else:
            details += line.count("<details>") - line.count("</details>")
    return (f"\n{fence}" if fence else "") + "\n\n</details>" * max(details, 0)
