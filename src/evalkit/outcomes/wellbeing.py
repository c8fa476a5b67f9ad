"""Warwick-Edinburgh wellbeing scales: totals from item scores and the SWEMWBS metric score.

Only numbers are handled here. The wording of the WEMWBS and SWEMWBS items is licensed and is
not shipped: the caller names the item columns. Each item is scored 1 to 5.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from evalkit._validate import require_columns, require_in_range
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.outcomes._display import shown
from evalkit.reference import load_table

__all__ = ["ITEM_RANGE", "swemwbs_metric", "swemwbs_total", "wemwbs_total"]

#: Every WEMWBS / SWEMWBS item is answered on a five-point scale.
ITEM_RANGE = (1, 5)
_SWEMWBS_FILE = "swemwbs_conversion.csv"


@cache
def _conversion() -> pd.Series:
    table = load_table(_SWEMWBS_FILE)
    return pd.Series(table["metric"].to_numpy(float), index=table["raw"].to_numpy(int))


def swemwbs_metric(raw: Any) -> Any:
    """Convert SWEMWBS raw totals (whole numbers 7 to 35) to metric scores.

    Accepts a number, a sequence or a Series (the index is kept); missing values stay missing.
    The conversion table (Stewart-Brown et al. 2009, doi:10.1186/1477-7525-7-15) ships as
    ``swemwbs_conversion.csv`` with its source in ``sources.yaml``.

    Examples
    --------
    >>> swemwbs_metric(21)
    19.25
    >>> swemwbs_metric([7, 35]).tolist()
    [7.0, 35.0]
    """
    scalar = np.ndim(raw) == 0
    series = raw if isinstance(raw, pd.Series) else pd.Series(np.atleast_1d(raw))
    values = pd.to_numeric(series, errors="coerce").astype(float)
    bad = (values.isna() & series.notna()) | (
        values.notna() & ((values % 1 != 0) | (values < 7) | (values > 35))
    )
    if bad.any():
        row = bad.idxmax()
        raise DataError(
            f"SWEMWBS raw score, row {row}: value {shown(series.loc[row])} is not a whole number "
            "from 7 to 35; expected the sum of seven items scored 1 to 5"
        )
    table = _conversion()
    metric = values.map(lambda v: table.get(int(v), np.nan) if v == v else np.nan)
    metric.name = "swemwbs_metric"
    return float(metric.iloc[0]) if scalar else metric


def _total(
    df: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: str,
    n_items: int,
    max_missing: int,
    prorate: bool,
) -> pd.Series:
    items = list(items)
    if len(items) != n_items:
        raise ParameterError(f"{scale} has {n_items} items; got {len(items)} item columns: {items}")
    require_columns(df, items, source=f"the {scale} item table")
    max_missing = int(require_in_range("max_missing", max_missing, 0, n_items - 1))
    if max_missing > 0 and not prorate:
        raise ParameterError(
            f"max_missing={max_missing} needs prorate=True: a total over fewer items is not "
            "comparable with a full total"
        )
    scores = pd.DataFrame(index=df.index)
    lo, hi = ITEM_RANGE
    for item in items:
        raw = df[item]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = (values.isna() & raw.notna()) | (
            values.notna() & ((values % 1 != 0) | (values < lo) | (values > hi))
        )
        if bad.any():
            row = bad.idxmax()
            raise DataError(
                f"{scale} item {item!r}, row {row}: value {shown(raw.loc[row])} is not a whole "
                f"number from {lo} to {hi}"
            )
        scores[item] = values
    missing = scores.isna().sum(axis=1)
    total = scores.mean(axis=1) * n_items if prorate else scores.sum(axis=1, min_count=n_items)
    if prorate:
        total = np.floor(total + 0.5)
    too_many = missing > max_missing
    total[too_many] = np.nan
    if too_many.any():
        warnings.warn(
            f"{int(too_many.sum())} of {len(df)} rows have more than {max_missing} missing "
            f"{scale} item(s); their total is left missing",
            StatisticalWarning,
            stacklevel=3,
        )
    return total.rename(f"{scale.lower()}_total")


def wemwbs_total(
    df: pd.DataFrame, items: Sequence[str], *, max_missing: int = 0, prorate: bool = False
) -> pd.Series:
    """WEMWBS total (14 items scored 1-5, total 14-70) per row.

    Parameters
    ----------
    df : DataFrame
        One row per completed questionnaire.
    items : sequence of str
        The 14 item columns, named by the user (no item wording is shipped).
    max_missing : int
        Most missing items a row may have and still get a total (default 0: complete rows
        only). Rows with more get a missing total and a :class:`StatisticalWarning`.
    prorate : bool
        Must be True when ``max_missing > 0``: the total is the mean of the answered items
        times 14, rounded half up to a whole number.

    Raises
    ------
    DataError
        Naming the row and item of the first non-numeric, fractional or out-of-range score.
    """
    return _total(df, items, scale="WEMWBS", n_items=14, max_missing=max_missing, prorate=prorate)


def swemwbs_total(
    df: pd.DataFrame,
    items: Sequence[str],
    *,
    max_missing: int = 0,
    prorate: bool = False,
    metric: bool = False,
) -> pd.Series:
    """SWEMWBS raw total (7 items scored 1-5, total 7-35), or its metric score if ``metric``.

    The missing-item rule works as in :func:`wemwbs_total` (prorated totals are rounded to a
    whole number before conversion, since the table is defined for whole raw scores).
    """
    total = _total(df, items, scale="SWEMWBS", n_items=7, max_missing=max_missing, prorate=prorate)
    return swemwbs_metric(total) if metric else total
