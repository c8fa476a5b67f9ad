"""Read a raw input file (CSV, a sheet of an XLSX workbook, parquet), with clear errors.

Cells come back as text, except that a workbook's real date cells come back as dates (they are
unambiguous, unlike text such as ``03/04/2024``). Types are checked afterwards by
:func:`evalkit.intake.schemas.validate_table`, so that a bad value is reported with its row and
column rather than silently turned into a missing value.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _read_workbook(path: Path, sheet: str | None, header_row: int) -> pd.DataFrame:
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
    if not rows or all(v is None for v in rows[0]):
        where = f"sheet {ws.title!r}, row {header_row}"
        raise DataError(f"{path}, {where}: no header row; expected the column names here")
    header = [("" if v is None else str(v).strip()) for v in rows[0]]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    header = header[:width]
    body, index = [], []
    for i, r in enumerate(rows[1:]):
        if any(v is not None and str(v).strip() != "" for v in r[:width]):
            body.append([_cell(v) for v in (list(r) + [None] * width)[:width]])
            index.append(i)  # kept, so that error messages give the row the user sees
    return pd.DataFrame(body, columns=header, index=index, dtype=object)


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
