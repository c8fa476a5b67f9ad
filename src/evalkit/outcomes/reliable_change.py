"""Reliable and clinically significant change for individuals (Jacobson and Truax 1991)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import as_numeric_array, require_in_range
from evalkit.exceptions import DataError, ParameterError

__all__ = [
    "CATEGORIES",
    "ClinicalCutoffs",
    "ReliableChangeResult",
    "clinical_cutoffs",
    "rc_categories",
    "reliable_change",
]

#: The four outcome categories, best first.
CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")
#: The two-sided 5% criterion of Jacobson and Truax: |RC| > 1.96 is reliable change.
CRITERION = 1.96


@dataclasses.dataclass(frozen=True)
class ClinicalCutoffs(Result):
    """Jacobson and Truax's cut-offs a, b and c between dysfunctional and functional ranges."""

    a: float
    b: float | None
    c: float | None
    higher_is_better: bool
    method: str

    def summary(self) -> str:
        side = "at or above" if self.higher_is_better else "at or below"
        best = self.c if self.c is not None else self.a
        name = "c" if self.c is not None else "a"
        return (
            f"A score {side} {best:.1f} (cut-off {name}) counts as being in the functional range."
        )


def clinical_cutoffs(
    *,
    mean_dysfunctional: float,
    sd_dysfunctional: float,
    mean_functional: float | None = None,
    sd_functional: float | None = None,
    higher_is_better: bool = True,
) -> ClinicalCutoffs:
    """Cut-offs a, b and c of Jacobson and Truax (1991).

    Notes
    -----
    With direction sign s = +1 when higher scores are better (-1 otherwise):
    a = m_dys + 2 s s_dys (two SDs beyond the dysfunctional mean towards functioning);
    b = m_func - 2 s s_func (two SDs inside the functional range);
    c = (s_dys m_func + s_func m_dys) / (s_dys + s_func), where the two distributions' weighted
    midpoint lies, preferred when functional norms exist. Jacobson and Truax (1991),
    doi:10.1037/0022-006X.59.1.12.
    """
    sign = 1.0 if higher_is_better else -1.0
    s_dys = require_in_range(
        "sd_dysfunctional", sd_dysfunctional, 0, np.inf, inclusive=(False, True)
    )
    m_dys = float(mean_dysfunctional)
    a = m_dys + 2 * sign * s_dys
    if (mean_functional is None) != (sd_functional is None):
        raise ParameterError(
            "mean_functional and sd_functional must be given together; "
            f"got mean_functional={mean_functional!r}, sd_functional={sd_functional!r}"
        )
    b = c = None
    if mean_functional is not None:
        s_func = require_in_range(
            "sd_functional", sd_functional, 0, np.inf, inclusive=(False, True)
        )
        m_func = float(mean_functional)
        b = m_func - 2 * sign * s_func
        c = (s_dys * m_func + s_func * m_dys) / (s_dys + s_func)
    return ClinicalCutoffs(
        a=a,
        b=b,
        c=c,
        higher_is_better=higher_is_better,
        method="Jacobson and Truax (1991) cut-offs a, b, c",
    )


