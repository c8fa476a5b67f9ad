"""Check the user's social value tables (bids, delivery returns, measures, adjustments).

Each table is described as data: a tuple of :class:`evalkit.intake.schemas.Column` rules, checked
by :func:`evalkit.intake.schemas.validate_table` like every other input of evalkit. A column whose
values may be empty (``nullable``) may also be left out of the table. Social value adds the few
rules the generic kinds do not cover (:class:`Rule`): evidence statuses and true/false flags are
read in any of their usual spellings, price years are read with
:func:`evalkit.econ.parse_price_year`, and amounts of money must be above zero.

Tables arrive as DataFrames: reading files is the pipeline's job (:mod:`evalkit.reports.social_value`
reads them with :func:`evalkit.intake.read_table`). Headers are normalised (``"Proxy value"`` ->
``proxy_value``). Rows are named as a spreadsheet shows them when the frame came from
:func:`~evalkit.intake.read_table` (``index + attrs["first_row"]``), else by their index label.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Literal

import pandas as pd

from evalkit.econ.prices import parse_price_year
from evalkit.exceptions import DataError, ParameterError
from evalkit.intake.schemas import Column, validate_table

__all__ = [
    "EVIDENCE_STATUSES",
    "FLAGS",
    "Rule",
    "Table",
    "check_table",
    "evidence",
    "flag",
    "header",
    "pounds",
    "price_year",
    "row_names",
]

#: Canonical evidence statuses of delivered social value, and the spellings accepted for each.
EVIDENCE_STATUSES = {
    "evidenced": ("evidenced", "yes", "full", "fully evidenced"),
    "partly evidenced": ("partly evidenced", "partly", "partial", "partially evidenced"),
    "not evidenced": ("not evidenced", "no", "none", "unevidenced", "not_evidenced"),
}
#: The two values of a true/false column, and the spellings accepted for each.
FLAGS = {"true": ("true", "yes", "1", "y"), "false": ("false", "no", "0", "n")}


@dataclasses.dataclass(frozen=True)
class Rule(Column):
    """An intake :class:`~evalkit.intake.schemas.Column` with one social value rule on top.

    ``extra`` is ``evidence`` or ``flag`` (known spellings read as the canonical value first),
    ``price_year`` (read with :func:`~evalkit.econ.parse_price_year`) or ``money`` (above 0).
    """

    extra: Literal["evidence", "flag", "price_year", "money"] = "money"


def evidence(name: str) -> Rule:
    """A column of evidence statuses: 'evidenced', 'partly evidenced' or 'not evidenced'."""
    return Rule(
        name,
        "category",
        choices=tuple(EVIDENCE_STATUSES),
        hint="'partly' and 'no' may be written for 'partly evidenced' and 'not evidenced'",
        extra="evidence",
    )


def flag(name: str, *, nullable: bool = False) -> Rule:
    """A true/false column (true, yes, 1, y / false, no, 0, n, in any case)."""
    return Rule(
        name,
        "category",
        nullable=nullable,
        choices=tuple(FLAGS),
        hint="yes/no and 1/0 are read as true/false",
        extra="flag",
    )


def price_year(name: str) -> Rule:
    """The price year of an amount: a calendar year (2019) or a financial year ('2015/16')."""
    return Rule(
        name,
        "text",
        hint="the price year of the proxy value, such as 2019 or '2015/16'",
        extra="price_year",
    )


def pounds(name: str) -> Rule:
    """An amount in pounds above zero (a £ sign and thousands commas are allowed)."""
    return Rule(name, "number", low=0, extra="money")


@dataclasses.dataclass(frozen=True)
class Table:
    """A checked table (positional index) and how to name its rows in later messages."""

    frame: pd.DataFrame
    source: str
    rows: tuple[str, ...]

    def where(self, i: int) -> str:
        """'<source>, row <n>' for the i-th row (0-based position)."""
        return f"{self.source}, row {self.rows[i]}"


def header(name: Any) -> str:
    """A column header in lower case with spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def row_names(frame: pd.DataFrame) -> tuple[str, ...]:
    """How to name each row of ``frame`` in a message.

    From :func:`evalkit.intake.read_table`, the row a person sees (``index + attrs["first_row"]``);
    a frame made by hand, its index label (its position when the labels are not whole numbers).
    """
    if not pd.api.types.is_integer_dtype(frame.index):
        return tuple(str(i) for i in range(len(frame)))
    first_row = int(frame.attrs.get("first_row", 0))
    return tuple(str(int(i) + first_row) for i in frame.index)


