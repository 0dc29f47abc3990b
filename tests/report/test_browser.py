"""The HTML report in a real headless Chromium (Debian's ``chromium`` through Playwright): the
map and every chart render, nothing fails to load, nothing is fetched from outside the file, no
script runs and no dialog opens.

Skipped where ``/usr/bin/chromium`` (or Playwright) is missing, unless ``$CI`` is set: CI must
prove the page renders, so there a missing browser fails the test. Screenshots are written to
the temporary folder (``harborwatch-report-*.png``) for a person to look at.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_inputs import SCENE_AT, SF_SITE_ID, SHARED_SITES, SITE_ID, SITES

from harborwatch.report import ReportInputs, build_report, render_html
from harborwatch.store.report import write_site_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(tempfile.gettempdir())

_MAP_SHAPES = """() => Array.from(
    document.querySelectorAll('svg.map path.land, svg.map path.track')).map(p => {
        const b = p.getBBox(); return [p.getAttribute('class'), b.width, b.height]; })"""
_CHART_MARKS = """() => Array.from(document.querySelectorAll('svg.chart')).map(svg =>
    Array.from(svg.querySelectorAll('.mark'))
        .filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; }).length)"""
_IMAGES = "() => Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
_DETECTIONS_INSIDE = """() => {
    const svg = document.querySelector('svg.map').getBoundingClientRect();
    return Array.from(document.querySelectorAll('svg.map rect.detection')).map(r => {
        const b = r.getBoundingClientRect();
        return b.width > 0 && b.left >= svg.left && b.right <= svg.right
            && b.top >= svg.top && b.bottom <= svg.bottom; }); }"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI must run the browser test (apt-get install -y chromium)")
    pytest.skip(f"{reason} (set CI=true to make this a failure)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, path: Path, shot: str) -> tuple[Any, dict[str, list[str]]]:
    """Load ``path`` and record requests, failures, console errors, script errors, dialogs."""
    page = browser.new_page(viewport={"width": 1000, "height": 1600})
    seen: dict[str, list[str]] = {
        k: [] for k in ("requests", "failed", "console", "errors", "dialogs")
    }
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} {r.failure}"))
    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.screenshot(path=str(SHOTS / f"harborwatch-report-{shot}.png"))
    page.locator("#map").screenshot(path=str(SHOTS / f"harborwatch-report-{shot}-map.png"))
    return page, seen


def _assert_rendered(page: Any, seen: dict[str, list[str]], charts: int) -> None:
    assert seen["requests"] and all(
        url.startswith(("file:", "data:")) for url in seen["requests"]
    ), seen["requests"]
    assert not seen["failed"] and not seen["console"], (seen["failed"], seen["console"])
    assert not seen["errors"] and not seen["dialogs"], (seen["errors"], seen["dialogs"])
    shapes = page.evaluate(_MAP_SHAPES)
    land = [s for s in shapes if s[0].startswith("land")]
    tracks = [s for s in shapes if s[0].startswith("track")]
    assert land and all(w * h > 0 for _, w, h in land)
    assert tracks and all(w + h > 0 for _, w, h in tracks)
    box = page.locator("svg.map").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    marks = page.evaluate(_CHART_MARKS)
    assert len(marks) >= charts and all(n > 0 for n in marks), marks
    assert all(done and width > 0 for done, width in page.evaluate(_IMAGES))
    assert page.evaluate("document.scripts.length") == 0


def test_full_report_renders_offline(
    browser: Any, rich_inputs: ReportInputs, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(build_report(rich_inputs)), encoding="utf-8")
    page, seen = _open(browser, path, "full")
    _assert_rendered(page, seen, charts=4)  # 3 timeline series and the imagery counts
    assert page.locator(".banner").inner_text().startswith("SIMULATED")
    assert page.locator("img").count() == 1


def test_store_report_with_hostile_names_renders_inert(
    browser: Any, hostile_store: dict[str, Path]
) -> None:
    path = write_site_report(
        hostile_store["store"],
        SITE_ID,
        hostile_store["root"] / "browser.html",
        sites=SITES,
        watchlist=hostile_store["watchlist"],
        geo_dir=hostile_store["geo"],
    )
    page, seen = _open(browser, path, "hostile")
    _assert_rendered(page, seen, charts=1)
    legend = page.locator("#map").inner_text()
    assert "<SCRIPT>ALERT(1)" in legend  # the name is shown as text, not run


def test_imagery_detections_render_inside_the_map(
    browser: Any, ais_scene_store: dict[str, Any]
) -> None:
    day = SCENE_AT.date()
    path = write_site_report(
        ais_scene_store["store"],
        SF_SITE_ID,
        ais_scene_store["store"].root.parent / "browser.html",
        day,
        day,
        sites=SHARED_SITES,
        geo_dir=ais_scene_store["geo"],
    )
    page, seen = _open(browser, path, "dark-vessels")
    assert all(url.startswith(("file:", "data:")) for url in seen["requests"])
    assert not (seen["failed"] or seen["console"] or seen["errors"] or seen["dialogs"]), seen
    assert page.evaluate(_DETECTIONS_INSIDE) == [True, True, True]
    assert page.locator("#dark-vessels tr[id^='dv-']").count() == 2
