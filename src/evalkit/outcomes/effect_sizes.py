"""Standardised mean differences with noncentral-t confidence intervals.

Which "Cohen's d" is reported matters: the same data give d_z = 1.50 and d_av = 1.13 in
Lakens' (2013) worked example. :func:`effect_size` makes the variant an explicit argument and
names it, with its interval method, in the result.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
from scipy import special

from evalkit._results import Result
from evalkit._validate import as_numeric_array, require_choice
from evalkit.exceptions import ParameterError
from evalkit.outcomes._intervals import check_ci, noncentral_t_limits

__all__ = ["EffectSizeResult", "effect_size", "hedges_j", "magnitude"]

Kind = Literal["d_s", "g", "glass", "d_z", "d_av", "d_rm"]
INDEPENDENT_KINDS = ("d_s", "g", "glass")
PAIRED_KINDS = ("d_z", "d_av", "d_rm")

_NAMES = {
    "d_s": "Cohen's d_s (pooled SD, independent groups)",
    "g": "Hedges' g (pooled SD, exact small-sample correction J)",
    "glass": "Glass's delta (SD of the first, comparison group)",
    "d_z": "Cohen's d_z (mean change / SD of the changes, paired)",
    "d_av": "Cohen's d_av (mean change / average of the two SDs, paired)",
    "d_rm": "Cohen's d_rm (repeated measures, corrected for the pre-post correlation)",
}


def magnitude(d: float) -> str:
    """Rough plain-English size of a standardised difference (after Cohen 1988)."""
    size = abs(d)
    if size < 0.1:
        return "negligible"
    if size < 0.3:
        return "small"
    if size < 0.5:
        return "small-to-moderate"
    if size < 0.8:
        return "moderate"
    return "large"


def hedges_j(df: float | np.ndarray) -> float | np.ndarray:
    """Exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)).

    Computed on the log scale (``gammaln``) so that it stays finite for large df.
    """
    df = np.asarray(df, dtype=float)
    j = np.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / np.sqrt(df / 2)
    return float(j) if j.ndim == 0 else j


@dataclasses.dataclass(frozen=True)
class EffectSizeResult(Result):
    """A standardised mean difference with its confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    kind: str
    n: int
    ci: float
    mean_difference: float
    design: str
    method: str
    outcome: str = "the score"

    def summary(self) -> str:
        pct = f"{self.ci:.0%}"
        stats_text = (
            f"{self.kind} = {self.estimate:.2f}, {pct} CI {self.ci_low:.2f} to {self.ci_high:.2f}"
        )
        size = magnitude(self.estimate)
        amount = abs(self.mean_difference)
        subject = self.outcome[:1].upper() + self.outcome[1:]
        if self.design == "paired":
            verb = "rose" if self.mean_difference > 0 else "fell"
            if self.mean_difference == 0:
                verb, amount_text = "did not change", ""
            else:
                amount_text = f" by {amount:.1f} points"
            return (
                f"{subject} {verb}{amount_text} on average across {self.n} people "
                f"({stats_text}): a {size} change. "
                "This is change over time, not an impact estimate."
            )
        direction = "higher" if self.mean_difference >= 0 else "lower"
        return (
            f"The second group's {self.outcome} was {amount:.1f} points {direction} on average "
            f"than the first group's ({stats_text}; {self.n} people): a {size} difference. "
            "A difference between groups shows the effect of a service only if the groups "
            "were otherwise comparable."
        )


