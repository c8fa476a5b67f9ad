"""Column rules for input tables, and the one validator every reader uses.

A schema is a tuple of :class:`Column` rules. :func:`validate_table` checks a raw DataFrame against
one and returns a typed copy, or raises :class:`~evalkit.exceptions.DataError` naming the file, the
row (as the spreadsheet shows it), the column, the value and what was expected. The intake builds
its schemas from the programme spec (:mod:`evalkit.intake.mapping`); other readers (social value
bids and returns) declare theirs as data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.config.sources import DATE_FORMATS
from evalkit.exceptions import DataError

__all__ = ["Column", "validate_table"]

Kind = Literal["text", "integer", "number", "date", "category", "binary"]


@dataclasses.dataclass(frozen=True)
class Column:
    """One column rule: its kind, whether values may be missing, allowed values or range.

    ``date_format`` is one of :data:`evalkit.config.sources.DATE_FORMATS` (as the user writes
    it, ``dd/mm/yyyy``); real dates from a workbook are accepted whatever the format.
    ``hint`` is added to the error message (for example, which spec field to change).
    """

    name: str
    kind: Kind
    nullable: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    date_format: str = "yyyy-mm-dd"
    hint: str = ""

    def expected(self) -> str:
        """What a valid value looks like, in words."""
        if self.kind == "category":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "binary":
            return "0 or 1 (or a label that the source's recodes turn into 0 or 1)"
        if self.kind == "date":
            return f"a date written as {self.date_format}"
        if self.kind == "text":
            return "some text"
        word = "a whole number" if self.kind == "integer" else "a number"
        if self.low is not None and self.high is not None:
            return f"{word} from {self.low:g} to {self.high:g}"
        if self.low is not None:
            return f"{word} of at least {self.low:g}"
        return word


def _row(index: object, first_row: int) -> int:
    return int(index) + first_row  # type: ignore[call-overload]


def _fail(
    source: str, row: int, column: Column, value: object, n_bad: int, original: object = None
) -> DataError:
    more = f" ({n_bad - 1} more row(s) in this column have the same problem)" if n_bad > 1 else ""
    hint = f"; {column.hint}" if column.hint else ""
    if hasattr(value, "item"):  # a numpy scalar: show it as Python writes it
        value = value.item()
    shown = repr(value.isoformat() if isinstance(value, dt.date) else value)
    if original is not None and str(original) != str(value):
        shown = f"{original!r} (recoded to {value!r})"
    return DataError(
        f"{source}, row {row}, column {column.name!r}: value {shown} is not valid; expected "
        f"{column.expected()}{hint}{more}"
    )


def parse_dates(series: pd.Series, date_format: str) -> pd.Series:
    """Dates written in ``date_format`` (real date cells kept); NaT where a value does not fit.

    The declared format is applied strictly: ``03/04/2024`` under ``dd/mm/yyyy`` is 3 April and
    is never read as 4 March; a value in another format fails rather than being guessed. A real
    date cell with a time of day (a workbook cell holding 5 January 2024 14:30) is its date.
    """
    is_date = series.map(lambda v: isinstance(v, dt.date))
    text = series.where(~is_date).astype("string").str.strip()
    parsed = pd.to_datetime(text, format=DATE_FORMATS[date_format], errors="coerce")
    if is_date.any():
        cells = pd.to_datetime(series.where(is_date), errors="coerce").dt.normalize()
        parsed = parsed.where(~is_date, cells)
    # One resolution whatever the values' origin (text, workbook or database dates, or none),
    # so that the same dates from a CSV, a workbook or a database give the same partitions.
    return parsed.astype("datetime64[us]")


def _numbers(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip().str.replace(r"^£|,", "", regex=True)
    return pd.to_numeric(text, errors="coerce")


def _coerce(series: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of present values that failed to convert or fall outside the rule."""
    present = series.notna() & (series.astype("string").str.strip() != "")
    if column.kind == "text":
        return series.astype("string").str.strip().where(present), pd.Series(
            False, index=series.index
        )
    if column.kind == "category":
        values = series.astype("string").str.strip().where(present)
        return values, present & ~values.isin(column.choices)
    if column.kind == "date":
        values = parse_dates(series.where(present), column.date_format)
        return values, present & values.isna()
    values = _numbers(series.where(present))
    bad = present & ~np.isfinite(values.astype(float).fillna(0))
    bad |= present & values.isna()
    ok = present & ~bad
    if column.kind in ("integer", "binary"):
        bad |= ok & (values != np.round(values))
    if column.kind == "binary":
        bad |= ok & ~values.isin((0, 1))
    if column.low is not None:
        bad |= ok & (values < column.low)
    if column.high is not None:
        bad |= ok & (values > column.high)
    values = values.where(~bad)
    if column.kind in ("integer", "binary"):
        values = values.round().astype("Int64")
    return values.where(present), bad


def validate_table(
    df: pd.DataFrame,
    schema: Iterable[Column],
    *,
    source: str,
    row_offset: int | None = None,
    original: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A typed copy of ``df`` if every column rule holds; otherwise DataError for the first problem.

    The row a person sees is ``index + row_offset``; ``row_offset`` defaults to
    ``df.attrs["first_row"]`` as :func:`~evalkit.intake.readers.read_table` sets it (2 for a
    file whose header is on row 1). ``original`` is the table as the file held it, before
    recodes, so that a message can show the label the user wrote.
    """
    schema = tuple(schema)
    first_row = row_offset if row_offset is not None else int(df.attrs.get("first_row", 2))
    missing = [c.name for c in schema if c.name not in df.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))}; "
            f"the file has: {', '.join(map(str, df.columns))}"
        )
    out = df.copy()
    for column in schema:
        values, bad = _coerce(df[column.name], column)
        if bad.any():
            first = bad.idxmax()
            value = df.at[first, column.name]
            label = original.at[first, column.name] if original is not None else None
            raise _fail(source, _row(first, first_row), column, value, int(bad.sum()), label)
        if not column.nullable:
            empty = values.isna()
            if empty.any():
                first = empty.idxmax()
                hint = f"; {column.hint}" if column.hint else ""
                raise DataError(
                    f"{source}, row {_row(first, first_row)}, column {column.name!r}: value is "
                    f"empty; expected {column.expected()}{hint}"
                )
        out[column.name] = values
    return out
