"""Social value measures: the proxy value of one unit of each outcome, with its source.

A measures table has one row per measure: ``theme``, ``outcome``, ``measure`` (the short code that
bids and delivery returns use), ``unit``, ``proxy_value`` (pounds per unit), ``price_year``
(2019 or '2015/16'), ``source`` and ``licence``; optionally ``counts_people`` (true when a
quantity counts people, so delivery tables pass through disclosure control: inferred from the
unit when blank), ``verified`` and ``notes``.

evalkit ships a small illustrative set (:func:`illustrative_measures`) whose values come from
public sources it may redistribute (HM Treasury's WELLBY value and published unit costs quoted
with attribution). Proprietary sets such as the National TOMs or the HACT Social Value Bank are
never shipped: read your licensed copy and check it with :func:`check_measures`.

Deadweight, displacement and attribution are the commissioner's judgement about a contract, not
properties of a proxy, so they live in a separate adjustments table (:func:`check_adjustments`).

Both take DataFrames: read a CSV or XLSX file with :func:`evalkit.intake.read_table` first.
"""

from __future__ import annotations

import re

import pandas as pd

from evalkit.exceptions import DataError
from evalkit.intake.schemas import Column
from evalkit.reference import load_table, source_of
from evalkit.social_value._tables import check_table, flag, price_year

__all__ = [
    "ADJUSTMENT_COLUMNS",
    "MEASURE_COLUMNS",
    "check_adjustments",
    "check_measures",
    "illustrative_measures",
]

_SHIPPED = "social_value_measures.csv"

#: The columns of a measures table (a column that may be empty may also be left out).
MEASURE_COLUMNS = (
    Column("theme", "text"),
    Column("outcome", "text"),
    Column("measure", "text"),
    Column("unit", "text"),
    Column("proxy_value", "number", low=0),
    price_year("price_year"),
    Column("source", "text"),
    Column("licence", "text"),
    flag("counts_people", nullable=True),
    flag("verified", nullable=True),
    Column("notes", "text", nullable=True),
)


def _share(name: str) -> Column:
    return Column(name, "number", low=0, high=1, hint="write 25% as 0.25, and 0 for none")


#: The columns of an adjustments table.
ADJUSTMENT_COLUMNS = (
    Column("measure", "text"),
    _share("deadweight"),
    _share("displacement"),
    _share("attribution"),
    Column("rationale", "text", nullable=True),
)

#: Words in a unit that mean its quantities count people.
_PEOPLE = re.compile(
    r"\b(person|people|child|children|young people|family|families|household|households|"
    r"victim|victims|resident|residents|participant|participants|learner|learners|"
    r"apprentice|apprentices|employee|employees|worker|workers)\b",
    re.IGNORECASE,
)


def _unique(frame: pd.DataFrame, column: str, source: str, rows: tuple[str, ...]) -> None:
    dup = frame[column].duplicated()
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise DataError(
            f"{source}, row {rows[i]}, column {column!r}: value {frame[column].iloc[i]!r} appears "
            f"more than once; expected each {column} once"
        )


def check_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a measures table (as read from a CSV or XLSX file by
    :func:`evalkit.intake.read_table`, or made by hand).

    Headers are matched ignoring case and spaces (``Proxy value`` reads as ``proxy_value``).

    Returns
    -------
    DataFrame
        One row per measure with the columns above; ``counts_people`` filled (from the unit when
        blank); ``attrs['source']`` names the file (as ``frame.attrs['source']`` did).

    Raises
    ------
    DataError
        A missing column; a missing or unreadable price year, proxy value, source or licence; a
        negative proxy value; a measure code used twice. The message names the file, row,
        column, value and what was expected.
    """
    table = check_table(frame, MEASURE_COLUMNS, what="measures table")
    out = table.frame
    _unique(out, "measure", table.source, table.rows)
    inferred = out["unit"].map(lambda unit: bool(_PEOPLE.search(unit)))
    if "counts_people" in out:
        out["counts_people"] = out["counts_people"].where(out["counts_people"].notna(), inferred)
    else:
        out["counts_people"] = inferred
    out["counts_people"] = out["counts_people"].astype(bool)
    return out


def illustrative_measures() -> pd.DataFrame:
    """The small illustrative measures set shipped with evalkit (each row cites its source).

    ``attrs['source']`` names the shipped file and ``attrs['record']`` is its record in
    ``sources.yaml``. Illustrative only: replace the values with your own licensed measures for a
    real tender.
    """
    shipped = load_table(_SHIPPED, dtype=str, keep_default_na=False)
    shipped.attrs = {"source": _SHIPPED, "first_row": 2}
    measures = check_measures(shipped)
    measures.attrs["record"] = source_of(_SHIPPED)
    return measures


def check_adjustments(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the commissioner's deadweight, displacement and attribution per measure.

    Columns ``measure``, ``deadweight``, ``displacement``, ``attribution`` (shares in [0, 1];
    write 0 where a factor was assessed as none) and optionally ``rationale``.

    Raises
    ------
    DataError
        A missing column, a share outside [0, 1] or missing, or a measure listed twice.
    """
    table = check_table(frame, ADJUSTMENT_COLUMNS, what="adjustments table")
    _unique(table.frame, "measure", table.source, table.rows)
    return table.frame
