"""Export an executed notebook as one self-contained, accessible HTML page with no code.

nbconvert's ``basic`` template renders the outputs only (``exclude_input``); evalkit wraps them in
its own page with inline CSS, so the file needs no network (no CDN scripts) and opens anywhere.
Standard-error streams (warnings, logs) are left out of the page; they stay in the run's logs.
"""

from __future__ import annotations

import copy
import html
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - nbformat is slow to import and the kernel never needs it
    import nbformat

__all__ = ["FIGURE_MIME", "export_html", "page"]

#: Outputs of this type carry key figures for the manifest; they are not shown in the page.
FIGURE_MIME = "application/vnd.evalkit.figure+json"

CSS = """
:root { --ink:#1b1b1b; --muted:#505a5f; --line:#b1b4b6; --accent:#0072B2; --bg:#ffffff; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: var(--ink); background: var(--bg);
       line-height: 1.5; font-size: 17px; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 2rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.5rem; margin-top: 2.5rem; border-bottom: 3px solid var(--accent); padding-bottom: .25rem; }
h3 { font-size: 1.2rem; margin-top: 1.5rem; }
a { color: #1d70b8; }
table, th, td { border: 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.95rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: right;
         vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--ink); }
figure { margin: 1rem 0; } figcaption { color: var(--muted); font-size: .9rem; }
img { max-width: 100%; height: auto; }
.note, .evalkit-note { color: var(--muted); font-size: .9rem; }
.callout { border-left: 5px solid var(--accent); background: #f3f2f1; padding: .75rem 1rem; margin: 1rem 0; }
.warning { border-left: 5px solid #d4351c; background: #fdf2f0; padding: .75rem 1rem; margin: 1rem 0; }
.jp-OutputArea-output pre, pre { white-space: pre-wrap; font-size: .9rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
@media print { body { font-size: 11pt; } main { max-width: none; } h2 { break-after: avoid; } }
"""


def page(title: str, body: str, *, lang: str = "en-GB") -> str:
    """A complete HTML page around ``body`` (trusted HTML) with the house CSS inline."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # No icon to fetch: a browser would otherwise ask the server for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _presentable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without stderr streams, figure records or cells tagged ``remove``.

    Cell ids are renumbered (``cell-0``, ``cell-1``, ...): papermill gives its injected-parameters
    cell a random id, which would otherwise make two runs of the same report differ.
    """
    nb = copy.deepcopy(nb)
    kept_cells = []
    for index, cell in enumerate(nb.cells):
        if "id" in cell:
            cell.id = f"cell-{index}"
        if "remove" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue
                data: dict[str, Any] = out.get("data", {})
                if FIGURE_MIME in data and len(data) == 1:
                    continue
                data.pop(FIGURE_MIME, None)
                outputs.append(out)
            cell.outputs = outputs
        kept_cells.append(cell)
    nb.cells = kept_cells
    return nb


_exporters = threading.local()


def _exporter():
    """This thread's HTML exporter: made once, as loading its templates costs more than using
    them (a Dask worker runs reports in several threads, so each has its own)."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _exporters.html = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    return exporter


def export_html(nb: nbformat.NotebookNode, *, title: str) -> str:
    """The executed notebook as a self-contained HTML page with no code cells."""
    body, _ = _exporter().from_notebook_node(_presentable(nb))
    return page(title, body)
