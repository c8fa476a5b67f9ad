"""Read a raw input file (CSV or XLSX) as text columns, with clear errors for unreadable files."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from evalkit.exceptions import DataError

__all__ = ["read_table"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM) or an XLSX sheet, every column as text.

    Types are checked afterwards by :func:`evalkit.intake.schemas.validate_table`, so that a bad
    value is reported with its row and column rather than silently turned into a missing value.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(path, dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise DataError(
                f"{path}: cannot read the workbook ({exc}); expected an .xlsx file"
            ) from None
    if suffix not in (".csv", ".txt"):
        raise DataError(f"{path}: unsupported file type {suffix!r}; expected .csv or .xlsx")
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=True)
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
