"""Staggered roll-out: Callaway and Sant'Anna group-time effects and their aggregations.

Localities that launch at different times make the usual two-way fixed-effects DiD compare
late launchers with early ones already treated, which can even flip the sign of the effect.
Callaway and Sant'Anna (2021) estimate one effect per launch cohort g and period t, ATT(g,t),
each against units not (yet) treated, and then average them. evalkit does not re-implement the
estimator: it calls the ``differences`` package (a port of the R ``did`` package, matching it
on the package's own example data ``mpdta``; see ``tests/test_impact_staggered.py``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit._validate import require_choice, require_columns, require_numeric
from evalkit.exceptions import DataError, EvalkitError, ParameterError, StatisticalWarning
from evalkit.impact._design import launch_periods, shown, usable_rows
from evalkit.impact.evidence import evidence_rating
from evalkit.impact.result import (
    ImpactResult,
    check_finite,
    fmt,
    require_alpha,
)

__all__ = ["ESTIMATION_METHODS", "StaggeredResult", "staggered_did"]

#: evalkit name -> (``differences`` est_method, plain description).
ESTIMATION_METHODS = {
    "dr": ("dr", "doubly robust (Sant'Anna and Zhao 2020)"),
    "reg": ("reg", "outcome regression"),
    "ipw": ("std_ipw", "normalised inverse probability weighting"),
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class StaggeredResult(ImpactResult):
    """The simple aggregated ATT (headline) with the group-time effects and other aggregations.

    Attributes
    ----------
    att_gt : DataFrame
        ``group`` (launch period), ``time``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``post`` (True once the group has launched; earlier rows are placebo effects).
    dynamic : DataFrame
        Event-time aggregation: ``event_time``, ``estimate``, ``se``, ``ci_low``, ``ci_high``
        (for an event-study plot).
    groups : DataFrame
        Group aggregation: ``group``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.
    dynamic_overall, group_overall : ImpactResult
        The average of the event-time effects from launch on, and of the group effects.
    """

    att_gt: pd.DataFrame
    dynamic: pd.DataFrame
    groups: pd.DataFrame
    dynamic_overall: ImpactResult
    group_overall: ImpactResult

    def summary(self) -> str:
        after = self.dynamic[self.dynamic["event_time"] >= 0]
        lines = [
            super().summary(),
            f"By time since launch the effect runs from {fmt(after['estimate'].iloc[0])} at "
            f"launch to {fmt(after['estimate'].iloc[-1])} after "
            f"{int(after['event_time'].iloc[-1])} period(s); averaged over event times it is "
            f"{fmt(self.dynamic_overall.estimate)} and over launch cohorts "
            f"{fmt(self.group_overall.estimate)}. Effects before launch (placebo checks of "
            "parallel trends) are in the att_gt and dynamic tables.",
        ]
        return " ".join(lines)


def _import_differences():  # pragma: no cover - exercised only without the dependency
    try:
        from differences import ATTgt
    except ImportError:
        raise EvalkitError(
            "staggered_did needs the 'differences' package (Callaway-Sant'Anna estimator): "
            "pip install 'differences>=0.3'"
        ) from None
    return ATTgt


def _tidy(frame: pd.DataFrame, index_names: Sequence[str]) -> pd.DataFrame:
    """Flatten a ``differences`` result table to evalkit's column names."""
    flat = frame.copy()
    flat.columns = [c[-1] if isinstance(c, tuple) else c for c in flat.columns]
    flat = flat.rename(
        columns={"ATT": "estimate", "std_error": "se", "lower": "ci_low", "upper": "ci_high"}
    )
    flat = flat.reset_index()
    keep = [c for c in index_names if c in flat.columns]
    return flat[[*keep, "estimate", "se", "ci_low", "ci_high"]]


