"""Warwick-Edinburgh wellbeing scales: totals from item scores and the SWEMWBS metric score.

Only numbers are handled here, and only the caller's. The wording of the WEMWBS and SWEMWBS items
and the SWEMWBS raw-to-metric conversion table are licensed by their owners (Warwick Medical
School) and are not shipped: the caller names the item columns and supplies the conversion table
that their licence gives them. Each item is scored 1 to 5.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._validate import require_columns, require_in_range
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.outcomes._display import shown

__all__ = ["ITEM_RANGE", "SWEMWBS_RAW_RANGE", "swemwbs_metric", "swemwbs_total", "wemwbs_total"]

#: Every WEMWBS / SWEMWBS item is answered on a five-point scale.
ITEM_RANGE = (1, 5)
#: SWEMWBS raw totals: seven items scored 1 to 5.
SWEMWBS_RAW_RANGE = (7, 35)

#: What a conversion table may be: raw -> metric as a mapping, a Series indexed by raw score, or
#: a DataFrame with ``raw`` and ``metric`` columns (the layout the table is published in).
Conversion = Mapping[Any, Any] | pd.Series | pd.DataFrame


def _conversion_table(conversion: Conversion) -> pd.Series:
    """The caller's conversion table as a float Series indexed by raw score 7..35, checked.

    It must give one metric score for every raw score from 7 to 35, and the metric score must
    not fall as the raw score rises (the published table rises strictly).
    """
    where = "the SWEMWBS conversion table"
    if isinstance(conversion, pd.DataFrame):
        require_columns(conversion, ["raw", "metric"], source=where)
        raw, metric = conversion["raw"].tolist(), conversion["metric"].tolist()
    elif isinstance(conversion, pd.Series):
        raw, metric = conversion.index.tolist(), conversion.tolist()
    elif isinstance(conversion, Mapping):
        raw, metric = list(conversion.keys()), list(conversion.values())
    else:
        raise ParameterError(
            f"conversion: got {type(conversion).__name__}; expected the SWEMWBS raw-to-metric "
            "table as a mapping, a Series indexed by raw score or a DataFrame with raw and "
            "metric columns"
        )
    lo, hi = SWEMWBS_RAW_RANGE
    table: dict[int, float] = {}
    for r, m in zip(raw, metric, strict=True):
        r_num = pd.to_numeric(pd.Series([r]), errors="coerce").iloc[0]
        if pd.isna(r_num) or r_num % 1 != 0 or not lo <= r_num <= hi:
            raise DataError(
                f"{where}: raw score {shown(r)} is not a whole number from {lo} to {hi}"
            )
        m_num = pd.to_numeric(pd.Series([m]), errors="coerce").iloc[0]
        if pd.isna(m_num):
            raise DataError(f"{where}, raw {int(r_num)}: metric score {shown(m)} is not a number")
        if int(r_num) in table:
            raise DataError(f"{where}: raw score {int(r_num)} appears more than once")
        table[int(r_num)] = float(m_num)
    missing = [r for r in range(lo, hi + 1) if r not in table]
    if missing:
        shown_missing = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise DataError(
            f"{where} has no metric score for raw {shown_missing}; expected one for every raw "
            f"score from {lo} to {hi}"
        )
    series = pd.Series(table).sort_index()
    falls = series.diff() < 0
    if falls.any():
        r = int(falls.idxmax())
        raise DataError(
            f"{where}: the metric score falls from {series[r - 1]:g} at raw {r - 1} to "
            f"{series[r]:g} at raw {r}; expected it to rise with the raw score"
        )
    return series


def swemwbs_metric(raw: Any, conversion: Conversion) -> Any:
    """Convert SWEMWBS raw totals (whole numbers 7 to 35) to metric scores with the caller's table.

    The conversion table comes from the Rasch analysis of Stewart-Brown et al. (2009), Health and
    Quality of Life Outcomes 7:15, doi:10.1186/1477-7525-7-15. It is licensed with the scale by
    Warwick Medical School, so evalkit does not ship it: pass the table your licence provides as
    ``conversion`` (raw -> metric mapping, Series indexed by raw score, or a DataFrame with
    ``raw`` and ``metric`` columns). Accepts a number, a sequence or a Series of raw totals (the
    index is kept); missing values stay missing.

    Examples
    --------
    With a made-up table (not the published one):

    >>> table = {raw: float(raw) for raw in range(7, 36)}
    >>> swemwbs_metric(21, table)
    21.0
    >>> swemwbs_metric([7, 35], table).tolist()
    [7.0, 35.0]
    """
    table = _conversion_table(conversion)
    lo, hi = SWEMWBS_RAW_RANGE
    scalar = np.ndim(raw) == 0
    series = raw if isinstance(raw, pd.Series) else pd.Series(np.atleast_1d(raw))
    values = pd.to_numeric(series, errors="coerce").astype(float)
    bad = (values.isna() & series.notna()) | (
        values.notna() & ((values % 1 != 0) | (values < lo) | (values > hi))
    )
    if bad.any():
        row = bad.idxmax()
        raise DataError(
            f"SWEMWBS raw score, row {row}: value {shown(series.loc[row])} is not a whole number "
            f"from {lo} to {hi}; expected the sum of seven items scored 1 to 5"
        )
    metric = values.map(lambda v: table[int(v)] if v == v else np.nan)
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
    conversion: Conversion | None = None,
) -> pd.Series:
    """SWEMWBS raw total (7 items scored 1-5, total 7-35), or its metric score with ``conversion``.

    The missing-item rule works as in :func:`wemwbs_total` (prorated totals are rounded to a
    whole number before conversion, since the table is defined for whole raw scores). Given the
    caller's conversion table (see :func:`swemwbs_metric`), the metric scores are returned.
    """
    total = _total(df, items, scale="SWEMWBS", n_items=7, max_missing=max_missing, prorate=prorate)
    return total if conversion is None else swemwbs_metric(total, conversion)
