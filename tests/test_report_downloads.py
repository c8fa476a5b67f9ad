"""Every published table of a report downloadable as CSV, and all of them as one XLSX workbook.

The CSV and XLSX downloads of a report open with pandas and hold exactly the published
(protected) figures: each file is compared cell by cell with the table the report's page shows,
so no suppressed count can be in a download. The page links them with relative links that
resolve; a cached report whose downloads were deleted is run again.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from _reports import TWO, demo_run
from evalkit.reports import downloads
from evalkit.reports.downloads import TABLES_MIME, csv_safe


def _kernels(test):
    """Mark a test that runs real kernels, as the other kernel tests are marked."""
    return pytest.mark.slow(pytest.mark.xdist_group("kernels")(test))


class _Page(HTMLParser):
    """A page's protected tables (attributes, caption, rows of cell texts) and download links."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_downloads = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"attrs": a, "caption": "", "rows": []})
        elif tag == "caption" and self.tables:
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "section" and a.get("class") == downloads.SECTION_CLASS:
            self._in_downloads = True
        elif tag == "a" and self._in_downloads:
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "section":
            self._in_downloads = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def _page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    parser.tables = [t for t in parser.tables if "data-count-columns" in t["attrs"]]
    return parser


def _same_number(shown: str, value: object) -> bool:
    """Whether a workbook value is the number the page shows as ``shown``."""
    try:
        return float(shown.replace(",", "")) == float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


# --- without a kernel -------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    assert csv_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert csv_safe("-0.29 to -0.03") == "'-0.29 to -0.03"
    assert csv_safe("\tx") == "'\tx"
    # plain numbers are numbers, not formulas: left as published
    for number in ("-0.16", "+2.02", "1,240", "42", "-3"):
        assert csv_safe(number) == number
    assert csv_safe("*") == "*" and csv_safe("Stable housing") == "Stable housing"


def test_protected_table_records_the_table_as_published() -> None:
    from evalkit.reports.sections._html import protected_table

    downloads.clear()
    table = pd.DataFrame({"People": [120, 3, 40]}, index=pd.Index(["=A", "B", "C"], name="Group"))
    html = protected_table(
        table, "nhs", counts=["People"], shares={"Share (%)": "People"}, caption="People by group"
    )
    protected_table(
        table, "nhs", counts=["People"], shares={"Share (%)": "People"}, caption="People by group"
    )  # the same table again: recorded once
    [recorded] = downloads.published()
    assert recorded.caption == "People by group"
    assert recorded.columns == ("Group", "People", "Share (%)")
    assert [r[:2] for r in recorded.rows] == [("=A", "120"), ("B", "*"), ("C", "40")]
    assert recorded.rows[1] == ("B", "*", "*")  # the share of a suppressed count is withheld too
    for row in recorded.rows:
        assert "".join(f"<td>{v}</td>" for v in row[1:]) in re.sub(r"\s+", "", html)
    assert "suppressed" in recorded.note
    assert ">3<" not in html and "<td>*</td>" in html
    downloads.clear()
    assert downloads.published() == []


