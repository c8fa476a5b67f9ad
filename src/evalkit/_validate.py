"""Small input checks shared by every room of evalkit.

Each check raises an :class:`~evalkit.exceptions.EvalkitError` subclass whose message names the
argument or column, the value found and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, ParameterError

__all__ = [
    "as_numeric_array",
    "require_choice",
    "require_columns",
    "require_in_range",
    "require_numeric",
    "require_probability",
]


def _where(source: str | None) -> str:
    return f" in {source}" if source else ""


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, source: str | None = None) -> None:
    """Raise DataError naming every column of ``columns`` that ``df`` lacks."""
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:20]))
        raise DataError(
            f"missing column(s) {', '.join(map(repr, missing))}{_where(source)}; "
            f"expected them among the columns, found: {have}"
        )


def require_numeric(
    df: pd.DataFrame, column: str, *, source: str | None = None, allow_missing: bool = True
) -> pd.Series:
    """Return ``df[column]`` as floats, or raise DataError naming the first bad row and value."""
    require_columns(df, [column], source=source)
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        row = bad.idxmax()
        raise DataError(
            f"column {column!r}{_where(source)}, row {row}: value {raw.loc[row]!r} is not a number; "
            "expected a numeric score"
        )
    if not allow_missing and values.isna().any():
        row = values.isna().idxmax()
        raise DataError(f"column {column!r}{_where(source)}, row {row}: value is missing")
    return values.astype(float)


def as_numeric_array(values: Any, name: str) -> np.ndarray:
    """Convert a sequence or Series to a float array, or raise ParameterError naming ``name``."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        sample = list(values)[:3] if isinstance(values, Sequence | pd.Series) else values
        raise ParameterError(f"{name} must be numeric; got values such as {sample!r}") from None
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def require_in_range(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    inclusive: tuple[bool, bool] = (True, True),
) -> float:
    """Return ``value`` as float if it lies within [low, high] (ends as ``inclusive`` says)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number; got {value!r}") from None
    lo_ok = v >= low if inclusive[0] else v > low
    hi_ok = v <= high if inclusive[1] else v < high
    if not (lo_ok and hi_ok) or np.isnan(v):
        lb = "[" if inclusive[0] else "("
        rb = "]" if inclusive[1] else ")"
        raise ParameterError(f"{name} must lie in {lb}{low}, {high}{rb}; got {value!r}")
    return v


def require_probability(name: str, value: float) -> float:
    """Return ``value`` if it is a share in [0, 1]; raise ParameterError otherwise."""
    return require_in_range(name, value, 0.0, 1.0)


def require_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; raise ParameterError listing them otherwise."""
    options = list(choices)
    if value not in options:
        raise ParameterError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
        )
    return value
