"""Every published table of a report, downloadable as CSV and as one XLSX workbook.

In the kernel, :func:`evalkit.reports.sections._html.protected_table` records each table it
publishes here, *after* disclosure control and exactly as the page shows it: the cell texts of the
rendered HTML table (suppression symbols, rounded counts, shares worked out from published counts,
the readers' column labels), never the data behind it. The last cell of a report notebook calls
:func:`publish` (``sections.downloads``), which displays the recorded tables as one output of type
:data:`TABLES_MIME`, with a one-line note for a notebook run by hand.

``evalkit run`` then, for a report that ran and exported, writes beside its HTML page
``<stem>-tables/NN-<slug>.csv`` (one per table) and ``<stem>-tables.xlsx`` (an ``About`` sheet,
then one sheet per table), each atomically, and replaces that output with a "Download the tables"
list of relative links (:func:`prepare`). The files are written only when the notebook and its
export succeeded, before the page that links them, so a failed report leaves the previous page and
its downloads together. A notebook run by hand (JupyterLab, nbconvert, Quarto) writes nothing: it
does not know where a page of it would be published.

Spreadsheet safety: a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return and is not a plain number gets a leading apostrophe, so that a spreadsheet opening the file
never runs it as a formula; in the workbook such a cell is stored as text (never a formula), and
plain numbers are stored as numbers showing the decimals the page shows.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
import urllib.parse
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit._io import atomic_path, atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

    from evalkit.disclosure import Protected
    from evalkit.reports.context import ReportContext

__all__ = [
    "SECTION_CLASS",
    "TABLES_MIME",
    "Downloads",
    "PublishedTable",
    "clear",
    "csv_safe",
    "linked",
    "missing",
    "prepare",
    "publish",
    "published",
    "register",
]

#: The output type that carries a report's published tables from its kernel to the runner.
TABLES_MIME = "application/vnd.evalkit.tables+json"
#: The class of the page's "Download the tables" section (the cache reads its links back).
SECTION_CLASS = "evalkit-downloads"
#: Characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Sheet name of the workbook's first sheet.
ABOUT = "About"

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.(\d+))?")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SECTION = re.compile(
    rf'<section class="{SECTION_CLASS}"[^>]*>(.*?)</section>', flags=re.DOTALL | re.IGNORECASE
)
_HREF = re.compile(r'href="([^"]+)"')


@dataclasses.dataclass(frozen=True)
class PublishedTable:
    """One table as published: caption, header and rows of cell texts, and its disclosure note."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PublishedTable:
        return cls(
            caption=str(data.get("caption") or ""),
            columns=tuple(str(c) for c in data["columns"]),
            rows=tuple(tuple(str(v) for v in row) for row in data["rows"]),
            note=str(data.get("note") or ""),
        )


# --- in the kernel: the tables a report publishes ----------------------------------------------

_REGISTRY: list[PublishedTable] = []


