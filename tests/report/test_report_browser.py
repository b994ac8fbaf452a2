"""The report in a real browser: Debian's headless ``chromium`` (``make test`` installs it where apt can)
loads the page, every <img> decodes, the tables render, nothing is written to the console, and a
screenshot is a non-blank PNG. Skipped, with the reason, where chromium is not installed; under CI
(CI=true) a missing chromium is a failure (the ``browser`` fixture of conftest.py)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from divergan.report.html import report

BROWSER = ""


@pytest.fixture(autouse=True)
def _chromium_path(browser):
    global BROWSER  # the path, for chromium() below
    BROWSER = browser


#: inserted first in <head> by the test (the report itself has no script): counts error events from the
#: start (script errors, and resources that fail to load: the listener captures),
#: and once the page has loaded writes what rendered into a marker element that --dump-dom shows
PROBE = """<script>
window.__errors = 0;
window.addEventListener("error", () => { window.__errors += 1; }, true);
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const decoded = imgs.filter((i) => i.complete && i.naturalWidth > 0).length;
  const rows = [...document.querySelectorAll("table")].filter((t) => t.getBoundingClientRect().height > 0);
  const marker = document.createElement("div");
  marker.id = "probe";
  marker.textContent = `images=${imgs.length} decoded=${decoded} tables=${rows.length} errors=${window.__errors}`;
  document.body.appendChild(marker);
});
</script>"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def probe(tmp_path: Path, page: str) -> tuple[dict[str, int], list[str]]:
    """Load ``page`` with the probe: (the probe's counts, the console lines chromium logged)."""
    path = tmp_path / "probed.html"
    path.write_text(page.replace("<head>", "<head>" + PROBE, 1))
    done = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<div id="probe">([^<]*)</div>', done.stdout)
    assert found, "the page did not finish loading: " + done.stdout[-500:]
    counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found.group(1))}
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return counts, console


def test_the_probe_sees_broken_images_and_console_errors(tmp_path):
    """The check itself can fail: a page with a broken image and a script error is caught."""
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><table><tr><td>x</td></tr></table>"
        '<img src="data:image/png;base64,iVBORw0KGgoAAAA="><script>console.error("boom"); nope();</script>'
        "</body></html>"
    )
    counts, console = probe(tmp_path, page)
    assert counts == {"images": 1, "decoded": 0, "tables": 1, "errors": 2}  # the image and the script
    assert any('"boom"' in line for line in console) and any(
        "nope is not defined" in line for line in console
    )


@pytest.mark.slow
def test_the_report_renders_in_chromium(finished_run, tmp_path):
    page = report(finished_run[0])
    n_images = page.count("<img ")
    n_tables = page.count("<table>")
    counts, console = probe(tmp_path, page)
    assert counts == {"images": n_images, "decoded": n_images, "tables": n_tables, "errors": 0}
    assert n_images >= 5 and n_tables >= 3
    assert console == []

    html_path = tmp_path / "report.html"
    html_path.write_text(page)
    shot = tmp_path / "shot.png"
    done = chromium(
        tmp_path, "--hide-scrollbars", "--window-size=1280,2000", f"--screenshot={shot}", html_path.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(io.BytesIO(shot.read_bytes())) as im:
        assert im.format == "PNG" and im.size == (1280, 2000)
        gray = im.convert("L")
        assert ImageStat.Stat(gray).stddev[0] > 10  # not a blank page
        dark = sum(gray.histogram()[:128]) / (im.width * im.height)
        assert 0.005 < dark < 0.5  # text and plots on a white page
