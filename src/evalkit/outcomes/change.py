"""Average levels and average change in an outcome's own units, with t intervals.

Effect sizes (:mod:`evalkit.outcomes.effect_sizes`) standardise a change; readers of a report also
need it in the outcome's own units (points on a scale, pounds of arrears, call-outs a year).
:func:`mean_change` gives the mean paired change with its interval; :func:`mean_level` the mean of
one set of readings. Neither is an impact estimate: change over time for the people served
includes whatever would have happened without the service.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from evalkit._results import Result
from evalkit.exceptions import DataError
from evalkit.outcomes._intervals import check_ci

__all__ = ["MeanResult", "mean_change", "mean_level"]


@dataclasses.dataclass(frozen=True)
class MeanResult(Result):
    """A mean (or a mean paired change) with its standard error and t interval.

    Attributes
    ----------
    estimate : float
        The mean of the readings, or of the paired changes (after - before).
    se : float
        Standard error, SD / sqrt(n).
    ci_low, ci_high : float
        Student's t interval at ``ci`` with n - 1 degrees of freedom.
    n : int
        Readings (or people with both readings).
    mean_before, mean_after : float
        The two means for a change (``mean_before`` is NaN for a level).
    kind : str
        ``"change"`` or ``"level"``.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    mean_before: float
    mean_after: float
    kind: str
    ci: float
    method: str
    outcome: str = "the outcome"

    def summary(self) -> str:
        pct = f"{self.ci:.0%}"
        if self.kind == "level":
            return (
                f"The average {self.outcome} was {self.estimate:.2f} across {self.n} readings "
                f"({pct} interval {self.ci_low:.2f} to {self.ci_high:.2f})."
            )
        return (
            f"The average {self.outcome} went from {self.mean_before:.2f} to "
            f"{self.mean_after:.2f}, a change of {self.estimate:+.2f} ({pct} interval "
            f"{self.ci_low:+.2f} to {self.ci_high:+.2f}) across {self.n} people. This is change "
            "over time, not an estimate of what the service caused."
        )


def _interval(values: np.ndarray, ci: float) -> tuple[float, float, float, float]:
    from scipy import stats

    n = values.size
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(n))
    t = float(stats.t.ppf(0.5 + ci / 2, n - 1))
    return mean, se, mean - t * se, mean + t * se


def _numbers(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name}: expected numbers") from None


def mean_change(
    before: Any, after: Any, *, ci: float = 0.95, outcome: str = "the outcome"
) -> MeanResult:
    """Mean paired change (after - before) with a Student's t interval.

    Parameters
    ----------
    before, after : array-like
        Readings for the same people in the same order; pairs with either missing are left out.
    ci : float
        Confidence level.
    outcome : str
        What is measured, for the summary.

    Notes
    -----
    With differences :math:`d_i = y_i - x_i`, the estimate is :math:`\\bar d`, its standard
    error :math:`s_d / \\sqrt n` and the interval :math:`\\bar d \\pm t_{n-1, 1-\\alpha/2}\\,
    s_d/\\sqrt n`: the paired t interval (Student 1908), as ``scipy.stats.ttest_rel`` gives it.
    """
    ci = check_ci(ci)
    x, y = _numbers(before, "before"), _numbers(after, "after")
    if x.shape != y.shape:
        raise DataError(f"before and after must pair up; got {x.size} and {y.size} readings")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 2:
        raise DataError(f"{outcome}: {x.size} people with both readings; expected at least 2")
    mean, se, low, high = _interval(y - x, ci)
    return MeanResult(
        estimate=mean,
        se=se,
        ci_low=low,
        ci_high=high,
        n=int(x.size),
        mean_before=float(x.mean()),
        mean_after=float(y.mean()),
        kind="change",
        ci=ci,
        method=f"mean paired change with a {ci:.0%} Student's t interval",
        outcome=outcome,
    )


def mean_level(values: Any, *, ci: float = 0.95, outcome: str = "the outcome") -> MeanResult:
    """Mean of one set of readings with a Student's t interval (missing values left out)."""
    ci = check_ci(ci)
    y = _numbers(values, "values")
    y = y[~np.isnan(y)]
    if y.size < 2:
        raise DataError(f"{outcome}: {y.size} readings; expected at least 2")
    mean, se, low, high = _interval(y, ci)
    return MeanResult(
        estimate=mean,
        se=se,
        ci_low=low,
        ci_high=high,
        n=int(y.size),
        mean_before=float("nan"),
        mean_after=mean,
        kind="level",
        ci=ci,
        method=f"mean with a {ci:.0%} Student's t interval",
        outcome=outcome,
    )
