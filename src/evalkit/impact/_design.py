"""Input checks and design matrices shared by the impact estimators (private)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit._validate import require_columns, require_numeric
from evalkit.exceptions import DataError, ParameterError

__all__ = ["binary", "covariate_matrix", "full_rank", "require_variation", "shown", "usable_rows"]


def shown(value: object) -> str:
    """repr of a value with NumPy scalars shown as plain Python numbers (2, not np.int64(2))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def binary(df: pd.DataFrame, column: str, argument: str, *, source: str) -> pd.Series:
    """Return ``df[column]`` as 0/1 floats; raise DataError unless it holds only 0/1 or booleans."""
    raw = df[column]
    if raw.dtype == bool or str(raw.dtype) == "boolean":
        return raw.astype("Float64").astype(float)
    values = pd.to_numeric(raw, errors="coerce")
    bad = ~values.isin([0, 1]) & raw.notna()
    if bad.any():
        row = bad.idxmax()
        value = raw.loc[row]
        found = sorted(map(str, raw[bad].unique()[:5]))
        raise DataError(
            f"{argument}={column!r} in {source}: row {row} holds "
            f"{shown(value)} "
            f"(values found: {', '.join(found)}); expected 0/1 or True/False"
        )
    return values.astype(float)


def usable_rows(df: pd.DataFrame, columns: Sequence[str], *, source: str) -> pd.DataFrame:
    """Rows with no missing value in ``columns``; DataError if none are left."""
    require_columns(df, columns, source=source)
    kept = df.loc[df[list(columns)].notna().all(axis=1)]
    if kept.empty:
        worst = max(columns, key=lambda c: int(df[c].isna().sum()))
        raise DataError(
            f"no usable rows in {source}: every row has a missing value (column {worst!r} is "
            f"missing in {int(df[worst].isna().sum())} of {len(df)} rows); expected complete rows"
        )
    return kept


def covariate_matrix(df: pd.DataFrame, covariates: Sequence[str], *, source: str) -> pd.DataFrame:
    """Numeric covariates as floats and categorical ones as 0/1 dummies (first level dropped)."""
    if isinstance(covariates, str):
        raise ParameterError(
            f"covariates must be a list of column names; got the string {covariates!r}"
        )
    parts = []
    for name in covariates:
        col = df[name]
        if pd.api.types.is_numeric_dtype(col) or col.dtype == bool:
            parts.append(require_numeric(df, name, source=source).rename(name))
        else:
            dummies = pd.get_dummies(col.astype(str), prefix=name, drop_first=True, dtype=float)
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=df.index)
    return pd.concat(parts, axis=1)


def full_rank(x: pd.DataFrame, *, source: str) -> None:
    """DataError naming the columns that add nothing (no variation or collinear)."""
    values = x.to_numpy(dtype=float)
    rank = np.linalg.matrix_rank(values)
    if rank == values.shape[1]:
        return
    redundant = []
    for j, name in enumerate(x.columns):
        others = np.delete(values, j, axis=1)
        if np.linalg.matrix_rank(others) == rank:
            redundant.append(str(name))
    raise DataError(
        f"the design in {source} has no variation to estimate from: column(s) "
        f"{', '.join(map(repr, redundant))} are constant or a combination of others; "
        "expected each term to vary independently"
    )


def require_variation(values: pd.Series | np.ndarray, argument: str, column: str, *, source: str):
    """DataError if an outcome takes a single value (an estimate would be a meaningless 0)."""
    arr = np.asarray(values, dtype=float)
    if len(np.unique(arr)) < 2:
        raise DataError(
            f"{argument}={column!r} in {source} takes the single value {shown(arr[0])}; "
            "expected an outcome that varies"
        )


def launch_periods(
    data: pd.DataFrame, first_treated: str, period: pd.Series, time: str, *, source: str
) -> pd.Series:
    """The launch period of each row, checked to be one of the observed periods (or missing).

    Never-treated units have an empty launch period. (R's ``did`` codes them 0: replace that by
    missing.)
    """
    first = require_numeric(data, first_treated, source=source)
    periods = sorted(period.unique())
    odd = first.notna() & ~first.isin(periods)
    if odd.any():
        row = odd.idxmax()
        raise DataError(
            f"first_treated={first_treated!r} in {source}, row {row}: {shown(first.loc[row])} "
            f"is not a period in {time!r} ({periods[0]:g}..{periods[-1]:g}); expected the launch "
            "period, or an empty value for never-treated units (R's 0 code: replace it by missing)"
        )
    return first
