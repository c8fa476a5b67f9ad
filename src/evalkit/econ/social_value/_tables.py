"""Read and check the user's social value tables (CSV, XLSX or a DataFrame).

Every table is described by a tuple of :class:`Column`; :func:`read_table` reads the file,
normalises the headers (``"Proxy value"`` -> ``proxy_value``), and checks every cell, raising a
:class:`~evalkit.exceptions.DataError` that names the file, the row, the column, the value and
what was expected. Rows of a file are numbered as a spreadsheet shows them (the header is row 1,
the first data row is row 2); rows of a DataFrame by their index label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._validate import require_columns
from evalkit.econ.prices import parse_price_year
from evalkit.exceptions import DataError, ParameterError

__all__ = ["EVIDENCE_STATUSES", "Column", "Table", "header", "read_table"]

#: Canonical evidence statuses of delivered social value, and the spellings accepted for each.
EVIDENCE_STATUSES = {
    "evidenced": ("evidenced", "yes", "full", "fully evidenced"),
    "partly evidenced": ("partly evidenced", "partly", "partial", "partially evidenced"),
    "not evidenced": ("not evidenced", "no", "none", "unevidenced", "not_evidenced"),
}
_EVIDENCE = {alias: status for status, aliases in EVIDENCE_STATUSES.items() for alias in aliases}
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


@dataclass(frozen=True)
class Column:
    """One column of a user table: its name, kind and whether it must be present.

    Kinds: ``text`` (non-empty), ``optional_text``, ``quantity`` (a number >= 0), ``money``
    (a number > 0), ``share`` (a number in [0, 1]), ``price_year`` (2019 or '2015/16'),
    ``year`` (a whole number >= 0), ``flag`` (true/false), ``evidence`` (an evidence status).
    """

    name: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class Table:
    """A checked table and how to name its rows in later messages."""

    frame: pd.DataFrame
    source: str
    rows: tuple[str, ...]

    def where(self, i: int) -> str:
        """'<source>, row <n>' for the i-th row (0-based position)."""
        return f"{self.source}, row {self.rows[i]}"


def header(name: Any) -> str:
    """A column header in lower case with spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _read(source: str | Path | pd.DataFrame, what: str) -> tuple[pd.DataFrame, str, list[str]]:
    if isinstance(source, pd.DataFrame):
        name = str(source.attrs.get("source", what))
        return source.copy(), name, [str(label) for label in source.index]
    if not isinstance(source, str | Path):
        raise ParameterError(
            f"{what} must be a path to a CSV or XLSX file or a DataFrame; got {type(source).__name__}"
        )
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: {what} not found; expected a CSV or XLSX file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
            ) from None
    elif suffix in {".xlsx", ".xlsm"}:
        df = pd.read_excel(path, sheet_name=0, dtype=object)
    else:
        raise DataError(f"{path}: {what} must be a .csv or .xlsx file; got {suffix or 'no suffix'}")
    return df, str(path), [str(i + 2) for i in range(len(df))]


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
        or value is pd.NA
    )


def _number(value: Any, expected: str, where: str, column: str) -> float:
    try:
        number = float(str(value).replace(",", "").replace("£", "").strip())
    except ValueError:
        number = np.nan
    if np.isnan(number) or isinstance(value, bool):
        raise DataError(
            f"{where}, column {column!r}: value {value!r} is not a number; expected {expected}"
        )
    return number


def _cell(value: Any, column: Column, where: str) -> Any:
    name, kind = column.name, column.kind
    if _blank(value):
        if kind == "optional_text" or not column.required:
            return pd.NA if kind in {"text", "optional_text"} else np.nan
        expected = {
            "price_year": "the price year of the proxy value, such as 2019 or '2015/16'",
            "share": "a share between 0 and 1 (use 0 for none)",
        }.get(kind, f"a {kind.replace('_', ' ')} value")
        raise DataError(f"{where}, column {name!r}: value is missing; expected {expected}")
    if kind in {"text", "optional_text"}:
        return str(value).strip()
    if kind == "quantity":
        number = _number(value, "a number >= 0", where, name)
        if number < 0:
            raise DataError(
                f"{where}, column {name!r}: value {value!r} is negative; expected a quantity >= 0"
            )
        return number
    if kind == "money":
        number = _number(value, "an amount in pounds > 0", where, name)
        if number <= 0:
            raise DataError(f"{where}, column {name!r}: value {value!r}; expected an amount > 0")
        return number
    if kind == "share":
        number = _number(value, "a share between 0 and 1", where, name)
        if not 0 <= number <= 1:
            raise DataError(
                f"{where}, column {name!r}: value {value!r} is outside 0 to 1; expected a share "
                "such as 0.25 (write 25% as 0.25)"
            )
        return number
    if kind == "year":
        number = _number(value, "a whole number of years >= 0", where, name)
        if number < 0 or number != int(number):
            raise DataError(
                f"{where}, column {name!r}: value {value!r}; expected a whole number of years >= 0 "
                "(0 = the first year of the contract)"
            )
        return int(number)
    if kind == "price_year":
        try:
            return str(parse_price_year(value if not isinstance(value, float) else int(value)))
        except (ParameterError, ValueError, OverflowError) as exc:
            raise DataError(f"{where}, column {name!r}: {exc}") from None
    if kind == "flag":
        text = str(value).strip().lower()
        if text in _TRUE or value is True:
            return True
        if text in _FALSE or value is False:
            return False
        raise DataError(f"{where}, column {name!r}: value {value!r}; expected true or false")
    if kind == "evidence":
        text = re.sub(r"\s+", " ", str(value).strip().lower().replace("-", " "))
        if text not in _EVIDENCE:
            raise DataError(
                f"{where}, column {name!r}: value {value!r} is not an evidence status; expected "
                "one of 'evidenced', 'partly evidenced', 'not evidenced'"
            )
        return _EVIDENCE[text]
    raise ParameterError(f"unknown column kind {kind!r}")  # pragma: no cover - programming error


def read_table(
    source: str | Path | pd.DataFrame, columns: tuple[Column, ...], *, what: str
) -> Table:
    """Read ``source`` and check every cell of the ``columns``; other columns pass through.

    Raises
    ------
    DataError
        A missing file or column, or a bad cell (naming file, row, column, value and what was
        expected).
    """
    df, name, rows = _read(source, what)
    df.columns = [header(c) for c in df.columns]
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise DataError(f"{name}: column {dup!r} appears more than once")
    require_columns(df, [c.name for c in columns if c.required], source=name)
    if df.empty:
        raise DataError(f"{name}: {what} has no rows")
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for column in columns:
        if column.name not in df.columns:
            continue
        values = [_cell(v, column, f"{name}, row {rows[i]}") for i, v in enumerate(df[column.name])]
        out[column.name] = pd.Series(values, dtype=object).infer_objects()
    for extra in df.columns:
        if extra not in out.columns:
            out[extra] = df[extra].to_numpy()
    out.attrs["source"] = name
    return Table(out, name, tuple(rows))
