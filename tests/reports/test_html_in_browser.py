"""The HTML report in headless Chromium: a screenshot, the DOM the browser built, and the
layout it computed (where the first failure is, whether the contents' links land, whether a
phone has to scroll sideways)."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

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


# The page has no script (and its CSP forbids one). To read the layout, the tests measure a copy
# of it, without the CSP, with this script at the end: it writes what it measured into the DOM,
# which `--dump-dom` prints. Positions first, then every <details> opened to look for anything
# wider than the window.
MEASURE = """<script>
(function () {
  function top(element) { return element ? element.getBoundingClientRect().top + scrollY : null; }
  var out = {
    viewport: [innerWidth, innerHeight],
    height: document.documentElement.scrollHeight,
    firstCheck: top(document.querySelector("article.check")),
    firstFinding: top(document.querySelector("li.finding")),
    links: Array.prototype.map.call(document.querySelectorAll("a[href^='#']"), function (a) {
      var target = document.getElementById(a.getAttribute("href").slice(1));
      return {href: a.getAttribute("href"), lands: !!target, contents: !!a.closest("nav.toc")};
    })
  };
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  out.wider = [];  // the outermost elements sticking out on the right
  var edge = document.documentElement.clientWidth + 1;
  document.querySelectorAll("body *").forEach(function (element) {
    var box = element.getBoundingClientRect();
    if (box.right > edge && element.parentElement.getBoundingClientRect().right <= edge) {
      out.wider.push(element.tagName + "." + element.className);
    }
  });
  out.scrollWidth = document.documentElement.scrollWidth;
  out.clientWidth = document.documentElement.clientWidth;
  var pre = document.createElement("pre");
  pre.id = "calbot-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""

# Headless Chromium's window is at least 500 px wide: a phone's 390 px is an <iframe> of that
# width in a page that copies the measurements out once it has loaded.
PHONE = """<!DOCTYPE html>
<iframe id="page" src="measured.html" style="width:390px;height:844px"></iframe>
<script>
onload = function () {
  var found = document.getElementById("page").contentDocument.getElementById("calbot-measure");
  var pre = document.createElement("pre");
  pre.id = "calbot-measure";
  pre.textContent = found.textContent;
  document.body.appendChild(pre);
};
</script>"""


def measure(page: Path, tmp_path: Path, width: int, height: int = 800) -> dict[str, Any]:
    """The layout of `page` at `width` × `height`, as Chromium computes it."""
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text  # the shipped page itself stays script-free
    csp = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', text)
    assert csp is not None
    copy = tmp_path / "measured.html"
    copy.write_text(text.replace(csp.group(), "").replace("</body>", MEASURE + "</body>"))
    target, window = copy, f"--window-size={width},{height}"
    if width < 500:
        target = tmp_path / "phone.html"
        target.write_text(PHONE.replace("390px", f"{width}px").replace("844px", f"{height}px"))
        window = f"--window-size=600,{height + 100}"
    reads_frame = "--allow-file-access-from-files"  # the phone page reads its frame's DOM
    done = chromium(tmp_path, reads_frame, window, "--dump-dom", target.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="calbot-measure">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stdout[-2000:]
    measured: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return measured


def test_the_first_failure_is_on_the_first_screen(page: Path, tmp_path: Path) -> None:
    layout = measure(page, tmp_path, 1280, 800)
    assert layout["viewport"][0] == 1280  # (the height is the window's less Chromium's frame)
    assert layout["firstCheck"] < 800  # the first failed check starts within a 1280×800 screen
    assert layout["firstFinding"] < 1200  # and its first finding right below
    assert layout["height"] > layout["firstFinding"]


def test_the_contents_links_land_on_anchors(page: Path, tmp_path: Path) -> None:
    layout = measure(page, tmp_path, 1280, 800)
    links = layout["links"]
    assert not [link["href"] for link in links if not link["lands"]]
    contents = [link["href"] for link in links if link["contents"]]
    checks = [href for href in contents if href.startswith("#check-")]
    assert len(checks) == 5  # 3 failed, 1 error, 1 warning
    for section in ("#skipped", "#passed", "#rules", "#coverage", "#run"):
        assert section in contents


def test_nothing_is_wider_than_a_phone(page: Path, tmp_path: Path) -> None:
    layout = measure(page, tmp_path, 390, 844)
    assert layout["viewport"][0] == 390
    assert layout["scrollWidth"] <= layout["clientWidth"], layout["wider"]
    assert not layout["wider"]