def _independent(x: np.ndarray, y: np.ndarray, kind: str, ci: float) -> dict[str, Any]:
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    n1, n2 = len(x), len(y)
    if n1 < 2 or n2 < 2:
        raise ParameterError(
            f"kind={kind!r} needs at least 2 non-missing values in each group; got x: {n1}, y: {n2}"
        )
    diff = float(y.mean() - x.mean())
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    scale = np.sqrt(v1) if kind == "glass" else pooled
    if scale == 0:
        which = "x (the first group)" if kind == "glass" else "x and y"
        raise ParameterError(f"the standard deviation of {which} is 0; expected some variation")
    d = diff / scale
    if kind == "glass":
        # Algina, Keselman and Penfield (2006): Var(t) scale allows for unequal variances
        df, h = n1 - 1, 1 / n1 + v2 / (n2 * v1)
        interval = "noncentral t inversion (t = delta / sqrt(1/n1 + s2^2/(n2 s1^2)), df = n1 - 1)"
    else:
        df, h = n1 + n2 - 2, 1 / n1 + 1 / n2
        interval = f"noncentral t inversion (t = d / sqrt(1/n1 + 1/n2), df = {df})"
    root = 1 / np.sqrt(h)
    lo, hi = noncentral_t_limits(d * root, df, ci)
    lo, hi = float(lo[()]) / root, float(hi[()]) / root
    se = np.sqrt(h + d**2 / (2 * df))
    if kind == "g":
        j = hedges_j(n1 + n2 - 2)
        d, lo, hi, se = d * j, lo * j, hi * j, se * j
        interval += ", limits multiplied by J"
    return {
        "estimate": d,
        "ci_low": lo,
        "ci_high": hi,
        "se": se,
        "n": n1 + n2,
        "mean_difference": diff,
        "design": "independent",
        "interval": interval,
    }


def _paired(x: np.ndarray, y: np.ndarray | None, kind: str, ci: float) -> dict[str, Any]:
    if y is None:
        if kind != "d_z":
            raise ParameterError(
                f"kind={kind!r} needs pre (x) and post (y) scores of the same people; "
                "got y=None (only d_z can be computed from change scores alone)"
            )
        change = x[~np.isnan(x)]
        pre = post = None
    else:
        if len(x) != len(y):
            raise ParameterError(
                f"paired kind {kind!r} needs x and y of equal length (one pair per person); "
                f"got {len(x)} and {len(y)}"
            )
        keep = ~(np.isnan(x) | np.isnan(y))
        pre, post = x[keep], y[keep]
        change = post - pre
    n = len(change)
    if n < 3 if kind == "d_rm" else n < 2:
        raise ParameterError(
            f"kind={kind!r} needs at least {3 if kind == 'd_rm' else 2} complete pairs; got {n}"
        )
    sd_change = change.std(ddof=1)
    if sd_change == 0:
        raise ParameterError("the changes have standard deviation 0; expected some variation")
    mean_change = float(change.mean())
    d_z = mean_change / sd_change
    lo, hi = noncentral_t_limits(d_z * np.sqrt(n), n - 1, ci)
    lo, hi = float(lo[()]) / np.sqrt(n), float(hi[()]) / np.sqrt(n)
    se = np.sqrt(1 / n + d_z**2 / (2 * n))
    factor, interval = 1.0, f"noncentral t inversion of the paired t (df = {n - 1})"
    if kind == "d_av":
        s_av = (pre.std(ddof=1) + post.std(ddof=1)) / 2
        factor = sd_change / s_av
        interval += ", limits rescaled from d_z by SD_change / SD_av"
    elif kind == "d_rm":
        r = float(np.corrcoef(pre, post)[0, 1])
        factor = np.sqrt(2 * (1 - r))
        interval += f", limits rescaled from d_z by sqrt(2(1 - r)), r = {r:.3f}"
    return {
        "estimate": d_z * factor,
        "ci_low": lo * factor,
        "ci_high": hi * factor,
        "se": se * factor,
        "n": n,
        "mean_difference": mean_change,
        "design": "paired",
        "interval": interval,
    }


