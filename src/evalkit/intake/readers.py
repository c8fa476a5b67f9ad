"""Read a raw input file (CSV, a sheet of an XLSX workbook, parquet), with clear errors.

Cells come back as text, except that a workbook's real date cells come back as dates (they are
unambiguous, unlike text such as ``03/04/2024``). Types are checked afterwards by
:func:`evalkit.intake.schemas.validate_table`, so that a bad value is reported with its row and
column rather than silently turned into a missing value.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import datetime as dt
import itertools
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError

__all__ = ["SUFFIXES", "open_workbook", "read_table", "sheet_names"]

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet")
_WORKBOOK = (".xlsx", ".xlsm")


@contextlib.contextmanager
def open_workbook(path: str | Path) -> Iterator[Any]:
    """A workbook opened read-only with cached formula values, closed afterwards."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise DataError(
            f"{path}: cannot read the workbook ({exc}); expected an .xlsx file"
        ) from None
    try:
        yield book
    finally:
        book.close()


def sheet_names(path: str | Path) -> list[str]:
    """The names of a workbook's sheets, in order."""
    with open_workbook(path) as book:
        return list(book.sheetnames)


def _cell(value: object) -> object:
    """A workbook cell as text, keeping real dates (and datetimes at midnight) as dates."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _filled(value: Any) -> bool:
    """Whether a cell holds something (a cell of text only spaces counts as empty)."""
    return value is not None and (value.__class__ is not str or value.strip() != "")


def _filled_rows(columns: list[list[object]], n: int) -> np.ndarray:
    """Which rows hold something, from the converted columns.

    Decided on the first column where it is filled (an identifier, in most exports), so that
    only the rows whose first cell is empty are looked at cell by cell.
    """
    if not columns:
        return np.zeros(n, dtype=bool)
    first = columns[0]
    filled = np.fromiter(map(_filled, first), dtype=bool, count=n)
    for i in np.flatnonzero(~filled):
        filled[i] = any(_filled(c[i]) for c in columns[1:])
    return filled


def _frame(
    path: Path,
    title: str,
    header_row: int,
    rows: list[Any],
    convert: Callable[[Sequence[Any]], list[object]],
) -> pd.DataFrame:
    """The table under the header row.

    ``rows`` start at the header row, each cell as the library read it (None or blank text when
    empty); ``convert`` turns one column of cells into :func:`_cell`'s values. Blank rows are
    dropped and the others keep their place in the index, so that error messages give the row
    the user sees. Built column by column: a workbook of thousands of rows has far fewer
    columns than rows.
    """
    if not rows or all(v is None for v in rows[0]):
        where = f"sheet {title!r}, row {header_row}"
        raise DataError(f"{path}, {where}: no header row; expected the column names here")
    header = [("" if v is None else str(v).strip()) for v in rows[0]]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    header = header[:width]
    body = rows[1:]
    if any(len(r) < width for r in body):  # a short row (openpyxl): padded with empty cells
        body = [r if len(r) >= width else [*r, *[None] * (width - len(r))] for r in body]
    n = len(body)
    # Every row is at least ``width`` long: the first ``width`` columns are whole.
    cells = itertools.islice(zip(*body, strict=False), width)
    columns = [convert(c) for c in cells] if n else []
    keep = _filled_rows(columns, n)
    index = np.flatnonzero(keep)  # kept, so that error messages give the row the user sees
    if len(index) < n:
        columns = [np.array(c, dtype=object)[keep] for c in columns]
    data = dict(enumerate(columns)) if n else {j: [] for j in range(width)}
    df = pd.DataFrame(data, index=pd.Index(index, dtype="int64"), dtype=object)
    df.columns = header
    return df


def _openpyxl_column(cells: Sequence[Any]) -> list[object]:
    return [_cell(v) for v in cells]


def _read_workbook_openpyxl(path: Path, sheet: str | None, header_row: int) -> pd.DataFrame:
    """The sheet read with openpyxl (read-only): exact, several times slower than calamine."""
    with open_workbook(path) as book:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise DataError(
                f"{path}: no sheet named {sheet!r}; the workbook has "
                f"{', '.join(map(repr, book.sheetnames))}"
            )
        rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return _frame(path, ws.title, header_row, rows, _openpyxl_column)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _has_error_cells(path: Path, sheet: str) -> bool:
    """Whether the sheet holds error cells (``#N/A``, ``#DIV/0!``).

    calamine reads an error cell as empty; openpyxl reads it as its text, which the validator
    then reports with its row and column instead of taking it for a missing value. Found by
    searching the sheet's XML for an error cell's type (a false alarm costs only speed); when
    the sheet's part cannot be found, every sheet is searched.
    """
    with zipfile.ZipFile(path) as zf:
        parts = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        with contextlib.suppress(Exception):  # an unusual workbook: search every sheet
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            rid = next(
                e.get(f"{_REL}id") for e in book.iter(f"{_MAIN}sheet") if e.get("name") == sheet
            )
            target = next(e.get("Target", "") for e in rels if e.get("Id") == rid)
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if part in parts:
                parts = [part]
        for part in parts:
            with zf.open(part) as fh:
                tail = b""
                while chunk := fh.read(1 << 20):
                    if b't="e"' in tail + chunk or b"t='e'" in tail + chunk:
                        return True
                    tail = chunk[-8:]
    return False


def _calamine_cell(value: Any) -> object:
    """A calamine cell as :func:`_cell` gives the same cell read by openpyxl."""
    kind = type(value)
    if kind is str:
        return value or None  # calamine gives "" for an empty cell, openpyxl None
    if kind is float:  # calamine gives every number as a float
        return str(int(value)) if value.is_integer() else str(value)
    if kind is dt.date:
        return value
    if kind is dt.datetime:  # calamine gives whole days as dates already
        return value.date() if value.time() == dt.time() else value
    return None if value is None else str(value)  # int, bool, time of day, duration


def _calamine_column(cells: Sequence[Any]) -> list[object]:
    """:func:`_calamine_cell` for a column: each different value converted once."""
    kinds = set(map(type, cells))
    if kinds <= {str}:
        return [v or None for v in cells]
    if bool not in kinds:  # True == 1.0 would share an entry
        with contextlib.suppress(KeyError, TypeError):
            table = {v: _calamine_cell(v) for v in set(cells)}
            return list(map(table.__getitem__, cells))
    return [_calamine_cell(v) for v in cells]


def _calamine_header(value: Any) -> object:
    """A calamine header cell as openpyxl gives it (numbers and dates are written as openpyxl
    writes them, so that a header reads the same whichever library read it)."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is dt.date:
        return dt.datetime.combine(value, dt.time())
    return value


def _read_workbook(path: Path, sheet: str | None, header_row: int) -> pd.DataFrame:
    """A workbook sheet, read with calamine (several times faster than openpyxl).

    openpyxl reads it instead when calamine is not installed, cannot read the file (openpyxl
    then says what is wrong with it) or the sheet holds error cells; both give the same table.
    """
    try:
        from python_calamine import CalamineWorkbook, SheetTypeEnum
    except ImportError:
        warnings.warn(
            "python-calamine is not installed, so workbooks are read with openpyxl, which is "
            "several times slower; install it with: pip install python-calamine",
            stacklevel=3,
        )
        return _read_workbook_openpyxl(path, sheet, header_row)
    try:
        book = CalamineWorkbook.from_path(path)
        names = list(book.sheet_names)
        worksheets = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except Exception:  # a damaged workbook: openpyxl says what is wrong with it
        return _read_workbook_openpyxl(path, sheet, header_row)
    if sheet is None and worksheets:
        sheet = worksheets[0]
    if sheet not in names:
        raise DataError(
            f"{path}: no sheet named {sheet!r}; the workbook has {', '.join(map(repr, names))}"
        )
    # calamine reads an error cell as empty, so the sheet's XML is searched for one while
    # calamine parses it (both let other threads run); the answer is needed only when some
    # cell is empty.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        search = pool.submit(_has_error_cells, path, sheet)
        try:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)[header_row - 1 :]
            errors = any("" in r for r in rows) and search.result()
        except Exception:  # a sheet calamine cannot read: openpyxl reads it or says why not
            return _read_workbook_openpyxl(path, sheet, header_row)
    if errors:
        return _read_workbook_openpyxl(path, sheet, header_row)
    if rows:
        rows[0] = [_calamine_header(v) for v in rows[0]]
    return _frame(path, sheet, header_row, rows, _calamine_column)


