"""The report formats and the file each is written to: the one list of them.

Plain data, no imports, so the CLI can name the formats (its `--report` and `--format`
choices) without loading the renderer.
"""

from __future__ import annotations

FILENAMES: dict[str, str] = {
    "html": "calbot-report.html",
    "md": "calbot-report.md",
    "junit": "calbot-junit.xml",
    "json": "calbot-result.json",
}
"""Each format and the file `write_reports` writes it to."""

FORMATS: tuple[str, ...] = tuple(FILENAMES)
"""Every report format, in the order the CLI lists them."""