def effect_size(
    x: Any,
    y: Any = None,
    *,
    kind: Kind,
    ci: float = 0.95,
    outcome: str = "the score",
) -> EffectSizeResult:
    """Standardised mean difference of a named kind, with a noncentral-t confidence interval.

    Parameters
    ----------
    x, y : array-like
        Independent kinds (``"d_s"``, ``"g"``, ``"glass"``): ``x`` is the first (comparison)
        group and ``y`` the second; the difference is ``mean(y) - mean(x)``. Missing values are
        dropped within each group. Paired kinds (``"d_z"``, ``"d_av"``, ``"d_rm"``): ``x`` is
        the score before and ``y`` the score after for the same people, in the same order;
        the change is ``y - x`` and incomplete pairs are dropped. For ``"d_z"`` alone, ``y``
        may be omitted and ``x`` holds the changes.
    kind : {"d_s", "g", "glass", "d_z", "d_av", "d_rm"}
        The variant; see Notes. No default: peers disagree silently about which d they mean.
    ci : float
        Confidence level of the interval.
    outcome : str
        Name of the measure, used in :meth:`EffectSizeResult.summary`.

    Returns
    -------
    EffectSizeResult
        ``estimate``, ``ci_low``, ``ci_high``, ``se`` (large-sample), ``kind``, ``n`` (people),
        ``mean_difference`` (raw points) and ``method`` naming the variant and the interval.

    Notes
    -----
    With means M1 (x) and M2 (y), SDs s1 and s2, group sizes n1 and n2, changes D = y - x
    with mean M_D and SD s_D, and pre-post correlation r:

    - ``d_s`` = (M2 - M1) / s_p, s_p = sqrt(((n1-1)s1^2 + (n2-1)s2^2) / (n1+n2-2)).
      Interval: t = d_s / sqrt(1/n1 + 1/n2) with df = n1+n2-2; the noncentrality limits
      are found by inverting the noncentral t and multiplied by sqrt(1/n1 + 1/n2).
      SE = sqrt((n1+n2)/(n1 n2) + d^2 / (2(n1+n2-2))).
    - ``g`` = J d_s with the exact J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)),
      df = n1+n2-2 (Hedges 1981, doi:10.3102/10769986006002107); the limits and SE of d_s
      are multiplied by J.
    - ``glass`` = (M2 - M1) / s1 (s1: SD of the first, comparison group). Interval: t =
      delta / sqrt(h), h = 1/n1 + s2^2 / (n2 s1^2), df = n1 - 1, limits times sqrt(h)
      (Algina, Keselman and Penfield 2006, doi:10.1177/0013164405278548);
      SE = sqrt(h + delta^2 / (2(n1 - 1))).
    - ``d_z`` = M_D / s_D. Interval: t = d_z sqrt(n), df = n - 1, limits divided by sqrt(n).
      SE = sqrt(1/n + d_z^2/(2n)).
    - ``d_av`` = M_D / ((s1 + s2)/2). Interval and SE: those of d_z multiplied by
      s_D / ((s1 + s2)/2), i.e. the paired t-test's noncentral interval on the d_av scale.
    - ``d_rm`` = M_D / sqrt(s1^2 + s2^2 - 2 r s1 s2) x sqrt(2(1 - r)) = d_z sqrt(2(1 - r)).
      Interval and SE: those of d_z multiplied by sqrt(2(1 - r)).

    The noncentral t inversion follows Steiger and Fouladi (1997) and Cumming and Finch (2001,
    doi:10.1177/0013164401614001). Formulas for the paired kinds follow Lakens (2013,
    doi:10.3389/fpsyg.2013.00863). A before/after effect size describes change over time; it
    is not an estimate of the impact of a service.

    Examples
    --------
    >>> pre = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
    >>> post = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> round(effect_size(post, pre, kind="d_z").estimate, 2)
    1.5
    """
    require_choice("kind", kind, INDEPENDENT_KINDS + PAIRED_KINDS)
    ci = check_ci(ci)
    x_arr = as_numeric_array(x, "x")
    y_arr = None if y is None else as_numeric_array(y, "y")
    if kind in INDEPENDENT_KINDS:
        if y_arr is None:
            raise ParameterError(
                f"kind={kind!r} compares two independent groups; y (the second group) is missing"
            )
        parts = _independent(x_arr, y_arr, kind, ci)
    else:
        parts = _paired(x_arr, y_arr, kind, ci)
    interval = parts.pop("interval")
    return EffectSizeResult(
        **{k: (float(v) if isinstance(v, float | np.floating) else v) for k, v in parts.items()},
        kind=kind,
        ci=ci,
        method=f"{_NAMES[kind]}; {ci:.0%} CI by {interval}",
        outcome=outcome,
    )
