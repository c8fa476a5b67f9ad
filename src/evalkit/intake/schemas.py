"""Table schemas for programme input files, and their validation.

A schema is a tuple of :class:`Column` rules. :func:`validate_table` checks a raw DataFrame against
one and returns a typed copy, or raises :class:`~evalkit.exceptions.DataError` naming the file, the
row (as the spreadsheet shows it), the column, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError

__all__ = ["SCHEMAS", "Column", "schema_for", "validate_table"]

Kind = Literal["text", "integer", "number", "date", "category", "binary"]


@dataclasses.dataclass(frozen=True)
class Column:
    """One column rule: its kind, whether values may be missing, allowed values or range."""

    name: str
    kind: Kind
    nullable: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def expected(self) -> str:
        """What a valid value looks like, in words."""
        if self.kind == "category":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "binary":
            return "0 or 1"
        if self.kind == "date":
            return "a date written as YYYY-MM-DD"
        if self.kind == "text":
            return "some text"
        word = "a whole number" if self.kind == "integer" else "a number"
        if self.low is not None and self.high is not None:
            return f"{word} from {self.low:g} to {self.high:g}"
        if self.low is not None:
            return f"{word} of at least {self.low:g}"
        return word


def _counts(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "integer", low=0) for n in names)


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "service_users": (
        Column("person_id", "text"),
        Column("family_id", "text"),
        Column("locality_code", "text"),
        Column("group", "category", choices=("participant", "comparison")),
        Column("referral_date", "date"),
        Column("start_date", "date"),
        Column("end_date", "date", nullable=True),
        Column("age_band", "category", choices=("16-24", "25-34", "35-44", "45-54", "55+")),
        Column("sex", "category", choices=("Female", "Male")),
        Column("ethnic_group", "category", choices=("Asian", "Black", "Mixed", "White", "Other")),
        Column("stable_housing_before", "binary", nullable=True),
        Column("stable_housing_after", "binary", nullable=True),
        Column("school_attendance_90_before", "binary", nullable=True),
        Column("school_attendance_90_after", "binary", nullable=True),
        *_counts(
            "police_callouts_before",
            "police_callouts_after",
            "ae_attendances_before",
            "ae_attendances_after",
            "social_care_referrals_before",
            "social_care_referrals_after",
        ),
    ),
    "reviews": (
        Column("person_id", "text"),
        Column("locality_code", "text"),
        Column("review_number", "integer", low=1),
        Column("review_date", "date"),
    ),
    "timeseries": (
        Column("locality_code", "text"),
        Column("quarter", "text"),
        Column("quarter_start", "date"),
        Column("time", "integer", low=0),
        Column("launch_time", "integer", nullable=True, low=0),
        Column("post", "binary"),
        Column("population_0_17", "integer", low=1),
        Column("referrals", "integer", low=0),
    ),
    "costs": (
        Column("locality_code", "text"),
        Column("financial_year", "text"),
        Column("item", "text"),
        Column("amount", "number", low=0),
        Column("price_year", "integer", low=1990, high=2100),
    ),
    "reflections": (
        Column("programme", "text"),
        Column("locality_code", "text"),
        Column("period", "text"),
        Column("author", "text"),
        Column("role", "text"),
        Column("what_we_tried", "text", nullable=True),
        Column("what_happened", "text", nullable=True),
        Column("what_we_learned", "text", nullable=True),
        Column("what_we_will_change", "text", nullable=True),
    ),
}


def schema_for(table: str, extra: Iterable[Column] = ()) -> tuple[Column, ...]:
    """The schema of a named table plus programme-specific columns (scores named in the spec)."""
    base = {c.name: c for c in SCHEMAS[table]}
    for column in extra:
        base[column.name] = column
    return tuple(base.values())


def _fail(source: str, row_offset: int, index: object, column: Column, value: object, n_bad: int):
    more = f" ({n_bad - 1} more row(s) in this column have the same problem)" if n_bad > 1 else ""
    raise DataError(
        f"{source}, row {int(index) + row_offset}, column {column.name!r}: "
        f"value {value!r} is not valid; expected {column.expected()}{more}"
    )


def _coerce(series: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of present values that failed to convert or fall outside the rule."""
    present = series.notna() & (series.astype("string").str.strip() != "")
    if column.kind == "text":
        return series.astype("string").str.strip(), pd.Series(False, index=series.index)
    if column.kind == "category":
        values = series.astype("string").str.strip()
        return values, present & ~values.isin(column.choices)
    if column.kind == "date":
        values = pd.to_datetime(series, errors="coerce", format="%Y-%m-%d")
        return values, present & values.isna()
    values = pd.to_numeric(series, errors="coerce")
    bad = present & values.isna()
    if column.kind in ("integer", "binary"):
        bad |= present & values.notna() & (values != np.round(values))
    if column.kind == "binary":
        bad |= present & values.notna() & ~values.isin((0, 1))
    if column.low is not None:
        bad |= present & values.notna() & (values < column.low)
    if column.high is not None:
        bad |= present & values.notna() & (values > column.high)
    if column.kind in ("integer", "binary"):
        values = values.astype("Int64")
    return values, bad


def validate_table(
    df: pd.DataFrame, schema: Iterable[Column], *, source: str, row_offset: int = 2
) -> pd.DataFrame:
    """A typed copy of ``df`` if every column rule holds; otherwise DataError for the first problem.

    ``row_offset`` turns a 0-based index into the row number a person sees (2 for a CSV or a sheet
    with one header row).
    """
    schema = tuple(schema)
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
            _fail(source, row_offset, first, column, df.at[first, column.name], int(bad.sum()))
        if not column.nullable:
            empty = values.isna()
            if empty.any():
                first = empty.idxmax()
                raise DataError(
                    f"{source}, row {int(first) + row_offset}, column {column.name!r}: "
                    f"value is empty; expected {column.expected()}"
                )
        out[column.name] = values
    return out
