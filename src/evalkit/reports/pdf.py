"""PDF copies of the HTML reports, printed by headless Chromium (driven by Playwright).

Both are loaded only when PDFs are asked for (``evalkit run SPEC --format pdf``); without them the
run stops before any kernel starts with a message saying what to install. The HTML report is
always kept; the PDF is written beside it (``<code>.pdf``) atomically.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalkit._io import atomic_write_bytes
from evalkit.exceptions import PipelineError

__all__ = ["CHROMIUM_ARGS", "check_pdf_support", "chromium", "chromium_path", "write_pdfs"]

#: Command-line switches for a quiet, offline, sandbox-free headless Chromium.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_NAMES = ("chromium", "chromium-browser")
_INSTALL = "install Chromium: apt-get install chromium"
_NO_PLAYWRIGHT = (
    f"PDF output needs Playwright for Python: pip install 'evalkit[pdf]' (and {_INSTALL})"
)


def chromium_path() -> str:
    """The Chromium executable (``chromium`` on PATH, else /usr/bin/chromium), or PipelineError."""
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    raise PipelineError(f"PDF output needs headless Chromium, which was not found; {_INSTALL}")


def check_pdf_support() -> str:
    """Fail now (PipelineError) unless both Chromium and Playwright are installed; return the path."""
    executable = chromium_path()
    if importlib.util.find_spec("playwright") is None:
        raise PipelineError(_NO_PLAYWRIGHT)
    return executable


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (a Playwright ``Browser``), closed after the block."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PipelineError(_NO_PLAYWRIGHT) from None
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        except Exception as exc:  # Playwright raises its own Error type for a failed launch
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PipelineError(f"cannot start Chromium at {executable}: {first}") from None
        try:
            yield browser
        finally:
            browser.close()


def write_pdfs(html_paths: list[Path], *, force: bool = False) -> list[Path]:
    """Print each HTML report to a PDF beside it; return the PDFs written.

    A PDF newer than its HTML is kept unless ``force``.
    """
    todo = [
        p
        for p in html_paths
        if force
        or not p.with_suffix(".pdf").is_file()
        or p.with_suffix(".pdf").stat().st_mtime < p.stat().st_mtime
    ]
    if not todo:
        return []
    written = []
    with chromium() as browser:
        page = browser.new_page()
        for html_path in todo:
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            data = page.pdf(
                format="A4",
                print_background=True,
                margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
            )
            written.append(atomic_write_bytes(html_path.with_suffix(".pdf"), data))
    return written