def _canonical(series: pd.Series, spellings: dict[str, tuple[str, ...]]) -> pd.Series:
    """Known spellings (any case, spaces or hyphens) replaced by their canonical value."""
    lookup = {s: canonical for canonical, spelt in spellings.items() for s in spelt}

    def one(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return value
        text = re.sub(r"\s+", " ", str(value).strip().lower().replace("-", " "))
        return lookup.get(text, value)

    return series.map(one).astype(object)


def _price_years(values: pd.Series, column: Column, source: str, rows: tuple[str, ...]):
    out: list[object] = []
    for i, value in enumerate(values):
        if pd.isna(value):
            out.append(pd.NA)
            continue
        text = str(value).strip()
        try:
            out.append(str(parse_price_year(int(text) if text.isdigit() else text)))
        except (ParameterError, ValueError, OverflowError) as exc:
            raise DataError(f"{source}, row {rows[i]}, column {column.name!r}: {exc}") from None
    return pd.Series(out, index=values.index, dtype=object)


def check_table(frame: pd.DataFrame, columns: tuple[Column, ...], *, what: str) -> Table:
    """Check every cell of ``columns`` in ``frame``; other columns pass through.

    Raises
    ------
    ParameterError
        ``frame`` is not a DataFrame (read files with :func:`evalkit.intake.read_table`).
    DataError
        A missing column, no rows, or a bad cell (naming the source, row, column, value and what
        was expected).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"{what} must be a DataFrame; got {type(frame).__name__} (read a CSV or XLSX file "
            "with evalkit.intake.read_table first)"
        )
    source = str(frame.attrs.get("source", what))
    df = frame.copy()
    first_row = int(frame.attrs.get("first_row", 0))
    if not pd.api.types.is_integer_dtype(df.index):
        df, first_row = df.reset_index(drop=True), 0
    rows = row_names(frame)
    df.columns = [header(c) for c in df.columns]
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise DataError(f"{source}: column {dup!r} appears more than once")
    if df.empty:
        raise DataError(f"{source}: {what} has no rows")
    present = tuple(c for c in columns if c.name in df.columns or not c.nullable)
    for column in present:  # plain Python values, so messages show 30.0 and not np.float64(30.0)
        if column.name in df.columns:
            df[column.name] = df[column.name].astype(object)
    extra = {c.name: c.extra for c in present if isinstance(c, Rule)}
    for name, kind in extra.items():
        if name in df.columns and kind in ("evidence", "flag"):
            df[name] = _canonical(df[name], EVIDENCE_STATUSES if kind == "evidence" else FLAGS)
    checked = validate_table(df, present, source=source, row_offset=first_row)
    for column in present:
        values = checked[column.name]
        kind = extra.get(column.name, "")
        if kind == "flag":
            checked[column.name] = values.map(
                lambda v: pd.NA if pd.isna(v) else v == "true"
            ).astype(object)
        elif kind == "price_year":
            checked[column.name] = _price_years(values, column, source, rows)
        elif kind == "money" and (values <= 0).any():
            i = int((values <= 0).to_numpy().argmax())
            raise DataError(
                f"{source}, row {rows[i]}, column {column.name!r}: value "
                f"{df[column.name].iloc[i]!r} is not valid; expected an amount in pounds above 0"
            )
        elif column.kind in ("text", "category"):
            checked[column.name] = values.astype(object).where(values.notna(), pd.NA)
    checked = checked.reset_index(drop=True)
    checked.attrs = {"source": source}
    return Table(checked, source, rows)
