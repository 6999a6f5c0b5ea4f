"""Transient answers calbot met and retried, in words, per check and for the whole run.

calbot retries a documented transient answer (409, 502-504, 507) as Recall asks its clients to;
a retried answer is never a finding, but the reports count it, so a server that sheds load
often is seen doing so. The wording has one home: `calbot.contracts.results.describe_retries`.
"""

from __future__ import annotations

from calbot.contracts.results import CheckResult, RunResult, describe_retries


def check_retries(check: CheckResult) -> str:
    """ "the server answered 507 three times; retried", or "" when the check retried nothing."""
    return describe_retries(check.retried)


def retried_checks(result: RunResult) -> list[CheckResult]:
    """The checks that met transient answers, in run order."""
    return [check for check in result.checks if any(check.retried.values())]


def run_retries(result: RunResult) -> str:
    """ "the server answered 507 three times and 409 once; retried (in 2 checks)", or ""."""
    text = describe_retries(result.retried())
    if not text:
        return ""
    checks = len(retried_checks(result))
    return f"{text} (in {checks} check{'' if checks == 1 else 's'})"


__all__ = ["check_retries", "retried_checks", "run_retries"]
