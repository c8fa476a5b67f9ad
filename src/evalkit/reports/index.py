"""The run's manifest (``manifest.json``) and index page (``index.html``).

The manifest records, per report: locality, status, times, cache key, output paths (relative to
the programme's report folder), key figures recorded by the notebook, and for failures the cell and
error. The index page is a sortable table of localities with their status, key figures and links;
failures are listed plainly at the top.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from pathlib import Path
from typing import Any

from evalkit import __version__, narrative
from evalkit._io import atomic_write_text
from evalkit.config import ProgrammeSpec
from evalkit.disclosure import get_policy
from evalkit.intake.partitions import ALL_LOCALITIES
from evalkit.reports.execute import JobOutcome
from evalkit.reports.export import page
from evalkit.reports.plan import MAIN_REPORT, Job

__all__ = ["INDEX", "MANIFEST", "read_manifest", "write_index", "write_manifest"]

MANIFEST = "manifest.json"
INDEX = "index.html"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the last run in ``folder`` (empty if none)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def _rel(path: str | None, folder: Path) -> str | None:
    return os.path.relpath(path, folder) if path else None


def _entry(job: Job, outcome: JobOutcome, folder: Path) -> dict[str, Any]:
    html_path = outcome.html_path
    if outcome.status == "failed" and job.html_path.is_file():
        html_path = str(job.html_path)  # the previous good report is kept and still linked
    pdf = job.html_path.with_suffix(".pdf")
    return {
        "key": job.key,
        "report": job.report,
        "title": job.title,
        "locality": job.locality,
        "locality_name": job.locality_name,
        "status": outcome.status,
        "started": dt.datetime.fromtimestamp(outcome.started, dt.UTC).isoformat(timespec="seconds"),
        "seconds": outcome.seconds,
        "cache_key": outcome.cache_key,
        "html": _rel(html_path, folder),
        "pdf": _rel(str(pdf), folder) if html_path and pdf.is_file() else None,
        "previous_report_kept": outcome.status == "failed" and html_path is not None,
        "failed_notebook": _rel(outcome.failed_notebook, folder),
        "log": _rel(outcome.log_path, folder),
        "cell": outcome.cell,
        "error": outcome.error,
        "figures": outcome.figures,
        "downloads": [_rel(p, folder) for p in outcome.downloads],
    }


def write_manifest(
    spec: ProgrammeSpec,
    jobs: list[Job],
    outcomes: list[JobOutcome],
    others: list[dict[str, Any]],
    *,
    seconds: float,
) -> Path:
    """Write ``manifest.json`` atomically; return its path."""
    folder = spec.output_folder
    entries = [_entry(j, o, folder) for j, o in zip(jobs, outcomes, strict=True)] + others
    entries.sort(key=lambda e: (e["report"] != MAIN_REPORT, e["report"], e["locality_name"]))
    counts = {s: sum(e["status"] == s for e in entries) for s in ("ok", "skipped", "failed")}
    manifest = {
        "programme": spec.programme,
        "title": spec.title,
        "reporting_period": spec.reporting_period.label,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "evalkit_version": __version__,
        "spec": str(spec.source),
        "disclosure_policy": spec.disclosure.policy,
        "run_seconds": round(seconds, 3),
        "counts": counts,
        "reports": entries,
        "failures": [
            {
                k: e[k]
                for k in (
                    "locality",
                    "locality_name",
                    "report",
                    "cell",
                    "error",
                    "failed_notebook",
                    "log",
                )
            }
            for e in entries
            if e["status"] == "failed"
        ],
    }
    path = folder / MANIFEST
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")
    return path


_SORT_SCRIPT = """
<script>
document.querySelectorAll('table.sortable th button').forEach(function (button) {
  button.addEventListener('click', function () {
    var th = button.closest('th'), table = th.closest('table'), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute('data-sort') || a.cells[index].textContent;
      var y = b.cells[index].getAttribute('data-sort') || b.cells[index].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return ascending ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
"""


def _figure_cell(figure: dict[str, Any] | None) -> str:
    if not figure:
        return '<td data-sort="-1">–</td>'
    value = figure.get("value")
    sort = value if isinstance(value, int | float) else -1
    shown = (
        f"{value:,}"
        if isinstance(value, int)
        else (f"{value:.2f}" if isinstance(value, float) else str(value))
    )
    if figure.get("words"):
        shown = str(figure["words"])
    return f'<td data-sort="{sort}">{html.escape(shown)}</td>'


#: Statuses in the manifest, in words for the index.
STATUS_WORDS = {
    "ok": "Report ready",
    "skipped": "Report ready (unchanged since the last run)",
    "failed": "Failed: see above",
}


def _status(entry: dict[str, Any]) -> str:
    words = STATUS_WORDS.get(entry["status"], entry["status"])
    if entry.get("previous_report_kept"):
        words += " (the previous report is shown)"
    if "not_estimated" in entry.get("figures", {}):
        words += "; too few people to estimate what changed"
    return words


#: Key figures the index shows: built from the locality's own measurements. Change over time
#: ("change: ...") stays in the manifest: beside impact it would read as an effect.
def _shown(name: str) -> bool:
    return name in {"people_served", "evidence_level", "financial_roi"} or name.startswith(
        "impact: "
    )


def headline(entries: list[dict[str, Any]]) -> list[str]:
    """The programme in a sentence per outcome: in how many localities the service made things
    better, worse, or could not be told apart from no effect."""
    tally: dict[str, list[str]] = {}
    for e in entries:
        for name, fig in e.get("figures", {}).items():
            if name.startswith("impact: ") and fig.get("verdict"):
                tally.setdefault(name.removeprefix("impact: "), []).append(str(fig["verdict"]))
    return [narrative.tally_sentence(outcome, found) for outcome, found in tally.items()]


def write_index(spec: ProgrammeSpec, manifest_path: Path) -> Path:
    """Write ``index.html`` from the manifest atomically; return its path."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries = manifest["reports"]
    whole = [e for e in entries if e["locality"] == ALL_LOCALITIES]
    per_locality = [e for e in entries if e["locality"] != ALL_LOCALITIES]
    main = [e for e in per_locality if e["report"] == MAIN_REPORT] or per_locality
    others: dict[str, dict[str, dict[str, Any]]] = {}
    titles: dict[str, str] = {}
    for e in per_locality:
        if e["report"] != MAIN_REPORT:
            others.setdefault(e["report"], {})[e["locality"]] = e
            titles[e["report"]] = e.get("title") or e["report"]
    labels: dict[str, str] = {}
    for e in main:
        for name, fig in e["figures"].items():
            if _shown(name):
                labels.setdefault(name, fig.get("label") or name)
    parts = [
        f"<h1>{html.escape(spec.title)}: reports by locality</h1>",
        f'<p class="note">Reporting period {html.escape(spec.reporting_period.label)}. Generated '
        f"{html.escape(manifest['generated_at'])} by evalkit {html.escape(__version__)}. "
        "Small numbers are suppressed to protect people's privacy "
        f"({html.escape(get_policy(spec.disclosure.policy).label)}).</p>",
    ]
    sentences = headline(main)
    if sentences:
        items = "".join(f"<li>{html.escape(t)}</li>" for t in sentences)
        parts.append(
            "<h2>The programme at a glance</h2>"
            f'<ul class="summary">{items}</ul>'
            '<p class="note">"We cannot tell" means the 95% interval includes no effect: the '
            "service may have helped or not, and more time or more people would show which. "
            "Localities are listed alphabetically, not ranked: each report explains its "
            "figures.</p>"
        )
    links = [
        f'<li><a href="{html.escape(e["html"])}">{html.escape(e.get("title") or e["report"])}</a>'
        f" ({html.escape(e['status'])})</li>"
        for e in whole
        if e.get("html")
    ]
    if links:
        parts.append(f"<h2>The whole programme</h2><ul>{''.join(links)}</ul>")
    failures = manifest["failures"]
    if failures:
        items = "".join(
            f"<li><strong>{html.escape(f['locality_name'])} ({html.escape(f['locality'])})</strong>, "
            f"{html.escape(f['report'])}: failed at cell {html.escape(str(f['cell']))}: "
            f"{html.escape(str(f['error']))}</li>"
            for f in failures
        )
        parts.append(
            f'<div class="warning" role="alert"><h2>{len(failures)} report(s) failed</h2>'
            f"<ul>{items}</ul><p>A previous good report, where there was one, is still linked. "
            "The failed notebooks and logs are kept beside this page for inspection.</p></div>"
        )
    counts = manifest["counts"]
    parts.append(
        f"<p>{counts['ok']} report(s) produced, {counts['skipped']} unchanged since the last run, "
        f"{counts['failed']} failed.</p>"
    )
    head = "".join(
        f'<th scope="col"><button type="button">{html.escape(t)}</button></th>'
        for t in ["Locality", "Code", "Status", *labels.values(), *titles.values()]
    )
    rows = []
    for e in main:
        link = (
            f'<a href="{html.escape(e["html"])}">{html.escape(e["locality_name"])}</a>'
            if e.get("html")
            else html.escape(e["locality_name"])
        )
        if e.get("pdf"):
            link += f' <a href="{html.escape(e["pdf"])}">(PDF)</a>'
        status = _status(e)
        cells = [
            f'<th scope="row">{link}</th>',
            f"<td>{html.escape(e['locality'])}</td>",
            f'<td class="status-{html.escape(e["status"])}">{html.escape(status)}</td>',
        ]
        cells += [_figure_cell(e["figures"].get(name)) for name in labels]
        for report in others:
            other = others[report].get(e["locality"])
            href = other.get("html") if other else None
            cells.append(
                f'<td><a href="{html.escape(href)}">{html.escape(titles[report])}</a></td>'
                if href
                else "<td>–</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(
        '<table class="sortable"><caption>Reports by locality (select a column heading to sort)'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    parts.append('<p class="note">Machine-readable: <a href="manifest.json">manifest.json</a>.</p>')
    body = "\n".join(parts) + _SORT_SCRIPT
    path = manifest_path.parent / "index.html"
    atomic_write_text(path, page(f"{spec.title}: reports by locality", body))
    return path
