"""Interrupted time series: segmented regression of one series around a start date."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS

from evalkit._results import Result
from evalkit._validate import require_choice, require_columns, require_numeric
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact._design import full_rank, require_variation, shown, usable_rows
from evalkit.impact.evidence import EvidenceRating, evidence_rating
from evalkit.impact.result import ImpactResult, check_finite, require_alpha

__all__ = ["FAMILIES", "ITSResult", "its", "newey_west_lags"]

#: Families :func:`its` fits.
FAMILIES = ("gaussian", "poisson", "quasipoisson")
#: Quasi-Poisson is advised over Poisson when the Pearson dispersion exceeds this.
OVERDISPERSION = 1.5


def newey_west_lags(n: int) -> int:
    """Newey and West (1994) rule of thumb for the HAC lag length: floor(4 (n/100)^(2/9))."""
    return math.floor(4 * (n / 100) ** (2 / 9))


@dataclasses.dataclass(frozen=True)
class ITSResult(Result):
    """Level and slope changes at the interruption, with a counterfactual for plots.

    Attributes
    ----------
    level_change : ImpactResult
        The step at ``start``: a difference (Gaussian) or a rate ratio (Poisson families).
    slope_change : ImpactResult or None
        The change in trend per unit of time after ``start`` (None when ``slope=False``).
    counterfactual : DataFrame
        ``time``, ``observed``, ``fitted`` and ``counterfactual`` (the fit with the
        intervention terms set to zero, seasonality kept), on the outcome's scale.
    coefficients : DataFrame
        Every model term: ``term``, ``coef``, ``se``, ``p_value``.
    """

    outcome: str
    level_change: ImpactResult
    slope_change: ImpactResult | None
    counterfactual: pd.DataFrame
    coefficients: pd.DataFrame
    n: int
    family: str
    method: str
    evidence: EvidenceRating

    def to_frame(self) -> pd.DataFrame:
        """One row per effect (level change, slope change)."""
        rows = {"level change": self.level_change, "slope change": self.slope_change}
        return pd.concat(
            [r.to_frame().assign(effect=k) for k, r in rows.items() if r is not None],
            ignore_index=True,
        )

    def summary(self) -> str:
        parts = [self.level_change.summary()]
        if self.slope_change is not None:
            parts.append(self.slope_change.effect_sentence())
            if self.slope_change.crosses_no_effect:
                parts.append("The interval for the change in trend includes no change.")
        return " ".join(parts)


def _harmonics(t: np.ndarray, k: int, period: float) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for j in range(1, k + 1):
        out[f"sin{j}"] = np.sin(2 * np.pi * j * t / period)
        out[f"cos{j}"] = np.cos(2 * np.pi * j * t / period)
    return out


def its(
    df: pd.DataFrame,
    outcome: str,
    time: str,
    start: float,
    *,
    family: str = "gaussian",
    offset: str | None = None,
    seasonality: int = 0,
    period: float = 12,
    slope: bool = True,
    maxlags: int | None = None,
    alpha: float = 0.05,
) -> ITSResult:
    """Segmented regression for an interrupted time series.

    Parameters
    ----------
    df : DataFrame
        One row per period of a single series.
    outcome : str
        The series (a count for the Poisson families).
    time : str
        Numeric time index (e.g. month or quarter number).
    start : float
        First period under the service (the interruption).
    family : {"gaussian", "poisson", "quasipoisson"}
        Gaussian: OLS with Newey-West errors. Poisson families: log-linear model with effects
        as rate ratios; quasi-Poisson scales the errors by the Pearson dispersion.
    offset : str, optional
        Population column for the Poisson families; enters as log(population).
    seasonality : int
        Number of harmonic (sine and cosine) pairs; 0 for none.
    period : float
        Length of the seasonal cycle in time units (12 for months, 4 for quarters).
    slope : bool
        Include the change in slope (default); ``False`` fits the step only.
    maxlags : int, optional
        HAC lag length for the Gaussian fit; defaults to :func:`newey_west_lags`.
    alpha : float
        1 - confidence level.

    Returns
    -------
    ITSResult

    Notes
    -----
    The model is :math:`g(E[y_t]) = b_0 + b_1 t + b_2 S_t + b_3 (t - t_0) S_t + \\sum_k
    [c_k \\sin(2\\pi k t / P) + d_k \\cos(2\\pi k t / P)] (+ \\log N_t)` with
    :math:`S_t = 1[t \\ge t_0]`; :math:`b_2` is the level change at :math:`t_0` and
    :math:`b_3` the slope change (Wagner et al. 2002, doi:10.1046/j.1365-2710.2002.00430.x;
    Lopez Bernal, Cummins and Gasparrini 2017, doi:10.1093/ije/dyw098). Gaussian errors are
    Newey-West HAC (Bartlett kernel, no small-sample correction, normal reference;
    Newey and West 1987, doi:10.2307/1913610). Quasi-Poisson uses the scale
    :math:`\\phi = X^2/(n-p)` (Pearson chi-squared over residual df). Poisson intervals are
    Wald intervals on the log scale, exponentiated.
    """
    source = "its()"
    require_alpha(alpha)
    require_choice("family", family, FAMILIES)
    if isinstance(seasonality, bool) or not isinstance(seasonality, int) or seasonality < 0:
        raise ParameterError(f"seasonality must be a whole number >= 0; got {seasonality!r}")
    if seasonality and (not isinstance(period, int | float) or period <= 2 * seasonality):
        raise ParameterError(
            f"period must exceed 2 x seasonality ({2 * seasonality}) so the harmonics differ; "
            f"got {period!r}"
        )
    if offset is not None and family == "gaussian":
        raise ParameterError(
            f"offset={offset!r} applies to counts; use family='poisson' or 'quasipoisson' "
            "(or model a rate with family='gaussian' and no offset)"
        )
    cols = [outcome, time] + ([offset] if offset else [])
    require_columns(df, cols, source=source)
    data = usable_rows(df, cols, source=source)
    # time is checked before sorting: text in it would otherwise fail inside pandas' sort
    data = data.assign(**{time: require_numeric(data, time, source=source)}).sort_values(time)
    y = require_numeric(data, outcome, source=source).to_numpy()
    t = require_numeric(data, time, source=source).to_numpy()
    require_variation(y, "outcome", outcome, source=source)
    if len(np.unique(t)) != len(t):
        raise DataError(f"time={time!r} in {source} repeats periods; expected one row per period")
    try:
        t0 = float(start)
    except (TypeError, ValueError):
        raise ParameterError(
            f"start must be a number on the {time!r} scale; got {start!r}"
        ) from None
    n_pre, n_post = int((t < t0).sum()), int((t >= t0).sum())
    if n_pre < 3 or n_post < 2:
        raise DataError(
            f"start={start!r} leaves {n_pre} period(s) before and {n_post} after in {time!r} "
            f"({t.min():g}..{t.max():g}); expected at least 3 before (a pre-period trend) "
            "and 2 after"
        )
    step = (t >= t0).astype(float)
    columns = {"const": np.ones_like(t), "time": t, "level_change": step}
    if slope:
        columns["slope_change"] = (t - t0) * step
    columns.update(_harmonics(t, seasonality, period))
    x = pd.DataFrame(columns)
    full_rank(x, source=source)
    n = len(y)
    if family == "gaussian":
        lags = newey_west_lags(n) if maxlags is None else int(maxlags)
        fit = OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        se_text = (
            f"Newey-West HAC SE (Bartlett kernel, {lags} lag(s)"
            + (" by floor(4(n/100)^(2/9))" if maxlags is None else "")
            + ", normal reference)"
        )
        log_offset = np.zeros(n)
    else:
        if (y < 0).any() or (y != np.round(y)).any():
            bad = int(np.flatnonzero((y < 0) | (y != np.round(y)))[0])
            raise DataError(
                f"outcome={outcome!r} in {source}: value {shown(y[bad])} at {time}={t[bad]:g} "
                "is not "
                f"a count; family={family!r} needs whole numbers >= 0"
            )
        if offset:
            pop = require_numeric(data, offset, source=source).to_numpy()
            if (pop <= 0).any():
                bad = int(np.flatnonzero(pop <= 0)[0])
                raise DataError(
                    f"offset={offset!r} in {source}: {shown(pop[bad])} at {time}={t[bad]:g}; "
                    "expected a positive population"
                )
            log_offset = np.log(pop)
        else:
            log_offset = np.zeros(n)
        model = GLM(y, x, family=families.Poisson(), offset=log_offset)
        fit = model.fit(scale="X2" if family == "quasipoisson" else None)
        dispersion = float(fit.pearson_chi2 / fit.df_resid)
        if family == "poisson" and dispersion > OVERDISPERSION:
            warnings.warn(
                f"Pearson dispersion is {dispersion:.2f} (> {OVERDISPERSION}): Poisson errors are "
                "too small; use family='quasipoisson'",
                StatisticalWarning,
                stacklevel=2,
            )
        se_text = (
            f"quasi-Poisson SE (scale = Pearson chi2/df = {dispersion:.3g})"
            if family == "quasipoisson"
            else "Poisson model-based SE (scale fixed at 1)"
        ) + ", Wald intervals on the log scale"
    offset_text = f", offset log({offset})" if offset else ""
    season_text = f", {seasonality} harmonic pair(s) with period {period:g}" if seasonality else ""
    terms = "level and slope change" if slope else "level change only"
    method = (
        f"interrupted time series, segmented {'OLS' if family == 'gaussian' else 'Poisson GLM'} "
        f"({terms}{season_text}{offset_text}), {se_text}"
    )
    evidence = evidence_rating("its", pre_periods=n_pre)
    ratio = family != "gaussian"

    def effect(term: str, label: str) -> ImpactResult:
        b, se = float(fit.params[term]), float(fit.bse[term])
        check_finite(f"the {term.replace('_', ' ')} SE", se, source)
        return ImpactResult.from_normal(
            b,
            se,
            alpha=alpha,
            log_scale=ratio,
            n=n,
            method=f"{method}; {term.replace('_', ' ')}",
            evidence=evidence,
            outcome=label,
        )

    x_cf = x.copy()
    x_cf[[c for c in ("level_change", "slope_change") if c in x_cf]] = 0.0
    linear_cf = x_cf.to_numpy() @ fit.params.to_numpy() + log_offset
    fitted = np.asarray(fit.fittedvalues)
    counterfactual = pd.DataFrame(
        {
            "time": t,
            "observed": y,
            "fitted": fitted,
            "counterfactual": np.exp(linear_cf) if ratio else linear_cf,
            "post": step.astype(bool),
        }
    )
    coefficients = pd.DataFrame(
        {
            "term": x.columns,
            "coef": fit.params.to_numpy(),
            "se": fit.bse.to_numpy(),
            "p_value": np.asarray(fit.pvalues),
        }
    )
    unit = f"per {time} unit"
    return ITSResult(
        outcome=outcome,
        level_change=effect("level_change", f"{outcome} (immediate change at the start)"),
        slope_change=effect("slope_change", f"the trend in {outcome} ({unit})") if slope else None,
        counterfactual=counterfactual,
        coefficients=coefficients,
        n=n,
        family=family,
        method=method,
        evidence=evidence,
    )


def controlled_its(
    df: pd.DataFrame,
    outcome: str,
    control: str,
    time: str,
    start: float,
    *,
    seasonality: int = 0,
    period: float = 12,
    slope: bool = True,
    alpha: float = 0.05,
) -> ITSResult:
    """Interrupted time series against a comparison series that never had the service.

    Parameters
    ----------
    df : DataFrame
        One row per period: the rate where the service started (``outcome``) and the rate in
        the comparison areas (``control``), both positive, on a numeric ``time``.
    outcome, control : str
        The two rates (for example presentations per 1,000 households).
    time, start, seasonality, period, slope, alpha
        As in :func:`its`.

    Returns
    -------
    ITSResult
        ``level_change`` and ``slope_change`` are rate ratios relative to the comparison series;
        ``counterfactual`` is on the rate scale of ``outcome``; evidence level 3.

    Notes
    -----
    Segmented regression of the log rate ratio :math:`r_t = \\log y_t - \\log c_t` with
    Newey-West errors, as :func:`its` fits a Gaussian series: what the comparison areas share
    with the treated area (trend, season, shocks) cancels in the ratio, so the step at
    :math:`t_0` is the change relative to places without the service (Lopez Bernal, Cummins and
    Gasparrini 2018, "The use of controls in interrupted time series studies of public health
    interventions", doi:10.1093/ije/dyy135). The level change is :math:`\\exp(b_2)`.
    """
    source = "controlled_its()"
    require_columns(df, [outcome, control, time], source=source)
    data = usable_rows(df, [outcome, control, time], source=source)
    y = require_numeric(data, outcome, source=source)
    c = require_numeric(data, control, source=source)
    if (y <= 0).any() or (c <= 0).any():
        column = outcome if (y <= 0).any() else control
        raise DataError(
            f"{column!r} in {source} has a rate of 0 or less; expected positive rates (a log "
            "ratio is modelled)"
        )
    ratio = data.assign(_log_ratio=np.log(y.to_numpy()) - np.log(c.to_numpy()))
    fit = its(
        ratio,
        "_log_ratio",
        time,
        start,
        family="gaussian",
        seasonality=seasonality,
        period=period,
        slope=slope,
        alpha=alpha,
    )
    n_pre = int((ratio[time].astype(float) < float(start)).sum())
    evidence = evidence_rating("its", comparison_group=True, pre_periods=n_pre)
    method = fit.method.replace(
        "interrupted time series",
        "interrupted time series of the log rate ratio to a comparison series",
    )

    def as_ratio(effect: ImpactResult | None, label: str) -> ImpactResult | None:
        if effect is None:
            return None
        return ImpactResult.from_normal(
            effect.estimate,
            effect.se,
            alpha=alpha,
            log_scale=True,
            n=effect.n,
            method=effect.method.replace(fit.method, method),
            evidence=evidence,
            outcome=label,
        )

    order = np.argsort(ratio[time].to_numpy(dtype=float))
    control_rate = c.to_numpy()[order]
    cf = fit.counterfactual
    counterfactual = cf.assign(
        observed=y.to_numpy()[order],
        fitted=control_rate * np.exp(cf["fitted"].to_numpy()),
        counterfactual=control_rate * np.exp(cf["counterfactual"].to_numpy()),
    )
    return ITSResult(
        outcome=outcome,
        level_change=as_ratio(fit.level_change, f"{outcome} relative to the comparison areas"),  # type: ignore[arg-type]
        slope_change=as_ratio(fit.slope_change, f"the trend in {outcome} relative to them"),
        counterfactual=counterfactual,
        coefficients=fit.coefficients,
        n=fit.n,
        family="gaussian (log rate ratio)",
        method=method,
        evidence=evidence,
    )
