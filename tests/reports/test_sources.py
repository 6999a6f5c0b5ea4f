"""Short names for rule sources: the README's names, derived from the URL in one place."""

from __future__ import annotations

import re
from pathlib import Path

from calbot.contracts.rules import CLIENT_RULES, RULES
from calbot.reports.sources import Source, source_name, sources

README = Path(__file__).resolve().parents[2] / "README.md"
CATALOGUE = {url for rule in (*RULES, *CLIENT_RULES) for url in rule.sources}


def test_every_source_of_the_catalogue_has_a_short_name() -> None:
    names = {url: source_name(url) for url in CATALOGUE}
    for url, name in names.items():
        assert "/" not in name and len(name) <= 20, (url, name)
    assert len(set(names.values())) == len(names)  # two pages never share a name


def test_the_names_are_the_readmes() -> None:
    """The README's tables link the same pages under the same names (one qualifies its name:
    "OpenAPI `x-throttles`")."""
    links = re.findall(r"\[([^\]]+)\]\((https://[^)\s]+)\)", README.read_text(encoding="utf-8"))
    checked = [(name, url) for name, url in links if url in CATALOGUE]
    assert len(checked) >= 40
    for name, url in checked:
        assert name.startswith(source_name(url)), (name, url)


def test_other_urls_are_named_after_their_path() -> None:
    assert source_name("https://docs.recall.ai/docs/bot-status-change-events") == (
        "bot status change events"
    )
    assert source_name("https://docs.recall.ai/reference/bot_list/") == "bot list"
    assert source_name("https://www.rfc-editor.org/rfc/rfc9110#section-15") == "RFC 9110 §15"
    assert source_name("https://example.com") == "example.com"


def test_only_http_urls_are_links() -> None:
    assert sources("https://docs.recall.ai/reference/errors  javascript:alert(1)") == [
        Source("errors", "https://docs.recall.ai/reference/errors"),
        Source("javascript:alert(1)", None),
    ]
    assert sources("") == sources(None) == []
