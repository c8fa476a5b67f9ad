"""A real browser opens the index, follows every locality link and checks each report.

Headless Chromium (the Debian package, driven by Playwright with ``executable_path``) loads
``index.html`` over a local HTTP server on 127.0.0.1, follows each link to a locality report and
checks that the page loads without console errors and that every chart (``<img>``) has alt text
and actually decoded (``naturalWidth > 0``). A screenshot of each page goes to the test's
temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from _needs import need
from _reports import NO_BROWSER, TWO, chromium_found, demo_run, watched_page
from evalkit.reports.pdf import CHROMIUM_ARGS, chromium_path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """The demo reports served on 127.0.0.1 (a free port); yields the index URL."""
    need(chromium_found(), f"{NO_BROWSER}: no browser to test with")
    spec, pages = demo_run(tmp_path_factory)
    handler = functools.partial(_QuietHandler, directory=str(spec.output_folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html", sorted(pages)
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_index_links_open_reports_with_charts_and_no_console_errors(
    served: tuple[str, list[str]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    served, reports = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            page, errors = watched_page(browser)
            response = page.goto(served, wait_until="load")
            assert response is not None and response.ok
            assert "reports by locality" in page.title()
            page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
            links = page.eval_on_selector_all(
                "main a[href$='.html']", "els => els.map(e => e.getAttribute('href'))"
            )
            assert sorted(links) == reports  # every report is linked from the index
            locality_links = page.eval_on_selector_all(
                "table.sortable tbody th a[href$='.html']",
                "els => els.map(e => e.getAttribute('href'))",
            )
            assert sorted(locality_links) == sorted(f"{code}.html" for code in TWO)
            charts: dict[str, int] = {}
            for href in links:
                page.goto(served, wait_until="load")
                page.click(f'main a[href="{href}"]')
                page.wait_for_load_state("load")
                assert page.url.endswith(href)
                assert page.locator("h1").first.inner_text().strip()
                images = page.eval_on_selector_all(
                    "img",
                    "els => els.map(e => ({alt: e.getAttribute('alt') || '', "
                    "width: e.naturalWidth, complete: e.complete}))",
                )
                charts[href] = len(images)
                for image in images:
                    assert image["alt"].strip(), f"{href}: a chart without alt text"
                    assert image["complete"] and image["width"] > 0, f"{href}: a broken chart"
                shot = tmp_path / href.replace("/", "__").replace(".html", ".png")
                page.screenshot(path=str(shot), full_page=True)
            assert errors == []
            # Liverpool's report has charts; tiny Rutland's may have none (figures suppressed).
            assert charts[f"{TWO[0]}.html"] >= 1
        finally:
            browser.close()
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    expected = ["index.png", *(r.replace("/", "__").replace(".html", ".png") for r in reports)]
    assert shots == sorted(expected)
    assert all((tmp_path / s).stat().st_size > 5_000 for s in shots)


def test_index_table_sorts_in_the_browser(served: tuple[str, list[str]]) -> None:
    from playwright.sync_api import sync_playwright

    served, _ = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(served, wait_until="load")
            names = "els => els.map(e => e.textContent.trim())"
            page.click("table.sortable thead th:nth-child(1) button")
            ascending = page.eval_on_selector_all("table.sortable tbody th", names)
            page.click("table.sortable thead th:nth-child(1) button")
            descending = page.eval_on_selector_all("table.sortable tbody th", names)
            assert ascending == sorted(ascending) and descending == ascending[::-1]
            sort = page.get_attribute("table.sortable thead th:nth-child(1)", "aria-sort")
            assert sort == "descending"
        finally:
            browser.close()
