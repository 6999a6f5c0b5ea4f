"""Masking a finished result: every free-text field through the one masker.

What is masked (contracts/masking.py): every configured secret value (the API key), also
percent-encoded, and the credential of any `Authorization` header, keeping the scheme.
Nothing else is: deduplication keys, ids and bodies are shown as sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from calbot.contracts.masking import MASK, Masker, masker
from calbot.contracts.masking import mask as mask_text
from calbot.contracts.results import CheckResult, Coverage, Exchange, Finding, RunResult

__all__ = ["MASK", "Masker", "mask_result", "mask_text"]


def mask_result(result: RunResult, secrets: Sequence[str] = ()) -> RunResult:
    """A copy of `result` with every free-text field masked; statuses and levels kept."""
    return _result(masker(tuple(secrets)), result)


def _result(m: Masker, result: RunResult) -> RunResult:
    """A copy of `result` with every free-text field masked; statuses and levels kept."""
    return replace(
        result,
        target=m.text(result.target),
        kit_version=m.text(result.kit_version),
        spec_version=m.text(result.spec_version),
        options=m.data(result.options),
        checks=[_check(m, check) for check in result.checks],
        coverage=[_coverage(m, item) for item in result.coverage],
    )


def _check(m: Masker, check: CheckResult) -> CheckResult:
    return replace(
        check,
        contract=m.text(check.contract),
        name=m.text(check.name),
        rule=m.text(check.rule),
        description=m.text(check.description),
        reason=m.optional(check.reason),
        findings=[_finding(m, finding) for finding in check.findings],
    )


def _coverage(m: Masker, item: Coverage) -> Coverage:
    # A reason quotes the skip reasons of checks, which may name what the user gave.
    return replace(
        item,
        text=m.text(item.text),
        reason=m.optional(item.reason),
        checks=[m.text(check) for check in item.checks],
    )


def _finding(m: Masker, finding: Finding) -> Finding:
    return replace(
        finding,
        rule=m.text(finding.rule),
        message=m.text(finding.message),
        expected=m.text(finding.expected),
        actual=m.text(finding.actual),
        operation=m.optional(finding.operation),
        curl=m.optional(finding.curl),
        signature=m.text(finding.signature),
        exchanges=[_exchange(m, exchange) for exchange in finding.exchanges],
    )


def _exchange(m: Masker, exchange: Exchange) -> Exchange:
    return replace(
        exchange,
        method=m.text(exchange.method),
        url=m.text(exchange.url),
        request_headers=m.headers(exchange.request_headers),
        request_body=m.optional(exchange.request_body),
        response_headers=m.headers(exchange.response_headers),
        response_body=m.optional(exchange.response_body),
    )
