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
import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.config.sources import DATE_FORMATS
from evalkit.exceptions import DataError

__all__ = ["Column", "validate_table"]

Kind = Literal["text", "integer", "number", "date", "category", "binary", "financial_year"]

#: A UK financial year as providers write it: 2024/25, 2024-25, 2024/2025 or FY2024/25, perhaps
#: with a quarter before or after it (2024/25 Q1, Q1 2024/25: counted towards that year). A
#: bare 2024 is refused: it could be the calendar year or the financial year starting in it,
#: and is never guessed.
FINANCIAL_YEAR = re.compile(
    r"^(?:Q[1-4]\s*)?(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})(?:\s*[,-]?\s*Q[1-4])?$",
    re.IGNORECASE,
)


def financial_year(value: object) -> str | None:
    """``value`` as a financial year written ``2024/25``, or None if it is not one.

    The second year must follow the first (2024/25, not 2024/26); a quarter after the year
    (``2023/24 Q1``) is dropped, so that a quarter's spending counts towards its year.
    """
    found = FINANCIAL_YEAR.match(str(value).strip())
    if not found:
        return None
    first, second = int(found[1]), int(found[2])
    if second != (first + 1 if len(found[2]) == 4 else (first + 1) % 100):
        return None
    return f"{first}/{(first + 1) % 100:02d}"


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
        if self.kind == "financial_year":
            return (
                "a financial year written 2024/25 (a quarter after it, such as 2024/25 Q1, "
                "counts towards that year)"
            )
        word = "a whole number" if self.kind == "integer" else "a number"
        if self.low is not None and self.high is not None:
            return f"{word} from {self.low:g} to {self.high:g}"
        if self.low is not None:
            return f"{word} of at least {self.low:g}"
        return word


#: How many problems a message shows in full; the rest are counted.
SHOWN_PROBLEMS = 3
#: The longest excerpt of a value a message quotes.
EXCERPT = 40
#: The largest whole number a count column holds: beyond 2**53 a float no longer holds every
#: whole number, so a larger value is a typing slip or an overflow, never a count.
LARGEST_WHOLE = 2**53


def _row(index: object, first_row: int) -> int:
    return int(index) + first_row  # type: ignore[call-overload]


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """A value as a message quotes it: its repr, cut to ``limit`` characters."""
    if hasattr(value, "item"):  # a numpy scalar: show it as Python writes it
        value = value.item()
    text = repr(value.isoformat() if isinstance(value, dt.date) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclasses.dataclass(frozen=True)
class _Problem:
    """One bad cell: where it is, what it holds (as shown) and whether it is empty."""

    row: int
    column: Column
    shown: str = ""

    def full(self, source: str) -> str:
        hint = f"; {self.column.hint}" if self.column.hint else ""
        what = f"value {self.shown} is not valid" if self.shown else "value is empty"
        return (
            f"{source}, row {self.row}, column {self.column.name!r}: {what}; expected "
            f"{self.column.expected()}{hint}"
        )

    def brief(self) -> str:
        return f"row {self.row}, column {self.column.name!r} ({self.shown or 'empty'})"


def _shown(value: object, original: object = None) -> str:
    shown = excerpt(value)
    if original is not None and str(original) != str(value):
        shown = f"{excerpt(original)} (recoded to {shown})"
    return shown


def _message(source: str, problems: list[_Problem], total: int, columns: int) -> str:
    """One line: the first problem in full, the next few briefly, and how many in all."""
    problems = sorted(problems, key=lambda p: p.row)
    text = problems[0].full(source)
    if total > 1:
        others = ", ".join(p.brief() for p in problems[1:SHOWN_PROBLEMS])
        rest = total - min(len(problems), SHOWN_PROBLEMS)
        more = f" and {rest} more" if rest > 0 else ""
        text += f" ({total} problems in {columns} column(s) in all; also {others}{more})"
    return text


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
    """Numbers (nullable Int64 or Float64), missing where a value is not a number."""
    text = series.astype("string").str.strip().str.replace(r"^£|,", "", regex=True)
    return pd.to_numeric(text, errors="coerce")


def _coerce(series: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of present values that failed to convert or fall outside the rule.

    A number is checked before it is cast: it must be finite (no ``inf`` or ``nan`` written in
    a cell), and a whole-number column's values must be whole and at most 2**53 in size, so that
    no value is silently rounded or overflows.
    """
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
    if column.kind == "financial_year":
        values = series.where(present).map(financial_year, na_action="ignore").astype("string")
        return values, present & values.isna()
    values = _numbers(series.where(present))
    # Checked as floats (NaN for anything not a number) before any cast of the values.
    number = pd.Series(
        values.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=series.index
    )
    bad = present & ~np.isfinite(number)
    ok = present & ~bad
    if column.kind in ("integer", "binary"):
        bad |= ok & ((number.abs() > LARGEST_WHOLE) | (number != np.round(number)))
    if column.kind == "binary":
        bad |= ok & ~number.isin((0, 1))
    if column.low is not None:
        bad |= ok & (number < column.low)
    if column.high is not None:
        bad |= ok & (number > column.high)
    values = values.where(present & ~bad)
    if column.kind in ("integer", "binary"):
        values = values.round().astype("Int64")
    return values, bad


def validate_table(
    df: pd.DataFrame,
    schema: Iterable[Column],
    *,
    source: str,
    row_offset: int | None = None,
    original: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A typed copy of ``df`` if every column rule holds; otherwise one DataError for them all.

    Every column is checked before anything is raised: the message names the first bad cell
    in full (row, column, value, what was expected) and the next few briefly, with the number
    of problems in all. The row a person sees is ``index + row_offset``; ``row_offset`` defaults
    to ``df.attrs["first_row"]`` as :func:`~evalkit.intake.readers.read_table` sets it (2 for a
    file whose header is on row 1). ``original`` is the table as the file held it, before
    recodes, so that a message can show the label the user wrote.
    """
    schema = tuple(schema)
    first_row = row_offset if row_offset is not None else int(df.attrs.get("first_row", 2))
    missing = [c.name for c in schema if c.name not in df.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))}; "
            f"the file has: {column_list(df.columns)}"
        )
    out = df.copy()
    problems: list[_Problem] = []
    total = columns = 0
    for column in schema:
        values, bad = _coerce(df[column.name], column)
        for index in bad[bad].index[:SHOWN_PROBLEMS].tolist():
            label = original.at[index, column.name] if original is not None else None
            shown = _shown(df.at[index, column.name], label)
            problems.append(_Problem(_row(index, first_row), column, shown))
        empty = values.isna() & ~bad if not column.nullable else bad & False
        problems.extend(
            _Problem(_row(index, first_row), column)
            for index in empty[empty].index[:SHOWN_PROBLEMS].tolist()
        )
        total += int(bad.sum()) + int(empty.sum())
        columns += bool(bad.any() or empty.any())
        out[column.name] = values
    if problems:
        raise DataError(_message(source, problems, total, columns))
    return out


def column_list(columns: Iterable[object], limit: int = 12) -> str:
    """The column names of a file as a message lists them: at most ``limit``, each cut short.

    A header is shown so that a user can see a misspelt name, never the file's content: a
    file that is not a table at all has a long first line, cut to a short excerpt here.
    """
    names = [str(c) for c in columns]
    shown = [n if len(n) <= EXCERPT else n[: EXCERPT - 3] + "..." for n in names[:limit]]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(shown) + more