def rc_categories(
    pre: np.ndarray,
    post: np.ndarray,
    s_diff: float,
    *,
    higher_is_better: bool,
    cutoff: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RC index, reliability flag and category for paired arrays without missing values."""
    rc = (post - pre) / s_diff
    toward_better = rc if higher_is_better else -rc
    reliable = np.abs(rc) > CRITERION
    category = np.full(rc.shape, "unchanged", dtype=object)
    category[toward_better > CRITERION] = "improved"
    category[toward_better < -CRITERION] = "deteriorated"
    if cutoff is not None:
        # distance from the cut-off, positive on the functional side
        sign = 1.0 if higher_is_better else -1.0
        crossed = (sign * (pre - cutoff) < 0) & (sign * (post - cutoff) >= 0)
        category[(toward_better > CRITERION) & crossed] = "recovered"
    return rc, reliable, category


@dataclasses.dataclass(frozen=True)
class ReliableChangeResult(Result):
    """Reliable change per person, with counts by category."""

    n: int
    n_incomplete: int
    threshold: float
    s_diff: float
    se_measurement: float
    sd: float
    reliability: float
    cutoff: float | None
    higher_is_better: bool
    recovered: int
    improved: int
    unchanged: int
    deteriorated: int
    method: str
    table: pd.DataFrame = dataclasses.field(repr=False)
    counts: dict[str, int] = dataclasses.field(repr=False)

    def summary(self) -> str:
        def share(k: int) -> str:
            return f"{k} ({k / self.n:.0%})"

        better = self.recovered + self.improved
        text = (
            f"Of {self.n} people with scores before and after, {share(better)} improved by more "
            f"than measurement error alone would explain (a change of more than "
            f"{self.threshold:.1f} points), {share(self.unchanged)} showed no reliable change "
            f"and {share(self.deteriorated)} reliably deteriorated."
        )
        if self.cutoff is not None:
            text += f" {share(self.recovered)} also moved into the functional range (recovered)."
        if self.n_incomplete:
            text += f" {self.n_incomplete} people without both scores are left out."
        return text + " This is change over time, not an impact estimate."


def reliable_change(
    pre: Any,
    post: Any,
    *,
    sd: float,
    reliability: float,
    higher_is_better: bool = True,
    cutoff: float | None = None,
) -> ReliableChangeResult:
    """Jacobson and Truax's reliable change index for each person.

    Parameters
    ----------
    pre, post : array-like
        Scores before and after for the same people, in the same order. People missing
        either score are left out and counted in ``n_incomplete``.
    sd : float
        Standard deviation of the measure at baseline (a published norm or the pre scores).
    reliability : float
        Test-retest (or internal consistency) reliability r, strictly between 0 and 1.
    higher_is_better : bool
        Direction of the measure; improvement is a reliable change in this direction.
    cutoff : float, optional
        Boundary of the functional range (e.g. :func:`clinical_cutoffs` c). When given,
        "recovered" means a reliable improvement that also crosses from the dysfunctional
        side of the cut-off into the functional range.

    Returns
    -------
    ReliableChangeResult
        ``threshold`` (the minimum reliable change in raw points, 1.96 S_diff), per-person
        ``table`` (pre, post, change, rc, reliable, category), ``counts`` by category.

    Notes
    -----
    SE = sd sqrt(1 - r); S_diff = sqrt(2) SE; RC = (x_post - x_pre) / S_diff; |RC| > 1.96 is
    reliable change (Jacobson and Truax 1991, doi:10.1037/0022-006X.59.1.12; the sqrt(2) term
    from Christensen and Mendoza 1986).

    Examples
    --------
    >>> result = reliable_change([24, 20, 30], [35, 21, 18], sd=10, reliability=0.9058)
    >>> round(result.threshold, 2)
    8.51
    >>> result.table["category"].tolist()
    ['improved', 'unchanged', 'deteriorated']
    """
    sd = require_in_range("sd", sd, 0, np.inf, inclusive=(False, False))
    r = require_in_range("reliability", reliability, 0.0, 1.0, inclusive=(False, False))
    x1 = as_numeric_array(pre, "pre")
    x2 = as_numeric_array(post, "post")
    if len(x1) != len(x2):
        raise ParameterError(
            f"pre and post must have one score per person each; got lengths {len(x1)} and {len(x2)}"
        )
    index = pre.index if isinstance(pre, pd.Series) else pd.RangeIndex(len(x1))
    keep = ~(np.isnan(x1) | np.isnan(x2))
    if not keep.any():
        raise DataError(f"no person has both a pre and a post score (all {len(x1)} incomplete)")
    se_m = sd * np.sqrt(1 - r)
    s_diff = np.sqrt(2) * se_m
    rc, reliable, category = rc_categories(
        x1[keep], x2[keep], s_diff, higher_is_better=higher_is_better, cutoff=cutoff
    )
    table = pd.DataFrame(
        {
            "pre": x1[keep],
            "post": x2[keep],
            "change": x2[keep] - x1[keep],
            "rc": rc,
            "reliable": reliable,
            "category": pd.Categorical(category, categories=CATEGORIES),
        },
        index=index[keep],
    )
    counts = {c: int((category == c).sum()) for c in CATEGORIES}
    return ReliableChangeResult(
        n=int(keep.sum()),
        n_incomplete=int((~keep).sum()),
        threshold=float(CRITERION * s_diff),
        s_diff=float(s_diff),
        se_measurement=float(se_m),
        sd=sd,
        reliability=r,
        cutoff=None if cutoff is None else float(cutoff),
        higher_is_better=higher_is_better,
        method=(
            "Jacobson and Truax (1991) reliable change index, S_diff = sqrt(2) sd sqrt(1 - r), "
            "|RC| > 1.96"
            + (
                "; recovered = reliable improvement crossing the cut-off"
                if cutoff is not None
                else ""
            )
        ),
        table=table,
        counts=counts,
        **counts,
    )