def _notebook(tables: list[downloads.PublishedTable]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    payload = {"about": [["Programme", "Demo (demo)"]], "tables": [t.as_json() for t in tables]}
    out = nbformat.v4.new_output(
        "display_data", data={TABLES_MIME: payload, "text/html": "<p>note</p>"}
    )
    nb.cells.append(nbformat.v4.new_code_cell("downloads(ctx)", outputs=[out]))
    return nb


def test_downloads_are_written_safely_and_stale_ones_removed(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    tricky = downloads.PublishedTable(
        caption="Bids: price/quality [2024] * ranked? a very long caption indeed",
        columns=("Bidder", "Price", "Change", "Interval"),
        rows=(
            ("=1+1", "£1,234", "+2.02", "-0.29 to -0.03"),
            ("@Acme", "1,240", "-0.16", "4.50"),
        ),
        note="Disclosure control: test.",
    )
    plain = downloads.PublishedTable(caption="", columns=("", "People"), rows=(("A", "*"),))
    page = tmp_path / "E08000012.html"
    nb = _notebook([tricky, plain])
    found = downloads.prepare(nb, page, report="Evaluation report: Liverpool")
    assert found is not None
    written = found.write()
    assert [p.name for p in written] == [
        "E08000012-tables.xlsx",
        "01-bids-price-quality-2024-ranked-a-very-long.csv",
        "02-table.csv",
    ]
    links = nb.cells[0].outputs[0]["data"]["text/html"]
    assert TABLES_MIME not in nb.cells[0].outputs[0]["data"]
    assert 'href="E08000012-tables.xlsx"' in links
    assert 'href="E08000012-tables/01-bids-price-quality-2024-ranked-a-very-long.csv"' in (links)
    first = pd.read_csv(written[1], dtype=str, keep_default_na=False)
    assert list(first.columns) == list(tricky.columns)
    assert first.iloc[0].tolist() == ["'=1+1", "£1,234", "+2.02", "'-0.29 to -0.03"]
    assert first.iloc[1].tolist() == ["'@Acme", "1,240", "-0.16", "4.50"]
    book = load_workbook(written[0])
    assert book.sheetnames[0] == "About"
    names = book.sheetnames[1:]
    assert len(names) == 2 and all(len(n) <= 31 for n in names) and len(set(names)) == 2
    assert not any(c in n for n in names for c in "[]:*?/\\")
    sheet = book[names[0]]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["B3"].value == 1240 and sheet["B3"].number_format == "#,##0"
    assert sheet["D3"].value == 4.5 and sheet["D3"].number_format == "0.00"
    assert sheet["C2"].value == "+2.02"  # the sign as published
    about = [r[:2] for r in book["About"].iter_rows(values_only=True) if r[0]]
    assert about[1:3] == [("Report", "Evaluation report: Liverpool"), ("Programme", "Demo (demo)")]
    assert names == ["01 Bids price quality 2024", "02 Table"]
    # A rerun that publishes one table fewer removes the other's CSV; none removes them all.
    found = downloads.prepare(_notebook([tricky]), page)
    assert found is not None and len(found.write()) == 2
    assert sorted(p.name for p in (tmp_path / "E08000012-tables").iterdir()) == [written[1].name]
    found = downloads.prepare(_notebook([]), page)
    assert found is not None and found.write() == [] and found.links_html() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert downloads.prepare(nbformat.v4.new_notebook(), page) is None


# --- the demo's reports -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_run(tmp_path_factory)


#: The reports whose tables all go through ``protected_table``: each locality's evaluation
#: report and the comparison of localities.
DOWNLOADING = [f"{code}.html" for code in TWO] + ["comparison.html"]


def _downloads_of(spec, name: str) -> tuple[_Page, list[Path], Path]:
    page = _page((spec.output_folder / name).read_text(encoding="utf-8"))
    html = spec.output_folder / name
    csvs = [html.parent / urllib.parse.unquote(h) for h in page.links if h.endswith(".csv")]
    [xlsx] = [html.parent / urllib.parse.unquote(h) for h in page.links if h.endswith(".xlsx")]
    return page, csvs, xlsx


@_kernels
def test_every_report_links_its_downloads_with_relative_links_that_resolve(demo) -> None:
    spec, pages = demo
    for name in DOWNLOADING:
        assert f'class="{downloads.SECTION_CLASS}"' in pages[name], name
        page = _page(pages[name])
        assert page.tables and len(page.links) == len(page.tables) + 1, name
        for href in page.links:
            parts = urllib.parse.urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), href
            assert ".." not in Path(parts.path).parts, href
            assert (
                (spec.output_folder / name)
                .parent.joinpath(urllib.parse.unquote(parts.path))
                .is_file()
            ), href
    root = str(spec.project_root)
    for name in DOWNLOADING:  # no machine path anywhere in these reports
        html = pages[name]
        assert root not in html and "file://" not in html, name
        assert not re.search(r'href="(/|[A-Za-z]:\\)', html), name


@_kernels
def test_csv_downloads_hold_exactly_the_published_tables(demo) -> None:
    spec, _ = demo
    symbol_seen = False
    for name in DOWNLOADING:
        page, csvs, _ = _downloads_of(spec, name)
        assert len(csvs) == len(page.tables), name
        for table, path in zip(page.tables, csvs, strict=True):
            header, *rows = table["rows"]
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            assert list(frame.columns) == [csv_safe(c) for c in header], path.name
            assert frame.to_numpy().tolist() == [[csv_safe(v) for v in r] for r in rows], path.name
            # no count between 1 and the threshold: only what disclosure control let through
            threshold = int(table["attrs"]["data-disclosure-threshold"])
            for column in json.loads(table["attrs"]["data-count-columns"]):
                for value in frame[column]:
                    text = value.replace(",", "")
                    assert not (text.isdigit() and 1 <= int(text) <= threshold), (path, column)
                symbol_seen |= "*" in frame[column].tolist()
            assert path.name.startswith(f"{csvs.index(path) + 1:02d}-"), path.name
    assert symbol_seen  # tiny Rutland's report has suppressed cells: shown as in the page


@_kernels
def test_xlsx_download_has_an_about_sheet_then_one_sheet_per_published_table(demo) -> None:
    spec, _ = demo
    for name in DOWNLOADING:
        page, _, xlsx = _downloads_of(spec, name)
        sheets = pd.read_excel(xlsx, sheet_name=None, header=None, dtype=object, engine="openpyxl")
        names = list(sheets)
        assert names[0] == "About" and len(names) == len(page.tables) + 1, name
        assert len(set(names)) == len(names) and all(len(n) <= 31 for n in names)
        about = dict(sheets["About"].dropna(subset=[0]).iloc[:, :2].itertuples(index=False))
        text = " ".join(str(v) for v in about.values())
        assert "after disclosure control" in text
        assert spec.title in about["Programme"] and spec.reporting_period.label in text
        assert about["Disclosure policy"] and "suppressed" in about["Threshold"]
        if name != "comparison.html":
            assert name.removesuffix(".html") in about["Locality"]
        for table, sheet in zip(page.tables, names[1:], strict=True):
            shown = table["rows"]
            book = sheets[sheet].fillna("").to_numpy().tolist()
            assert len(book) == len(shown), (name, sheet)
            for want, got in zip(shown, book, strict=True):
                for w, g in zip(want, got, strict=True):
                    assert w == g or _same_number(w, g), (name, sheet, w, g)


@_kernels
def test_a_cached_report_whose_downloads_were_deleted_is_run_again(demo) -> None:
    from evalkit.reports import run

    spec, _ = demo
    _, csvs, xlsx = _downloads_of(spec, f"{TWO[0]}.html")
    result = run(spec, localities=TWO, workers=2, progress=False)
    assert {o.status for o in result.outcomes} == {"skipped"}
    mine = next(o for o in result.outcomes if o.key == f"programme_report/{TWO[0]}")
    assert sorted(mine.downloads) == sorted(str(p) for p in [xlsx, *csvs])
    csvs[-1].unlink()
    result = run(spec, localities=TWO, workers=2, progress=False)
    statuses = {o.key: o.status for o in result.outcomes}
    assert statuses.pop(f"programme_report/{TWO[0]}") == "ok"
    assert set(statuses.values()) == {"skipped"}
    assert csvs[-1].is_file() and xlsx.is_file()
