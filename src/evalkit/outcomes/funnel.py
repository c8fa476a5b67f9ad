"""Funnel plot control limits for comparing localities' rates without league tables.

A funnel plot shows each locality's rate against the number of people it served, with control
limits around the overall (target) rate that narrow as the number grows. A locality outside the
99.8% limits is unlikely to differ from the target by chance alone; inside them, differences are
consistent with chance, whatever its rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit._validate import as_numeric_array, require_probability
from evalkit.exceptions import ParameterError

__all__ = [
    "estimate_limits",
    "estimate_position",
    "funnel_limits",
    "funnel_position",
    "pooled_estimate",
]


def funnel_limits(
    target: float, n: Sequence[float] | np.ndarray, levels: Sequence[float] = (0.95, 0.998)
) -> pd.DataFrame:
    """Exact binomial control limits for a proportion around ``target`` at each size ``n``.

    Returns a DataFrame with column ``n`` and, for each level L, ``lower_L`` and ``upper_L``
    (for example ``lower_0.95``, ``upper_0.998``), as proportions.

    Notes
    -----
    Spiegelhalter (2005), "Funnel plots for comparing institutional performance", Statistics in
    Medicine 24:1185-1202, doi:10.1002/sim.1970, Appendix A.1.1: for a two-sided level L, the
    limit at probability p (p = (1 - L)/2 for the lower, (1 + L)/2 for the upper) is
    :math:`(r_p - \\alpha)/n`, where :math:`r_p` is the p-quantile of Binomial(n, target) and
    :math:`\\alpha = (F(r_p) - p)/(F(r_p) - F(r_p - 1))` interpolates the discrete distribution,
    so the limits are smooth in n. For large n they approach the normal limits
    :math:`target \\pm z_p \\sqrt{target(1-target)/n}`.
    """
    target = require_probability("target", target)
    if not 0 < target < 1:
        raise ParameterError(f"target must lie strictly between 0 and 1; got {target!r}")
    sizes = as_numeric_array(n, "n")
    if np.any(sizes < 1) or np.any(sizes != np.round(sizes)):
        raise ParameterError(f"n must hold whole numbers of at least 1; got {sizes.tolist()[:5]!r}")
    out = pd.DataFrame({"n": sizes.astype(int)})
    for level in levels:
        require_probability("level", level)
        for side, p in (("lower", (1 - level) / 2), ("upper", (1 + level) / 2)):
            r = stats.binom.ppf(p, sizes, target)
            f_r = stats.binom.cdf(r, sizes, target)
            f_below = stats.binom.cdf(r - 1, sizes, target)
            alpha = np.where(
                f_r > f_below, (f_r - p) / np.where(f_r > f_below, f_r - f_below, 1), 0
            )
            out[f"{side}_{level:g}"] = np.clip((r - alpha) / sizes, 0, 1)
    return out


def _position(value: float, limits: pd.Series, level: float) -> str:
    """'above', 'below' or 'within' one row of limits at ``level``."""
    if value > limits[f"upper_{level:g}"]:
        return "above"
    if value < limits[f"lower_{level:g}"]:
        return "below"
    return "within"


def funnel_position(rate: float, n: int, target: float, level: float = 0.998) -> str:
    """'above', 'below' or 'within' the funnel's limits at ``level`` for one locality."""
    return _position(rate, funnel_limits(target, [n], levels=(level,)).iloc[0], level)


def pooled_estimate(estimates: Sequence[float], ses: Sequence[float]) -> tuple[float, float]:
    """The fixed-effect (inverse-variance weighted) mean of estimates and its standard error.

    :math:`\\hat\\theta = \\sum w_i y_i / \\sum w_i` with :math:`w_i = 1/s_i^2`, and
    :math:`SE(\\hat\\theta) = 1/\\sqrt{\\sum w_i}` (Borenstein et al. 2009, *Introduction to
    Meta-Analysis*, chapter 11). Used as the target of a funnel plot of estimates.
    """
    y = as_numeric_array(estimates, "estimates")
    s = as_numeric_array(ses, "ses")
    if y.shape != s.shape or y.size == 0:
        raise ParameterError("estimates and ses must be non-empty and of the same length")
    if np.any(s <= 0):
        raise ParameterError(f"standard errors must be positive; got {s.tolist()[:5]!r}")
    w = 1 / s**2
    return float(np.sum(w * y) / np.sum(w)), float(1 / np.sqrt(np.sum(w)))


def estimate_limits(
    target: float, se: Sequence[float] | np.ndarray, levels: Sequence[float] = (0.95, 0.998)
) -> pd.DataFrame:
    """Normal control limits ``target ± z * se`` for an estimate with standard error ``se``.

    Spiegelhalter (2005), section 2 and Appendix A.3: for an indicator with a normal sampling
    distribution, the funnel's limits at two-sided level L are :math:`\\theta_0 \\pm z_{(1+L)/2}
    s`, plotted against the precision :math:`1/s`. Returns columns ``se`` and ``lower_L``,
    ``upper_L`` for each level.
    """
    s = as_numeric_array(se, "se")
    out = pd.DataFrame({"se": s})
    for level in levels:
        z = float(stats.norm.ppf((1 + require_probability("level", level)) / 2))
        out[f"lower_{level:g}"] = target - z * s
        out[f"upper_{level:g}"] = target + z * s
    return out


def estimate_position(estimate: float, se: float, target: float, level: float = 0.998) -> str:
    """'above', 'below' or 'within' an estimate's funnel limits at ``level``."""
    return _position(estimate, estimate_limits(target, [se], levels=(level,)).iloc[0], level)
