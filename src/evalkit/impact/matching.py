"""Propensity-score matching: who would have been served, had they been referred?

Estimates a logit propensity score, matches each served person to the nearest unserved
person(s) on the logit of the score within a caliper, checks balance and estimates the
average effect on the treated (ATT).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from evalkit._validate import require_columns, require_numeric
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact._design import (
    binary,
    covariate_matrix,
    full_rank,
    require_variation,
    usable_rows,
)
from evalkit.impact.evidence import evidence_rating
from evalkit.impact.result import ImpactResult, check_finite, require_alpha

__all__ = ["BALANCE_THRESHOLD", "MatchResult", "match", "standardised_mean_difference"]

#: |SMD| above this after matching means balance failed (Austin 2009, doi:10.1002/sim.3697).
BALANCE_THRESHOLD = 0.1


@dataclasses.dataclass(frozen=True, kw_only=True)
class MatchResult(ImpactResult):
    """ATT from propensity-score matching, with the balance table and the matches.

    Attributes
    ----------
    balance : DataFrame
        One row per covariate term (dummies for categories) and the logit score: means of
        treated and comparison before and after matching, ``smd_before``, ``smd_after``,
        ``var_ratio_before``, ``var_ratio_after`` and ``balanced`` (|SMD after| <= 0.1).
    matches : DataFrame
        ``treated`` and ``control`` (row labels of ``df``) and ``distance`` on the logit.
    n_treated, n_matched : int
        Treated units in the data, and those matched within the caliper (the ATT is theirs).
    caliper_width : float
        The caliper on the logit scale (``caliper`` x SD of the logit score).
    """

    balance: pd.DataFrame
    matches: pd.DataFrame
    n_treated: int
    n_matched: int
    caliper_width: float

    def summary(self) -> str:
        worst = self.balance["smd_after"].abs().max()
        text = super().summary()
        text += (
            f" {self.n_matched} of {self.n_treated} served people were matched within the "
            f"caliper; the largest standardised difference after matching is {worst:.2f}"
            + (" (balanced)." if worst <= BALANCE_THRESHOLD else " (balance NOT achieved).")
        )
        return text


def standardised_mean_difference(
    treated: np.ndarray,
    control: np.ndarray,
    *,
    sd: float,
    control_weights: np.ndarray | None = None,
) -> float:
    """(mean treated - weighted mean control) / sd, with ``sd`` the pre-matching pooled SD."""
    mc = np.average(control, weights=control_weights)
    return float((treated.mean() - mc) / sd) if sd > 0 else 0.0


def _weighted_var(x: np.ndarray, w: np.ndarray | None = None) -> float:
    if w is None:
        return float(np.var(x, ddof=1)) if len(x) > 1 else 0.0
    m = np.average(x, weights=w)
    return float(np.average((x - m) ** 2, weights=w))


def _separating(x: pd.DataFrame, d: np.ndarray) -> list[str]:
    """Covariate terms that on their own split treated and comparison completely."""
    out = []
    for name in x.columns:
        v = x[name].to_numpy()
        t, c = v[d == 1], v[d == 0]
        if t.min() > c.max() or t.max() < c.min():
            out.append(str(name))
    return out


def _greedy(
    score_t: np.ndarray, score_c: np.ndarray, *, width: float, ratio: int, replace: bool
) -> list[tuple[int, int, float]]:
    """Greedy nearest-neighbour matching, treated in descending order of the score."""
    available = np.ones(len(score_c), dtype=bool)
    pairs: list[tuple[int, int, float]] = []
    for i in np.argsort(-score_t, kind="stable"):
        dist = np.abs(score_c - score_t[i])
        if not replace:
            dist = np.where(available, dist, np.inf)
        order = np.argsort(dist, kind="stable")[:ratio]
        chosen = [j for j in order if dist[j] <= width]
        for j in chosen:
            pairs.append((int(i), int(j), float(dist[j])))
            if not replace:
                available[j] = False
    return pairs


def match(
    df: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    outcome: str,
    *,
    caliper: float = 0.2,
    ratio: int = 1,
    replace: bool = False,
    alpha: float = 0.05,
) -> MatchResult:
    """Nearest-neighbour propensity-score matching on the logit, with a caliper.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    treatment : str
        0/1 column: 1 for people who received the service.
    covariates : sequence of str
        Characteristics measured before the service (numeric or categorical).
    outcome : str
        Numeric outcome after the service.
    caliper : float
        Maximum distance, in standard deviations of the logit score (Austin 2011: 0.2).
    ratio : int
        Comparison people matched to each served person (1:k matching).
    replace : bool
        Whether a comparison person may be matched more than once.
    alpha : float
        1 - confidence level.

    Returns
    -------
    MatchResult
        ATT for the matched served people, with the balance table; evidence level 2.

    Notes
    -----
    Propensity :math:`e(x) = \\Pr(D=1|x)` by logit (statsmodels); distance
    :math:`|\\mathrm{logit}\\,e(x_i) - \\mathrm{logit}\\,e(x_j)|`; caliper
    :math:`0.2 \\times SD(\\mathrm{logit}\\,e)` over the whole sample (Austin 2011,
    doi:10.1002/pst.433). Treated people are matched greedily in descending order of the score.
    :math:`ATT = n_m^{-1} \\sum_i (y_i - \\bar y_{m(i)})`. Standard errors: without
    replacement, the paired SE, :math:`SD(y_i - \\bar y_{m(i)}) / \\sqrt{n_m}` with a t
    reference on :math:`n_m - 1` df (Austin 2011 recommends methods for paired data); with
    replacement, :math:`\\sqrt{(\\sum_i (y_i-\\bar y_t)^2 + \\sum_c w_c^2 (y_c-\\bar y_w)^2)}/n_m`
    where :math:`w_c` counts how often comparison :math:`c` is used (divided by ``ratio``),
    so reuse widens the interval. Both treat the score as known. SMD uses the pre-matching
    pooled SD :math:`\\sqrt{(s_t^2 + s_c^2)/2}` as denominator before and after; variance
    ratios are treated over comparison variance (weighted after matching).
    """
    source = "match()"
    require_alpha(alpha)
    if isinstance(covariates, str) or not covariates:
        raise ParameterError(
            f"covariates must be a non-empty list of column names; got {covariates!r}"
        )
    if not isinstance(caliper, int | float) or isinstance(caliper, bool) or caliper <= 0:
        raise ParameterError(
            f"caliper must be a positive number of SDs (e.g. 0.2); got {caliper!r}"
        )
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
        raise ParameterError(f"ratio must be a whole number >= 1; got {ratio!r}")
    require_columns(df, [treatment, outcome, *covariates], source=source)
    data = usable_rows(df, [treatment, outcome, *covariates], source=source)
    d = binary(data, treatment, "treatment", source=source).to_numpy()
    y = require_numeric(data, outcome, source=source).to_numpy()
    require_variation(y, "outcome", outcome, source=source)
    for value, label in ((1.0, "treated (1)"), (0.0, "comparison (0)")):
        if not (d == value).any():
            raise DataError(
                f"treatment={treatment!r} in {source} has no {label} rows among usable rows; "
                "expected both treated (1) and comparison (0) people"
            )
    x = covariate_matrix(data, covariates, source=source)
    design = pd.concat([pd.Series(1.0, index=data.index, name="const"), x], axis=1)
    full_rank(design, source=source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = Logit(d, design).fit(disp=0, maxiter=200)
        except np.linalg.LinAlgError:
            fit = None
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    if fit is None or separated or not fit.mle_retvals.get("converged", True):
        culprits = _separating(x, d)
        named = f" ({', '.join(map(repr, culprits))} alone split the groups)" if culprits else ""
        raise DataError(
            f"perfect separation in the propensity model of {source}: the covariates "
            f"{list(covariates)!r} predict {treatment!r} exactly{named}, so served and unserved "
            "people do not overlap; expected overlapping groups (drop or coarsen the separating "
            "covariate, or restrict to comparable people)"
        )
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning | PerfectSeparationWarning):
            warnings.warn(w.message, w.category, stacklevel=2)
    logit = np.asarray(fit.fittedvalues)  # linear predictor
    width = float(caliper * np.std(logit, ddof=1))
    idx_t, idx_c = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
    pairs = _greedy(logit[idx_t], logit[idx_c], width=width, ratio=ratio, replace=replace)
    if not pairs:
        raise DataError(
            f"no served person in {source} has a comparison within the caliper "
            f"({caliper} SD = {width:.3g} on the logit); expected overlapping propensity scores"
        )
    pair_frame = pd.DataFrame(pairs, columns=["t", "c", "distance"])
    matched_t = np.sort(pair_frame["t"].unique())
    # Control weight: each matched treated person's k controls share a weight of 1.
    per_set = pair_frame.groupby("t")["c"].transform("size")
    pair_frame["w"] = 1.0 / per_set
    w_c = pair_frame.groupby("c")["w"].sum()
    control_rows = idx_c[w_c.index.to_numpy()]
    control_w = w_c.to_numpy()
    set_means = pair_frame.assign(yc=y[idx_c[pair_frame["c"]]]).groupby("t")["yc"].mean()
    y_t = y[idx_t[matched_t]]
    diffs = y_t - set_means.loc[matched_t].to_numpy()
    n_m = len(matched_t)
    att = float(diffs.mean())
    if not replace:
        se = float(diffs.std(ddof=1) / np.sqrt(n_m)) if n_m > 1 else float("nan")
        dist = stats.t(n_m - 1) if n_m > 1 else stats.norm
        se_text = f"paired SE over {n_m} matched sets (t with {n_m - 1} df)"
    else:
        y_c = y[control_rows]
        mean_w = np.average(y_c, weights=control_w)
        var = np.sum((y_t - y_t.mean()) ** 2) + np.sum(control_w**2 * (y_c - mean_w) ** 2)
        se = float(np.sqrt(var) / n_m)
        dist = stats.norm
        se_text = "weighted two-sample SE allowing for reuse of comparison people (normal)"
    check_finite("the matching standard error", se, source)
    crit = float(dist.ppf(1 - alpha / 2))
    p = float(2 * dist.sf(abs(att / se))) if se > 0 else 0.0
    balance = _balance(x, logit, d, idx_t[matched_t], control_rows, control_w)
    poor = balance.loc[~balance["balanced"], "term"].tolist()
    if poor:
        warnings.warn(
            f"balance not achieved after matching: |SMD| > {BALANCE_THRESHOLD} for "
            f"{', '.join(map(repr, poor))}; the ATT may be biased by these differences",
            StatisticalWarning,
            stacklevel=2,
        )
    if n_m < len(idx_t):
        warnings.warn(
            f"{len(idx_t) - n_m} of {len(idx_t)} served people had no comparison within the "
            "caliper and were dropped: the ATT describes the matched served people only",
            StatisticalWarning,
            stacklevel=2,
        )
    labels = data.index.to_numpy()
    matches = pd.DataFrame(
        {
            "treated": labels[idx_t[pair_frame["t"]]],
            "control": labels[idx_c[pair_frame["c"]]],
            "distance": pair_frame["distance"].to_numpy(),
        }
    )
    return MatchResult(
        estimate=att,
        se=se,
        ci_low=att - crit * se,
        ci_high=att + crit * se,
        p_value=p,
        n=int(n_m + len(control_rows)),
        method=(
            f"propensity-score matching (logit; greedy nearest neighbour 1:{ratio} on the logit "
            f"{'with' if replace else 'without'} replacement, caliper {caliper:g} SD = "
            f"{width:.3g}), ATT; {se_text}"
        ),
        evidence=evidence_rating("matching", comparison_group=True, controls=True),
        outcome=outcome,
        ci_level=1 - alpha,
        balance=balance,
        matches=matches,
        n_treated=len(idx_t),
        n_matched=n_m,
        caliper_width=width,
    )


def _balance(
    x: pd.DataFrame,
    logit: np.ndarray,
    d: np.ndarray,
    rows_t: np.ndarray,
    rows_c: np.ndarray,
    w_c: np.ndarray,
) -> pd.DataFrame:
    table = []
    columns = {str(c): x[c].to_numpy(dtype=float) for c in x.columns}
    columns["propensity score (logit)"] = logit
    for name, v in columns.items():
        t_all, c_all = v[d == 1], v[d == 0]
        sd = float(np.sqrt((_weighted_var(t_all) + _weighted_var(c_all)) / 2))
        t_m, c_m = v[rows_t], v[rows_c]
        var_c_b, var_c_a = _weighted_var(c_all), _weighted_var(c_m, w_c)
        smd_after = standardised_mean_difference(t_m, c_m, sd=sd, control_weights=w_c)
        table.append(
            {
                "term": name,
                "mean_treated_before": float(t_all.mean()),
                "mean_comparison_before": float(c_all.mean()),
                "mean_treated_after": float(t_m.mean()),
                "mean_comparison_after": float(np.average(c_m, weights=w_c)),
                "smd_before": standardised_mean_difference(t_all, c_all, sd=sd),
                "smd_after": smd_after,
                "var_ratio_before": _weighted_var(t_all) / var_c_b if var_c_b > 0 else np.inf,
                "var_ratio_after": (
                    _weighted_var(t_m, np.ones(len(t_m))) / var_c_a if var_c_a > 0 else np.inf
                ),
                "balanced": abs(smd_after) <= BALANCE_THRESHOLD,
            }
        )
    return pd.DataFrame(table)
