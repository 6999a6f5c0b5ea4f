"""The HTML report in headless Chromium: a screenshot, and the DOM the browser built."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from calbot.contracts.results import RunResult
from calbot.reports import write_reports

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = pytest.mark.slow


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def page(covered: RunResult, tmp_path: Path) -> Path:
    """The report of a run with failures, a warning, an error, a skip and passes, behaviour
    coverage and transient retries."""
    return write_reports(covered, ["html"], tmp_path / "report")["html"]


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a blank page is a few kilobytes; this one has content


def test_rendered_dom(page: Path, tmp_path: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.search(r'<h1 id="verdict">Non-conformant</h1>', dom)
    assert '<span id="finding-count">11 findings (4 distinct).</span>' in dom
    curls = re.findall(r'<pre class="curl">(.*?)</pre>', dom, re.S)
    assert len(curls) == 3
    assert curls[0].startswith("curl -X POST 'https://recall.example.test/api/v2/calendar-events/")
    assert "Authorization: Token ****" in curls[0]
    assert '<details class="passed">' in dom
    headings = re.findall(r"<h2[^>]*>(\w+)", dom)
    assert headings[-1] == "Coverage"  # the coverage section comes last
    section = dom[dom.index('<section id="coverage">') : dom.index("</section>")]
    assert section.count('<tr class="cov-yes"') == 2 and section.count('<tr class="cov-no"') == 4
    assert '<a href="#coverage">Coverage: 2 of 6 behaviours exercised (33.3%)' in dom
