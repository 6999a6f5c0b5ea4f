"""One result, four writers: each format is a Jinja2 template fed from the same RunResult.

Every string a template emits goes through `_finalize`: secrets masked, characters XML
cannot carry escaped. The result itself is masked first too (`mask_result`), so text built
from it (JSON, attribute values) never carries the key either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from calbot.contracts.results import SCHEMA_VERSION, RunResult
from calbot.reports import filters, json_result, junit, markdown
from calbot.reports.formats import FILENAMES, FORMATS
from calbot.reports.masking import mask_result, mask_text
from calbot.reports.retries import check_retries
from calbot.reports.sources import sources
from calbot.reports.view import Limits, build_view, prepare

__all__ = ["render", "write_reports"]


def render(result: RunResult, fmt: str, *, secrets: Sequence[str] = ()) -> str:
    """`result` as text in `fmt` ("html", "md", "junit" or "json"), with `secrets` masked."""
    _check_formats([fmt])
    return _render(mask_result(result, secrets), fmt, tuple(secrets))


def write_reports(
    result: RunResult, formats: Iterable[str], out_dir: str | Path, *, secrets: Sequence[str] = ()
) -> dict[str, Path]:
    """Write each of `formats` into `out_dir` (created if needed) under its FILENAMES name."""
    chosen = _check_formats(formats)
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    masked = mask_result(result, secrets)
    written = {}
    for fmt in chosen:
        path = directory / FILENAMES[fmt]
        path.write_text(_render(masked, fmt, tuple(secrets)), encoding="utf-8")
        written[fmt] = path
    return written


def _check_formats(formats: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(formats))
    for fmt in chosen:
        if fmt not in FILENAMES:
            raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    return chosen


def _render(masked: RunResult, fmt: str, secrets: tuple[str, ...]) -> str:
    common: dict[str, Any] = {"secrets": secrets, "schema_version": SCHEMA_VERSION}
    text: str = _WRITERS[fmt](masked, common)
    return text if text.endswith("\n") else text + "\n"


def _html(result: RunResult, common: dict[str, Any]) -> str:
    return _template("report.html.j2").render(view=build_view(result), **common)


def _markdown(result: RunResult, common: dict[str, Any]) -> str:
    template = _template("report.md.j2")
    prepared = prepare(result)

    def stream(limits: Limits) -> Iterator[str]:
        return template.generate(view=build_view(prepared, limits), **common)

    return markdown.fit(stream)


def _junit(result: RunResult, common: dict[str, Any]) -> str:
    properties = [
        ("calbot.target", result.target),
        ("calbot.kind", result.kind),
        ("calbot.verdict", result.verdict.value),
        ("calbot.kit_version", result.kit_version),
        ("calbot.spec_version", result.spec_version),
        ("calbot.seed", "" if result.seed is None else str(result.seed)),
        ("calbot.strict", str(result.strict).lower()),
        ("calbot.started_at", result.started_at.isoformat()),
    ]
    if result.incomplete:
        properties.append(("calbot.incomplete", str(result.incomplete)))
    properties += junit.fact_properties(result)
    hostname = str(result.options.get("hostname") or "localhost")
    return _template("junit.xml.j2").render(
        suites=junit.suites(result),
        properties=properties,
        package=junit.PACKAGE,
        hostname=hostname,
        **common,
    )


def _json(result: RunResult, common: dict[str, Any]) -> str:
    return _template("result.json.j2").render(data=result.to_dict(), **common)


_WRITERS = {"html": _html, "md": _markdown, "junit": _junit, "json": _json}


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Applied to every value a template prints: mask secrets, escape what XML forbids."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # a macro's output: its own values were finalized already
        return value
    if isinstance(value, str):
        return filters.printable(mask_text(value, context.get("secrets", ())))
    return value


@cache
def environment() -> Environment:
    """The one Jinja2 environment: package templates, strict, autoescaped for HTML and XML."""
    env = Environment(
        loader=PackageLoader("calbot.reports", "templates"),
        autoescape=select_autoescape(("html", "xml", "html.j2", "xml.j2"), default=False),
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        capfirst=filters.capfirst,
        duration=filters.duration,
        shortened=filters.shortened,
        md_code=filters.md_code,
        md_fenced=filters.md_fenced,
        md_text=filters.md_text,
        md_value=filters.md_value,
        option_text=filters.option_text,
        plural=filters.plural,
        request_text=filters.request_text,
        retries=check_retries,
        response_text=filters.response_text,
        sources=sources,
        to_json=json_result.dumps,
        when=filters.when,
    )
    return env


def _template(name: str) -> Template:
    return environment().get_template(name)
