"""Social value measures: the proxy value of one unit of each outcome, with its source.

A measures table has one row per measure: ``theme``, ``outcome``, ``measure`` (the short code that
bids and delivery returns use), ``unit``, ``proxy_value`` (pounds per unit), ``price_year``
(2019 or '2015/16'), ``source`` and ``licence``; optionally ``counts_people`` (true when a
quantity counts people, so delivery tables pass through disclosure control: inferred from the
unit when blank), ``verified`` and ``notes``.

evalkit ships a small illustrative set (:func:`illustrative_measures`) whose values come from
public sources it may redistribute (HM Treasury's WELLBY value and published unit costs quoted
with attribution). Proprietary sets such as the National TOMs or the HACT Social Value Bank are
never shipped: load your licensed copy with :func:`read_measures`.

Deadweight, displacement and attribution are the commissioner's judgement about a contract, not
properties of a proxy, so they live in a separate adjustments table (:func:`read_adjustments`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from evalkit.econ.social_value._tables import Column, read_table
from evalkit.exceptions import DataError
from evalkit.reference import path_of, source_of

__all__ = [
    "ADJUSTMENT_COLUMNS",
    "MEASURE_COLUMNS",
    "illustrative_measures",
    "read_adjustments",
    "read_measures",
]

_SHIPPED = "social_value_measures.csv"

MEASURE_COLUMNS = (
    Column("theme", "text"),
    Column("outcome", "text"),
    Column("measure", "text"),
    Column("unit", "text"),
    Column("proxy_value", "quantity"),
    Column("price_year", "price_year"),
    Column("source", "text"),
    Column("licence", "text"),
    Column("counts_people", "flag", required=False),
    Column("verified", "flag", required=False),
    Column("notes", "optional_text", required=False),
)

ADJUSTMENT_COLUMNS = (
    Column("measure", "text"),
    Column("deadweight", "share"),
    Column("displacement", "share"),
    Column("attribution", "share"),
    Column("rationale", "optional_text", required=False),
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


def read_measures(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read and check a measures table from a CSV or XLSX file or a DataFrame.

    Headers are matched ignoring case and spaces (``Proxy value`` reads as ``proxy_value``).

    Returns
    -------
    DataFrame
        One row per measure with the columns above; ``counts_people`` filled (from the unit when
        blank); ``attrs['source']`` names the file.

    Raises
    ------
    DataError
        A missing column; a missing or unreadable price year, proxy value, source or licence; a
        negative proxy value; a measure code used twice. The message names the file, row,
        column, value and what was expected.
    """
    table = read_table(source, MEASURE_COLUMNS, what="measures table")
    frame = table.frame
    _unique(frame, "measure", table.source, table.rows)
    inferred = frame["unit"].map(lambda unit: bool(_PEOPLE.search(unit)))
    if "counts_people" in frame:
        frame["counts_people"] = frame["counts_people"].where(
            frame["counts_people"].notna(), inferred
        )
    else:
        frame["counts_people"] = inferred
    frame["counts_people"] = frame["counts_people"].astype(bool)
    return frame


def illustrative_measures() -> pd.DataFrame:
    """The small illustrative measures set shipped with evalkit (each row cites its source).

    ``attrs['source']`` is the file's record in ``sources.yaml``. Illustrative only: replace the
    values with your own licensed measures for a real tender.
    """
    with path_of(_SHIPPED).open("rb") as fh:
        frame = read_measures(pd.read_csv(fh, dtype=str, keep_default_na=False))
    frame.attrs["source"] = _SHIPPED
    frame.attrs["record"] = source_of(_SHIPPED)
    return frame


def read_adjustments(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read the commissioner's deadweight, displacement and attribution per measure.

    Columns ``measure``, ``deadweight``, ``displacement``, ``attribution`` (shares in [0, 1];
    write 0 where a factor was assessed as none) and optionally ``rationale``.

    Raises
    ------
    DataError
        A missing column, a share outside [0, 1] or missing, or a measure listed twice.
    """
    table = read_table(source, ADJUSTMENT_COLUMNS, what="adjustments table")
    _unique(table.frame, "measure", table.source, table.rows)
    return table.frame