def _read_csv(path: Path, header_row: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path,
            dtype=str,
            encoding="utf-8-sig",
            keep_default_na=False,
            skiprows=header_row - 1,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 text; "
            "expected a UTF-8 encoded CSV (in Excel: Save As > CSV UTF-8)"
        ) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row and data") from None


def read_table(path: str | Path, *, sheet: str | None = None, header_row: int = 1) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM), an XLSX sheet or a parquet file.

    Parameters
    ----------
    path : str or Path
        The file.
    sheet : str, optional
        The sheet of a workbook (default: the first).
    header_row : int
        The row (counted from 1, as a spreadsheet shows it) that holds the column names; rows
        above it (a title, notes) are skipped.

    Returns
    -------
    DataFrame
        One column per header, values as text (workbook dates as ``datetime.date``); empty
        cells are empty strings (CSV) or None (workbook). The row a person sees in a spreadsheet
        is ``index + df.attrs["first_row"]`` (blank rows are dropped, not renumbered).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {suffix!r}; expected .csv, .xlsx or .parquet"
        )
    if suffix in _WORKBOOK:
        df = _read_workbook(path, sheet, header_row)
    elif suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(f"{path}: not a readable parquet file ({exc})") from None
    else:
        df = _read_csv(path, header_row)
        df.columns = [str(c).strip() for c in df.columns]
        # Blank lines are dropped; the index keeps each row's place for error messages.
        df = df[~(df == "").all(axis=1)] if len(df.columns) else df
    blank = [i for i, c in enumerate(df.columns) if str(c) == "" or str(c).startswith("Unnamed: ")]
    if blank and suffix != ".parquet":
        df = df.drop(columns=df.columns[blank])
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise DataError(
            f"{path}: the column {dupes[0]!r} appears twice in the header row {header_row}; "
            "expected unique column names"
        )
    df.attrs["first_row"] = header_row + 1
    return df
