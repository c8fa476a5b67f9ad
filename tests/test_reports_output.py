"""The real report notebook, run three ways (process pool, fast mode, Dask): same reports.

Also: every table of every report is a disclosure-protected table (or the provenance table) with
no count between 1 and the policy's threshold, and ``--format pdf`` writes a real PDF.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from _needs import need
from _reports import NO_BROWSER, TWO, chromium_found, cli, demo_run, project_root, reports_of
from evalkit.reports import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|\+00:00)?")


def _content(html: str) -> str:
    """The whole page (charts included) with the run's timestamps removed."""
    return _TIMESTAMP.sub("<time>", html)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_run(tmp_path_factory)


class _Tables(HTMLParser):
    """Every <table> of a page: its attributes and its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"attrs": dict(attrs), "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _small_counts(table: dict) -> list[tuple[str, str, int]]:
    """(column, row label, value) of each count cell between 1 and the table's threshold."""
    threshold = int(table["attrs"]["data-disclosure-threshold"])
    columns = json.loads(table["attrs"]["data-count-columns"])
    if not columns:  # checked by disclosure control, and no column counts people
        return []
    header = next(r for r in table["rows"] if any(c in r for c in columns))
    found = []
    for row in table["rows"][table["rows"].index(header) + 1 :]:
        for column in columns:
            position = header.index(column)
            if position >= len(row):
                continue
            text = row[position].replace(",", "")
            if re.fullmatch(r"-?\d+", text) and 1 <= int(text) <= threshold:
                found.append((column, row[0], int(text)))
    return found


def _table_problems(spec, pages: dict[str, str]) -> list[str]:
    """Tables that are neither protected nor provenance, or that publish a small count."""
    problems = []
    for name, page in pages.items():
        parser = _Tables()
        parser.feed(page)
        for table in parser.tables:
            attrs = table["attrs"]
            if "provenance" in (attrs.get("class") or "").split():
                continue
            if "data-count-columns" not in attrs:
                problems.append(f"{name}: a table without disclosure control ({attrs})")
                continue
            if attrs["data-disclosure-policy"] != spec.disclosure.policy:
                problems.append(f"{name}: policy {attrs['data-disclosure-policy']!r}")
            problems += [f"{name}: small count {c}" for c in _small_counts(table)]
    return problems


SOCIAL_VALUE = "social_value/"


def test_every_table_is_protected_or_provenance_with_no_small_count(demo) -> None:
    spec, pages = demo
    assert {f"{c}.html" for c in TWO} <= set(pages)
    checked = {k: v for k, v in pages.items() if not k.startswith(SOCIAL_VALUE)}
    assert _table_problems(spec, checked) == []
    tables = sum(v.count("data-count-columns") for v in checked.values())
    assert tables >= 2 * len(TWO)  # the evaluation reports have several protected tables


def test_social_value_tables_are_protected(demo) -> None:
    spec, pages = demo
    social = {k: v for k, v in pages.items() if k.startswith(SOCIAL_VALUE)}
    assert social and _table_problems(spec, social) == []


def test_the_table_check_catches_a_small_count() -> None:
    # The checker itself: a protected-looking table with a 3 in its count column is caught.
    page = (
        '<table data-disclosure-threshold="7" data-count-columns="[&quot;People&quot;]">'
        "<thead><tr><th></th><th>People</th></tr></thead>"
        "<tbody><tr><th>Female</th><td>3</td></tr><tr><th>Male</th><td>1,240</td></tr>"
        "<tr><th>Other</th><td>[c]</td></tr></tbody></table>"
    )
    parser = _Tables()
    parser.feed(page)
    assert _small_counts(parser.tables[0]) == [("People", "Female", 3)]


def test_pdf_is_written_beside_the_html_and_linked(demo) -> None:
    need(chromium_found(), f"{NO_BROWSER}: no PDF output")
    spec, pages = demo
    for name in pages:
        pdf = spec.output_folder / name.replace(".html", ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF"), name
        assert pdf.stat().st_size > 10_000
        assert (spec.output_folder / name).is_file()  # the HTML is kept
    index = (spec.output_folder / "index.html").read_text()
    assert f'href="{TWO[0]}.pdf"' in index


def test_fast_mode_reports_are_identical_to_fresh_kernel_reports(demo) -> None:
    spec, pages = demo
    result = run(spec, localities=TWO, workers=2, progress=False, force=True, fast=True)
    assert {o.status for o in result.outcomes} == {"ok"}
    fast = reports_of(spec.output_folder)
    for name, page in pages.items():
        assert _content(fast[name]) == _content(page), name


def test_dask_reports_are_identical_to_process_pool_reports(demo) -> None:
    from distributed import LocalCluster

    spec, pages = demo
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run(
            spec, localities=TWO, scheduler=cluster.scheduler_address, force=True, progress=False
        )
    assert {o.status for o in result.outcomes} == {"ok"}
    on_dask = reports_of(spec.output_folder)
    for name, page in pages.items():
        assert _content(on_dask[name]) == _content(page), name
    log = (spec.output_folder / "_logs" / "run.log").read_text()
    assert f"scheduler={cluster.scheduler_address}" in log


def test_unreachable_scheduler_is_a_one_line_error(tmp_path: Path) -> None:
    from _reports import probe_project

    spec_path = probe_project(tmp_path)
    root = project_root(spec_path)
    done = cli(["run", str(spec_path), "--scheduler", "tcp://127.0.0.1:9", "--no-progress"], root)
    assert done.returncode == 2, done.stderr
    # How soon it gives up (SCHEDULER_TIMEOUT) is not asserted: wall-clock checks flake under load.
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[-1].startswith("evalkit: error: cannot reach the Dask scheduler at")
    assert "tcp://127.0.0.1:9" in lines[-1] and "Traceback" not in done.stderr
    assert not (root / "reports" / "family-support" / "manifest.json").exists()