class _TableText(HTMLParser):
    """The caption, last header row and body rows of the first <table> of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.caption: list[str] = []
        self.head: list[list[str]] = []
        self.body: list[list[str]] = []
        self._where: str | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._tables += 1
        if self._tables != 1:
            return
        if tag in ("thead", "tbody"):
            self._where = tag
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            (self.head if self._where == "thead" else self.body).append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._tables != 1:
            return
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            rows = self.head if self._where == "thead" else self.body
            if rows:
                rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._tables += 1  # later tables are not this one

    def handle_data(self, data: str) -> None:
        if self._tables != 1:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption.append(data)


def table_from_html(fragment: str, caption: str | None = None, note: str = "") -> PublishedTable:
    """The first table of an HTML fragment as its readers see it (texts of its cells)."""
    parser = _TableText()
    parser.feed(fragment)
    parser.close()
    columns = parser.head[-1] if parser.head else []
    rows = [r for r in parser.body if r]
    width = max([len(columns), *(len(r) for r in rows)], default=0)
    columns = [""] * (width - len(columns)) + columns  # a header row short of the index cell
    return PublishedTable(
        caption=caption if caption is not None else " ".join("".join(parser.caption).split()),
        columns=tuple(columns),
        rows=tuple(tuple(r + [""] * (width - len(r))) for r in rows),
        note=note,
    )


def register(protected: Protected, *, caption: str | None = None, html: str | None = None) -> None:
    """Record a table as published (``html``: the fragment shown, else ``protected.to_html()``).

    :func:`~evalkit.reports.sections._html.protected_table` calls this for every table it
    renders; a section that publishes a :class:`~evalkit.disclosure.Protected` table some other
    way calls it with that table, so that the table is among the report's downloads. Recording
    the same table twice (a cell run again by hand) keeps one.
    """
    note = protected.note() if protected.count_columns else ""
    table = table_from_html(html if html is not None else protected.to_html(), caption, note)
    if table not in _REGISTRY:
        _REGISTRY.append(table)


def clear() -> None:
    """Forget the tables recorded so far (every notebook's parameter check starts with this)."""
    _REGISTRY.clear()


def published() -> list[PublishedTable]:
    """The tables recorded in this kernel since the notebook started, in the order shown."""
    return list(_REGISTRY)


def _about(source: ReportContext | str, locality: str, period: str) -> dict[str, Any]:
    from evalkit import __version__
    from evalkit.config import load_spec, locate
    from evalkit.disclosure import get_policy

    if isinstance(source, str):
        spec = load_spec(locate(source))
    else:
        spec, locality, period = source.spec, source.locality, source.period
    policy = get_policy(spec.disclosure.policy)
    rounding = (
        f"other counts are rounded to the nearest {policy.rounding}"
        if policy.rounding > 1
        else "other counts are shown exactly"
    )
    about: dict[str, Any] = {
        "Programme": f"{spec.title} ({spec.programme})",
        "Locality": f"{spec.locality_name(locality)} ({locality})"
        if locality
        else f"all {len(spec.localities)} localities",
        "Reporting period": period or spec.reporting_period.label,
        "Disclosure control": (
            "every table here is as published in the report, after disclosure control: "
            "suppressed, rounded and withheld figures are as the report shows them"
        ),
        "Disclosure policy": policy.label,
        "Threshold": (
            f'counts {policy.range_text()} are suppressed (shown as "{policy.symbol}"); {rounding}'
        ),
        "Policy in full": policy.describe(),
        "Generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "evalkit version": __version__,
    }
    return about


def publish(source: ReportContext | str, locality: str = "", period: str = "") -> None:
    """Display the tables this report published, for ``evalkit run`` to write as downloads.

    ``source`` is the report's context, or its ``spec_path`` with ``locality`` (empty for a
    report on every locality) and ``period``. Call it in the last cell of a report notebook.
    Run by hand, the notebook shows a one-line note and nothing is written.
    """
    from IPython.display import display

    tables = published()
    n = len(tables)
    note = (
        f'<p class="note">The {n} table{"" if n == 1 else "s"} of this report, after disclosure '
        "control, are written beside it as CSV files and one Excel workbook when it is produced "
        "by evalkit run.</p>"
        if n
        else ""
    )
    payload = {
        "about": list(_about(source, locality, period).items()),  # pairs: JSON keeps their order
        "tables": [t.as_json() for t in tables],
    }
    display({TABLES_MIME: payload, "text/html": note}, raw=True)


# --- in the runner: the files beside the page, and the links to them ---------------------------


def csv_safe(text: str) -> str:
    """``text`` for a CSV cell: a leading apostrophe when a spreadsheet would read a formula."""
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _slug(text: str, limit: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:  # cut at a word's end
        cut = slug[: limit + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]
    return slug or "table"


def _sheet_name(number: int, caption: str) -> str:
    """``NN caption``, cut at a word's end to Excel's 31 characters (unique by its number)."""
    name = " ".join(_SHEET_FORBIDDEN.sub(" ", f"{number:02d} {caption or 'Table'}").split())
    if len(name) > 31:
        name = name[:32].rsplit(" ", 1)[0]
    return name.rstrip(" ([{-,;:'").lstrip("'")


def _csv_bytes(table: PublishedTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(c) for c in table.columns])
    writer.writerows([csv_safe(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so Excel reads the £ signs right


def _cell_value(text: str) -> tuple[Any, str | None]:
    """A cell's value for the workbook: a plain number as a number (with a format showing the
    decimals the page shows), anything else as text."""
    match = _PLAIN_NUMBER.fullmatch(text)
    if not match:
        return text, None
    decimals = len(match.group(1) or "")
    grouped = "," in text
    number = float(text.replace(",", "")) if decimals else int(text.replace(",", ""))
    fmt = ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "")
    return number, fmt


def _xlsx_bytes(tables: Sequence[PublishedTable], about: dict[str, str], names: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)

    def put(ws, row: int, col: int, value: Any, fmt: str | None = None):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula, whatever it starts with
        if fmt:
            cell.number_format = fmt
        return cell

    wb = Workbook()
    ws = wb.active
    ws.title = ABOUT
    put(ws, 1, 1, "About these tables").font = bold
    row = 3
    for label, value in about.items():
        put(ws, row, 1, label).font = bold
        put(ws, row, 2, str(value)).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    for col, head in enumerate(("Sheet", "Table", "Disclosure note"), start=1):
        put(ws, row, col, head).font = bold
    for name, table in zip(names, tables, strict=True):
        row += 1
        put(ws, row, 1, name)
        put(ws, row, 2, table.caption)
        put(ws, row, 3, table.note)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 70

    for name, table in zip(names, tables, strict=True):
        sheet = wb.create_sheet(name)
        for col, head in enumerate(table.columns, start=1):
            put(sheet, 1, col, head).font = bold
        for r, values in enumerate(table.rows, start=2):
            for col, text in enumerate(values, start=1):
                put(sheet, r, col, *_cell_value(text))
        for col, head in enumerate(table.columns, start=1):
            width = max([len(head), *(len(v[col - 1]) for v in table.rows)], default=8)
            letter = sheet.cell(row=1, column=col).column_letter
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _folder(html_path: Path) -> Path:
    return html_path.with_name(f"{html_path.stem}-tables")


def _workbook(html_path: Path) -> Path:
    return html_path.with_name(f"{html_path.stem}-tables.xlsx")


def _href(path: Path, html_path: Path) -> str:
    relative = path.relative_to(html_path.parent).as_posix()
    return urllib.parse.quote(relative)


@dataclasses.dataclass
class Downloads:
    """The downloads of one report, ready to write beside its page (see :func:`prepare`)."""

    html_path: Path
    tables: list[PublishedTable]
    about: dict[str, str]

    @property
    def sheet_names(self) -> list[str]:
        return [_sheet_name(i, t.caption) for i, t in enumerate(self.tables, start=1)]

    @property
    def csv_paths(self) -> list[Path]:
        folder = _folder(self.html_path)
        return [
            folder / f"{i:02d}-{_slug(t.caption)}.csv" for i, t in enumerate(self.tables, start=1)
        ]

    @property
    def paths(self) -> list[Path]:
        """The files this report's downloads are (workbook first); none without tables."""
        return [_workbook(self.html_path), *self.csv_paths] if self.tables else []

    def links_html(self) -> str:
        """The page's "Download the tables" section: relative links only."""
        if not self.tables:
            return ""
        import html

        n = len(self.tables)
        workbook = _workbook(self.html_path)
        items = [
            f'<li><a href="{_href(workbook, self.html_path)}" download>All {n} '
            f"table{'' if n == 1 else 's'} as one Excel workbook (XLSX)</a>, with a first sheet "
            "about them</li>"
        ]
        items += [
            f'<li><a href="{_href(path, self.html_path)}" download>'
            f"{html.escape(table.caption or f'Table {i}')} (CSV)</a></li>"
            for i, (path, table) in enumerate(zip(self.csv_paths, self.tables, strict=True), 1)
        ]
        return (
            f'<section class="{SECTION_CLASS}"><h2>Download the tables</h2>'
            "<p>Every table of this report as published, after disclosure control: suppressed "
            "and rounded figures are as shown above.</p>"
            f"<ul>{''.join(items)}</ul></section>"
        )

    def write(self) -> list[Path]:
        """Write the workbook and the CSV files atomically, remove this report's stale ones;
        return the files written."""
        folder = _folder(self.html_path)
        keep = set(self.csv_paths)
        if self.tables:
            for path, table in zip(self.csv_paths, self.tables, strict=True):
                atomic_write_bytes(path, _csv_bytes(table))
            data = _xlsx_bytes(self.tables, self.about, self.sheet_names)
            with atomic_path(_workbook(self.html_path), ".xlsx") as tmp:
                tmp.write_bytes(data)
        else:
            with contextlib.suppress(FileNotFoundError):
                _workbook(self.html_path).unlink()
        if folder.is_dir():
            for stale in folder.glob("*.csv"):
                if stale not in keep:
                    stale.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        return self.paths


def prepare(
    nb: nbformat.NotebookNode, html_path: Path, *, report: str | None = None
) -> Downloads | None:
    """The downloads of an executed notebook to be published at ``html_path``, or None when the
    notebook publishes none (it never called :func:`publish`).

    The notebook's :data:`TABLES_MIME` output becomes the page's "Download the tables" section
    (with relative links); write the files with :meth:`Downloads.write` before the page.
    """
    found: Downloads | None = None
    outputs = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if TABLES_MIME in data:
                payload = data[TABLES_MIME]
                pairs = payload.get("about", [])
                about = {
                    str(k): str(v) for k, v in (pairs.items() if isinstance(pairs, dict) else pairs)
                }
                if report:
                    about = {"Report": report, **about}
                found = Downloads(
                    html_path=Path(html_path),
                    tables=[PublishedTable.from_json(t) for t in payload.get("tables", [])],
                    about=about,
                )
                outputs.append(out)
    if found is None:
        return None
    for out in outputs:  # a notebook that published twice shows the links once, at its last
        out["data"] = {"text/html": found.links_html() if out is outputs[-1] else ""}
    return found


def linked(html_path: Path) -> list[Path]:
    """The download files a written page links to (none if it has no downloads section)."""
    try:
        text = Path(html_path).read_text(encoding="utf-8")
    except OSError:
        return []
    match = _SECTION.search(text)
    if not match:
        return []
    parent = Path(html_path).parent
    return [parent / urllib.parse.unquote(h) for h in _HREF.findall(match.group(1))]


def missing(html_path: Path) -> list[Path]:
    """The download files a written page links to that are not there (a cached report whose
    downloads were deleted is run again)."""
    return [p for p in linked(html_path) if not p.is_file()]
