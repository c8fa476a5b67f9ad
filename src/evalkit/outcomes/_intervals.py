"""Interval machinery shared by the outcome measures (private).

Two interval families are used throughout :mod:`evalkit.outcomes`:

- the Wilson score interval for a proportion (Wilson 1927, doi:10.1080/01621459.1927.10502953);
- confidence limits for a noncentrality parameter, found by inverting the noncentral t
  distribution (Steiger and Fouladi 1997; Cumming and Finch 2001, doi:10.1177/0013164401614001).

Both are vectorised so that per-locality summaries compute every group's interval in one call.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.optimize import elementwise

from evalkit._validate import require_in_range
from evalkit.exceptions import ParameterError

__all__ = ["check_ci", "noncentral_t_limits", "wilson_interval", "z_value"]


def check_ci(ci: float) -> float:
    """Return the confidence level if it lies strictly between 0 and 1."""
    return require_in_range("ci", ci, 0.0, 1.0, inclusive=(False, False))


def z_value(ci: float) -> float:
    """The two-sided standard normal critical value for confidence level ``ci``."""
    return float(stats.norm.ppf(0.5 + check_ci(ci) / 2))


def wilson_interval(
    successes: np.ndarray | float, n: np.ndarray | float, ci: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for ``successes`` out of ``n`` (arrays broadcast).

    Limits are (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n); groups with n = 0
    have no interval and raise, since a silent NaN would hide them.
    """
    s = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(m <= 0):
        raise ParameterError(
            "n must be at least 1 for a Wilson interval; got n = 0 for at least one group"
        )
    z = z_value(ci)
    p = s / m
    centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
    half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
    # the limits are exactly 0 (no successes) and 1 (all successes); keep rounding out
    low = np.where(s == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(s == m, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def _cdf_gap(ncp: np.ndarray, t: np.ndarray, df: np.ndarray, p: float) -> np.ndarray:
    return stats.nct.cdf(t, df, ncp) - p


def noncentral_t_limits(
    t: np.ndarray | float, df: np.ndarray | float, ci: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for the noncentrality parameter of an observed t statistic.

    The lower limit is the noncentrality at which the observed t is the (1 + ci)/2 quantile,
    the upper limit the one at which it is the (1 - ci)/2 quantile. Each root is bracketed
    and then found by Chandrupatla's method (``scipy.optimize.elementwise``), element by
    element, so that many groups are solved in one vectorised call.
    """
    level = check_ci(ci)
    t_arr, df_arr = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    limits = []
    for p in ((1 + level) / 2, (1 - level) / 2):
        bracket = elementwise.bracket_root(_cdf_gap, t_arr, args=(t_arr, df_arr, p))
        root = elementwise.find_root(
            _cdf_gap, (bracket.bracket[0], bracket.bracket[1]), args=(t_arr, df_arr, p)
        )
        if not np.all(bracket.success & root.success):
            raise ParameterError(
                f"the noncentral t interval did not converge for t = {t_arr!r}, df = {df_arr!r}"
            )
        limits.append(root.x)
    return limits[0], limits[1]
