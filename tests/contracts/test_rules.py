"""The rule catalogue: evidence behind every rule, public sources, level from evidence."""

from __future__ import annotations

import pytest

from calbot.contracts.engine.runner import all_checks
from calbot.contracts.results import Level
from calbot.contracts.rules import (
    ALL_RULES_BY_ID,
    CLIENT_RULES,
    RECALL_DOC_PREFIXES,
    RULES,
    Evidence,
    findings_level,
    source_of,
)

EVERY_RULE = [*RULES, *CLIENT_RULES]
INTERNAL = ("recall-domain", "design.md", "spec/", "openapi.yaml", "§", "seed")


@pytest.mark.parametrize("rule", EVERY_RULE, ids=[rule.id for rule in EVERY_RULE])
def test_level_follows_evidence(rule: object) -> None:
    assert rule.level is (Level.MUST if rule.evidence is Evidence.DOCUMENTED else Level.SHOULD)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", EVERY_RULE, ids=[rule.id for rule in EVERY_RULE])
def test_sources_are_public_urls_never_internal_notes(rule: object) -> None:
    sources = rule.sources  # type: ignore[attr-defined]
    assert all(source.startswith("https://") for source in sources), sources
    text = " ".join([*sources, rule.text, rule.why])  # type: ignore[attr-defined]
    assert not [word for word in INTERNAL if word in text], text


def test_every_must_rule_cites_recall_docs_or_its_published_openapi() -> None:
    for rule in EVERY_RULE:
        if rule.level is Level.MUST:
            assert any(s.startswith(RECALL_DOC_PREFIXES) for s in rule.sources), rule.id


def test_inferred_and_own_rules_say_why() -> None:
    for rule in EVERY_RULE:
        if rule.evidence is not Evidence.DOCUMENTED:
            assert len(rule.why) > 20, rule.id
        if rule.evidence is Evidence.INFERRED:
            assert rule.sources, rule.id


def test_no_check_cites_an_own_rule() -> None:
    own = {rule.id for rule in RULES if rule.evidence is Evidence.OWN}
    assert own  # the catalogue lists calbot's guesses so the report can say they are not checked
    assert not {spec.rule for spec in all_checks()} & own


def test_ids_are_unique_across_server_and_client_rules() -> None:
    assert len(ALL_RULES_BY_ID) == len(EVERY_RULE)


def test_source_of_gives_the_rules_urls() -> None:
    assert (
        source_of("ended.refused") == "https://docs.recall.ai/reference/calendar_events_bot_create"
    )
    assert source_of("client.retry-after").startswith("https://docs.recall.ai/")
    assert source_of("no.such-rule") == ""


def test_findings_of_should_rules_only_make_a_must_check_warn() -> None:
    assert findings_level(["errors.bodies"], Level.MUST) is Level.SHOULD
    assert findings_level(["errors.bodies", "dedup.shared-bot"], Level.SHOULD) is Level.MUST
    assert findings_level([], Level.MUST) is Level.MUST
    assert findings_level(["unknown"], Level.MUST) is Level.MUST


def test_findings_of_a_run_carry_their_rules_sources() -> None:
    from calbot.conformance import Conformance, run_conformance
    from calbot.server import Request, Response, ServerConfig, create_app
    from calbot.server.messages import Handler

    def plain_404(request: Request, following: Handler) -> Response:
        response = following(request)
        return Response(404, {"error": "missing"}) if response.status == 404 else response

    app = create_app(ServerConfig(hooks=(plain_404,)))
    result = run_conformance(
        Conformance(app=app, state_url="/_calbot/states", seed=1, contracts=["errors"])
    )
    findings = result.findings()
    assert findings
    assert all(f.source == source_of(f.rule) and f.source for f in findings)
    assert result.exit_code == 0  # errors.bodies is inferred: a warning


def _readme_rows() -> list[str]:
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "README.md"
    return [
        line for line in readme.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]


def test_the_readme_tables_name_every_rule_with_its_level_and_must_sources() -> None:
    rows = _readme_rows()
    for rule in EVERY_RULE:
        cited = [row for row in rows if f"`{rule.id}`" in row]
        assert cited, f"{rule.id} is not in the README's tables"
        if rule.evidence is Evidence.OWN:
            assert all("own" in row for row in cited), rule.id
            continue
        level = rule.level.value.upper()
        assert any(row.rstrip().endswith(f"| {level} |") for row in cited), rule.id
        if rule.level is Level.MUST:
            assert all("https://docs.recall.ai/" in row for row in cited), rule.id