def staggered_did(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    control_group: str = "never_treated",
    covariates: Sequence[str] = (),
    estimation: str = "dr",
    anticipation: int = 0,
    alpha: float = 0.05,
) -> StaggeredResult:
    """Callaway and Sant'Anna difference-in-differences for a staggered roll-out.

    Parameters
    ----------
    df : DataFrame
        A balanced panel: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit : str
        Unit identifier (e.g. locality code).
    time : str
        Integer period (e.g. quarter number or year).
    first_treated : str
        Period in which the unit launched, on the scale of ``time``; empty (missing) for
        never-treated units. (R's ``did`` codes never-treated as 0: replace 0 by missing.)
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units for each ATT(g,t).
    covariates : sequence of str
        Time-constant covariates for conditional parallel trends (base-period values).
    estimation : {"dr", "reg", "ipw"}
        Doubly robust (default, as R ``did``), outcome regression, or normalised IPW.
    anticipation : int
        Periods before launch in which units may already react.
    alpha : float
        1 - confidence level of the pointwise intervals.

    Returns
    -------
    StaggeredResult
        Headline: the simple aggregation (ATT(g,t) averaged over post-launch cells, weighted
        by group size); also ``att_gt``, ``dynamic``, ``groups`` and their overall averages.

    Notes
    -----
    Without covariates, with never-treated controls,
    :math:`ATT(g,t) = E[Y_t - Y_{g-1} | G=g] - E[Y_t - Y_{g-1} | C=1]` for :math:`t \\ge g`,
    and for :math:`t < g` the "varying" base period :math:`t-1` gives placebo effects (as the
    R default). Standard errors are analytic, from the influence functions, clustered by
    unit; intervals are pointwise (not simultaneous bands, which need the multiplier
    bootstrap).

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. *Journal of Econometrics* 225(2), 200-230. doi:10.1016/j.jeconom.2020.12.001
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. *Journal of Econometrics* 219(1), 101-122. doi:10.1016/j.jeconom.2020.06.003
    """
    source = "staggered_did()"
    require_alpha(alpha)
    require_choice("control_group", control_group, ("never_treated", "not_yet_treated"))
    require_choice("estimation", estimation, ESTIMATION_METHODS)
    if isinstance(anticipation, bool) or not isinstance(anticipation, int) or anticipation < 0:
        raise ParameterError(f"anticipation must be a whole number >= 0; got {anticipation!r}")
    if isinstance(covariates, str):
        raise ParameterError(f"covariates must be a list of column names; got {covariates!r}")
    require_columns(df, [outcome, unit, time, first_treated, *covariates], source=source)
    data = usable_rows(df, [outcome, unit, time, *covariates], source=source)
    y = require_numeric(data, outcome, source=source)
    period = require_numeric(data, time, source=source)
    if (period != period.round()).any():
        row = (period != period.round()).idxmax()
        raise DataError(
            f"time={time!r} in {source}, row {row}: {shown(period.loc[row])} is not a whole "
            "number; "
            "expected integer periods (e.g. quarter number 0, 1, 2 ...)"
        )
    first = launch_periods(data, first_treated, period, time, source=source)
    periods = sorted(period.unique())
    repeated = data.duplicated([unit, time]).to_numpy()
    if repeated.any():
        pos = int(np.flatnonzero(repeated)[0])
        raise DataError(
            f"unit={unit!r}, time={time!r} in {source}: row {data.index[pos]} repeats unit "
            f"{shown(data[unit].iloc[pos])} in period {shown(data[time].iloc[pos])}; expected "
            "one row per unit and period"
        )
    at_start = first == periods[0]
    if at_start.any():
        dropped = sorted(map(str, data.loc[at_start, unit].unique()))
        warnings.warn(
            f"{len(dropped)} unit(s) launched in the first period ({periods[0]:g}) have no "
            f"pre-period and are dropped: {', '.join(dropped[:5])}",
            StatisticalWarning,
            stacklevel=2,
        )
    keep = ~at_start
    cohorts = sorted(first[keep].dropna().unique())
    if not cohorts:
        raise DataError(
            f"first_treated={first_treated!r} in {source}: no unit launches after the first "
            "period; expected at least one treated cohort with a pre-period"
        )
    if control_group == "never_treated" and not first[keep].isna().any():
        raise DataError(
            f"first_treated={first_treated!r} in {source} is filled for every unit, so there "
            "are no never-treated units; expected some empty values, or use "
            "control_group='not_yet_treated'"
        )
    safe = {c: f"x{i}" for i, c in enumerate(covariates)}
    panel = pd.DataFrame(
        {
            "unit_": data.loc[keep, unit].astype(str).to_numpy(),
            "time_": period[keep].astype(int).to_numpy(),
            "y_": y[keep].to_numpy(),
            "cohort_": first[keep].to_numpy(),
            **{
                safe[c]: require_numeric(data, c, source=source)[keep].to_numpy()
                for c in covariates
            },
        }
    ).set_index(["unit_", "time_"])
    att_cls = _import_differences()
    formula = "y_" + (" ~ " + " + ".join(safe.values()) if covariates else "")
    with warnings.catch_warnings():
        # differences 0.3 still uses pandas' inplace= keywords, deprecated in pandas 3.1.
        warnings.filterwarnings("ignore", message="The inplace keyword", module="differences")
        model = att_cls(data=panel, cohort_column="cohort_", anticipation=anticipation)
        model.fit(
            formula,
            est_method=ESTIMATION_METHODS[estimation][0],
            control_group=control_group,
            alpha=alpha,
            progress_bar=False,
        )
        tables = {
            "att_gt": model.results(),
            "event": model.aggregate("event", alpha=alpha),
            "cohort": model.aggregate("cohort", alpha=alpha),
            "simple": model.aggregate("simple", alpha=alpha),
            "event_overall": model.aggregate("event", overall=True, alpha=alpha),
            "cohort_overall": model.aggregate("cohort", overall=True, alpha=alpha),
        }
    att_gt = _tidy(tables["att_gt"], ["cohort", "time"]).rename(columns={"cohort": "group"})
    att_gt["post"] = att_gt["time"] >= att_gt["group"] - anticipation
    dynamic = _tidy(tables["event"], ["relative_period"]).rename(
        columns={"relative_period": "event_time"}
    )
    groups = _tidy(tables["cohort"], ["cohort"]).rename(columns={"cohort": "group"})
    n = len(panel)
    n_units = panel.index.get_level_values(0).nunique()
    method = (
        f"Callaway-Sant'Anna DiD ({ESTIMATION_METHODS[estimation][1]}, "
        f"{control_group.replace('_', '-')} controls, varying base period, anticipation "
        f"{anticipation}) via the differences package; analytic influence-function SE "
        f"clustered by {unit} ({n_units} units), pointwise normal intervals"
    )
    evidence = evidence_rating(
        "staggered_did", comparison_group=True, pre_periods=int(cohorts[0] - periods[0])
    )

    def headline(frame: pd.DataFrame, label: str) -> ImpactResult:
        est, se = float(frame["estimate"].iloc[0]), float(frame["se"].iloc[0])
        check_finite(f"the {label} ATT", se, source)
        return ImpactResult.from_normal(
            est,
            se,
            alpha=alpha,
            n=n,
            method=f"{method}; {label} aggregation",
            evidence=evidence,
            outcome=outcome,
        )

    simple = headline(_tidy(tables["simple"], []), "simple")
    dyn = headline(_tidy(tables["event_overall"], []), "dynamic (event-time)")
    grp = headline(_tidy(tables["cohort_overall"], []), "group")
    return StaggeredResult(
        **{f.name: getattr(simple, f.name) for f in dataclasses.fields(ImpactResult)},
        att_gt=att_gt,
        dynamic=dynamic,
        groups=groups,
        dynamic_overall=dyn,
        group_overall=grp,
    )
