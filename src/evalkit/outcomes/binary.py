"""Binary outcomes measured twice on the same people: McNemar's test and the paired difference."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy import stats

from evalkit._results import Result
from evalkit._validate import as_numeric_array
from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes._intervals import check_ci, wilson_interval

__all__ = ["EXACT_BELOW", "PairedBinaryResult", "paired_binary"]

#: With fewer discordant pairs than this, the exact binomial test is used (exact=None).
EXACT_BELOW = 25


@dataclasses.dataclass(frozen=True)
class PairedBinaryResult(Result):
    """McNemar's test and the paired difference in proportions (after minus before)."""

    n: int
    a: int
    b: int
    c: int
    d: int
    before: float
    after: float
    statistic: float
    p_value: float
    difference: float
    ci_low: float
    ci_high: float
    ci: float
    exact: bool
    method: str

    def summary(self) -> str:
        change = "rose" if self.difference > 0 else "fell" if self.difference < 0 else "stayed"
        amount = (
            f" by {abs(self.difference) * 100:.1f} percentage points" if self.difference else ""
        )
        return (
            f"The share with the outcome {change}{amount}, from {self.before:.0%} to "
            f"{self.after:.0%} among {self.n} people ({self.ci:.0%} CI "
            f"{self.ci_low * 100:.1f} to {self.ci_high * 100:.1f} points; McNemar p = "
            f"{self.p_value:.3g}). {self.c} people gained the outcome and {self.b} lost it. "
            "This is change over time, not an impact estimate."
        )


def _as_binary(values: Any, name: str) -> np.ndarray:
    arr = as_numeric_array(values, name)
    bad = ~np.isnan(arr) & ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{name}, row {row}: value {float(arr[row])!r} is not binary; expected 0 or 1"
        )
    return arr


def _newcombe_phi(a: int, b: int, c: int, d: int) -> float:
    """Newcombe's (1998) corrected phi: ad - bc is reduced by n/2 towards 0 when positive."""
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    cross = a * d - b * c
    if cross > n / 2:
        cross -= n / 2
    elif cross >= 0:
        cross = 0
    return float(cross / np.sqrt(margins))


def paired_binary(
    before: Any, after: Any, *, exact: bool | None = None, ci: float = 0.95
) -> PairedBinaryResult:
    """McNemar's test and a score interval for the paired difference in proportions.

    Parameters
    ----------
    before, after : array-like of 0/1
        The outcome for the same people before and after (1 = has the outcome). People
        missing either value are left out.
    exact : bool or None
        True: exact binomial test on the discordant pairs; False: chi-square with continuity
        correction; None (default): exact when b + c < 25.
    ci : float
        Confidence level of the interval for the difference.

    Notes
    -----
    Cells: a = (1, 1), b = (1 before, 0 after), c = (0 before, 1 after), d = (0, 0), n pairs.
    Exact: p = min(1, 2 P(X <= min(b, c))), X ~ Bin(b + c, 1/2); statistic = min(b, c).
    Chi-square: X^2 = (|b - c| - 1)^2 / (b + c) on 1 df (Edwards' continuity correction).
    Difference: (c - b) / n = p_after - p_before, with Newcombe's (1998) method 10 interval
    (doi:10.1002/(SICI)1097-0258(19981130)17:22<2635::AID-SIM954>3.0.CO;2-C): Wilson limits
    (l1, u1) for p_before and (l2, u2) for p_after, combined with Newcombe's corrected phi
    coefficient phi = A / sqrt((a+b)(c+d)(a+c)(b+d)), where A = ad - bc - n/2 if
    ad - bc > n/2, A = 0 if 0 <= ad - bc <= n/2, A = ad - bc if negative (phi = 0 when a
    margin is empty); also called the square-and-add (MOVER) interval:
    L = D - sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2),
    U = D + sqrt((u2 - p2)^2 - 2 phi (u2 - p2)(p1 - l1) + (p1 - l1)^2).

    Examples
    --------
    >>> result = paired_binary([1, 1, 0, 0, 0, 0], [1, 0, 1, 1, 1, 0])
    >>> (result.b, result.c, round(result.difference, 3), result.exact)
    (1, 3, 0.333, True)
    """
    ci = check_ci(ci)
    x1, x2 = _as_binary(before, "before"), _as_binary(after, "after")
    if len(x1) != len(x2):
        raise ParameterError(
            f"before and after must have one value per person; got lengths {len(x1)} and {len(x2)}"
        )
    keep = ~(np.isnan(x1) | np.isnan(x2))
    x1, x2 = x1[keep], x2[keep]
    n = len(x1)
    if n == 0:
        raise DataError("no person has both a before and an after value")
    a = int(((x1 == 1) & (x2 == 1)).sum())
    b = int(((x1 == 1) & (x2 == 0)).sum())
    c = int(((x1 == 0) & (x2 == 1)).sum())
    d = n - a - b - c
    use_exact = (b + c < EXACT_BELOW) if exact is None else bool(exact)
    if use_exact:
        statistic = float(min(b, c))
        p_value = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
        test = "McNemar exact binomial test (two-sided)"
    else:
        if b + c == 0:
            raise DataError("no discordant pairs (b + c = 0): the chi-square test is undefined")
        statistic = (abs(b - c) - 1) ** 2 / (b + c)
        p_value = float(stats.chi2.sf(statistic, 1))
        test = "McNemar chi-square test with continuity correction"
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, l2), (u1, u2) = wilson_interval(np.array([a + b, a + c]), n, ci)
    phi = _newcombe_phi(a, b, c, d)
    diff = p2 - p1
    lower = diff - np.sqrt(
        max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0)
    )
    upper = diff + np.sqrt(
        max((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2, 0)
    )
    return PairedBinaryResult(
        n=n,
        a=a,
        b=b,
        c=c,
        d=d,
        before=p1,
        after=p2,
        statistic=float(statistic),
        p_value=min(p_value, 1.0),
        difference=float(diff),
        ci_low=float(lower),
        ci_high=float(upper),
        ci=ci,
        exact=use_exact,
        method=(
            f"{test}; difference after minus before with Newcombe (1998) method 10 "
            "square-and-add score interval (Wilson limits combined with the corrected phi)"
        ),
    )
