"""Propensity-score matching: who would have been served, had they been referred?

Restricts the data to common support on categorical covariates, estimates a logit propensity
score, matches each served person to the nearest unserved person(s) on the logit of the score
within a caliper, checks balance and estimates the average effect on the treated (ATT).
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
        treated and comparison on common support before and after matching, ``smd_before``,
        ``smd_after``, ``var_ratio_before``, ``var_ratio_after`` and ``balanced``
        (|SMD after| <= 0.1).
    matches : DataFrame
        ``treated`` and ``control`` (row labels of ``df``) and ``distance`` on the logit.
    n_treated, n_matched : int
        Treated units in the usable data (including any left out for common support), and
        those matched within the caliper (the ATT is theirs).
    caliper_width : float
        The caliper on the logit scale (``caliper`` x SD of the logit score).
    off_support : dict of str to list of str
        Covariate -> categories that held served people but no comparison people; those served
        people were left out before the propensity model (common support), so the ATT does
        not describe them.
    n_off_support : int
        Served people left out for common support (included in ``n_treated``).
    comparison_only : dict of str to list of str
        Covariate -> categories that held comparison people but no served people; those
        comparison people can never be matched and were left out of the comparison pool.
    """

    balance: pd.DataFrame
    matches: pd.DataFrame
    n_treated: int
    n_matched: int
    caliper_width: float
    off_support: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    n_off_support: int = 0
    comparison_only: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        worst = self.balance["smd_after"].abs().max()
        text = super().summary()
        text += (
            f" {self.n_matched} of {self.n_treated} served people were matched within the caliper"
        )
        if self.n_off_support:
            text += (
                f" ({self.n_off_support} left out first, in {_listed(self.off_support)}, where "
                "there was no comparison person)"
            )
        text += f"; the largest standardised difference after matching is {worst:.2f}" + (
            " (balanced)." if worst <= BALANCE_THRESHOLD else " (balance NOT achieved)."
        )
        return text


def _listed(categories: dict[str, list[str]]) -> str:
    """``{'band': ['Under 18']}`` as "category 'Under 18' of 'band'" (joined by "; ")."""
    return "; ".join(
        f"categor{'y' if len(labels) == 1 else 'ies'} {', '.join(map(repr, labels))} of {name!r}"
        for name, labels in categories.items()
    )


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


def _separable(design: pd.DataFrame, d: np.ndarray) -> bool | None:
    """Whether some combination of the terms splits treated and comparison completely.

    Complete separation means a :math:`\\beta` with :math:`x_i'\\beta > 0` for every treated and
    :math:`< 0` for every comparison person (Albert and Anderson 1984, Biometrika 71(1):1-10);
    scaling :math:`\\beta` turns that into the linear feasibility problem
    :math:`s_i x_i'\\beta \\ge 1`, :math:`s_i = \\pm 1` (Konis 2007, safeBinaryRegression),
    solved here by HiGHS. Quasi-complete separation (ties on the boundary) is not complete
    separation: the problem is then infeasible. None when the solver cannot tell.
    """
    from scipy.optimize import linprog  # imported here: slow to import, rarely needed

    values = design.to_numpy(dtype=float)
    scale = np.abs(values).max(axis=0)
    values = values / np.where(scale > 0, scale, 1.0)
    sign = np.where(d == 1, 1.0, -1.0)
    found = linprog(
        np.zeros(values.shape[1]),
        A_ub=-(sign[:, None] * values),
        b_ub=-np.ones(len(d)),
        bounds=(None, None),
        method="highs",
    )
    return {0: True, 2: False}.get(found.status)


def _categories(data: pd.DataFrame, covariates: Sequence[str]) -> dict[str, pd.Series]:
    """Each categorical covariate's values as category labels (str), by covariate.

    Categorical means what :func:`covariate_matrix` turns into dummies (non-numeric columns,
    labelled as ``str`` as there), and also 0/1 columns (booleans, or numbers that are all 0
    or 1): a dummy the user made from a category is a category too.
    """
    out = {}
    for name in covariates:
        col = data[name]
        if col.dtype == bool or str(col.dtype) == "boolean":
            out[name] = col.astype(bool).map({True: "True", False: "False"})
        elif pd.api.types.is_numeric_dtype(col):
            values = pd.to_numeric(col)
            if values.isin([0, 1]).all():
                out[name] = values.map(lambda v: f"{v:g}")
        else:
            out[name] = col.astype(str)
    return out


def _common_support(
    categories: dict[str, pd.Series], d: np.ndarray, *, source: str
) -> tuple[np.ndarray, dict[str, list[str]], dict[str, list[str]]]:
    """Rows on common support of every categorical covariate, and the categories left out.

    A served person in a category with no comparison person has no one comparable; a
    comparison person in a category with no served person can never be used for the ATT.
    Both are left out before the propensity model (Caliendo and Kopeinig 2008, J Econ Surveys
    22(1):31-72, section 3.3; overlap as in Rosenbaum and Rubin 1983, Biometrika 70(1):41-55),
    repeating until no category is one-sided (leaving people out for one covariate can empty
    a category of another). Warns (StatisticalWarning) for each category whose served people
    are left out.
    """
    keep = np.ones(len(d), dtype=bool)
    off: dict[str, list[str]] = {}
    unused: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for name, labels in categories.items():
            values = labels.to_numpy()
            served = set(values[keep & (d == 1)])
            compared = set(values[keep & (d == 0)])
            for cat in sorted(served - compared):
                gone = keep & (d == 1) & (values == cat)
                n = int(gone.sum())
                keep &= ~gone
                off.setdefault(name, []).append(cat)
                changed = True
                people = "served person in it is" if n == 1 else "served people in it are"
                warnings.warn(
                    f"no comparison person is in category {cat!r} of {name!r}: the {n} "
                    f"{people} left out of the matched comparison (common support)",
                    StatisticalWarning,
                    stacklevel=3,
                )
            for cat in sorted(compared - served):
                keep &= ~((d == 0) & (values == cat))
                unused.setdefault(name, []).append(cat)
                changed = True
    # On support every category left holds both groups, so no served person left means no
    # comparison person left either: one check covers both.
    if not (keep & (d == 1)).any():
        raise DataError(
            f"no served person in {source} is on common support: every one is in a category "
            f"with no comparison people ({_listed(off)}); expected categories that hold both "
            "served and comparison people (combine small categories, or drop the covariate)"
        )
    return keep, off, unused


def _term_words(term: str, categories: dict[str, pd.Series]) -> str:
    """A design term in words: a dummy as "category 'X' of 'band'", a number as its name."""
    for name, labels in categories.items():
        for cat in labels.unique():
            if term == f"{name}_{cat}":
                return f"category {cat!r} of {name!r}"
    return repr(term)


def _not_fitted(
    x: pd.DataFrame,
    d: np.ndarray,
    fit: object,
    categories: dict[str, pd.Series],
    *,
    covariates: Sequence[str],
    treatment: str,
    source: str,
) -> DataError:
    """The error when the propensity logit cannot be fitted, saying truly why.

    "Predict exactly" only when a term on its own (:func:`_separating`) or a combination of
    terms (:func:`_separable`) splits the groups completely. Otherwise (quasi-complete
    separation, or near it) the groups barely overlap: the error names the terms with the
    largest standardised coefficients :math:`|\\hat\\beta_j| SD(x_j)` where the fit stopped (at
    least half the largest; at most three), the numeric terms on which the groups meet at one
    value only, and the categories that are nearly one-sided (under 10% of their people in one
    group).
    """
    culprits = _separating(x, d)
    design = pd.concat([pd.Series(1.0, index=x.index, name="const"), x], axis=1)
    separable = True if culprits else _separable(design, d)
    if separable:
        named = f" ({', '.join(map(repr, culprits))} alone split the groups)" if culprits else ""
        return DataError(
            f"perfect separation in the propensity model of {source}: the covariates "
            f"{list(covariates)!r} predict {treatment!r} exactly{named}, so served and unserved "
            "people do not overlap; expected overlapping groups (drop or coarsen the separating "
            "covariate, or restrict to comparable people)"
        )
    details = []
    params = getattr(fit, "params", None)
    if params is not None:
        b = np.asarray(params, dtype=float)[1:]
        sd = x.std(ddof=1).to_numpy()
        size = np.abs(b * sd)
        if np.isfinite(size).all() and size.max() > 0:
            big = [j for j in np.argsort(-size, kind="stable") if size[j] >= size.max() / 2]
            top = [x.columns[j] for j in big[:3]]
            words = ", ".join(_term_words(str(t), categories) for t in top)
            details.append(f"largest coefficients: {words}")
    dummies = {f"{n}_{c}" for n, labels in categories.items() for c in labels.unique()}
    touching = []
    for term in x.columns:
        if str(term) in dummies or term in categories:
            continue  # categories are reported as nearly one-sided below
        v = x[term].to_numpy()
        t, c = v[d == 1], v[d == 0]
        if t.min() == c.max() or t.max() == c.min():
            at = t.min() if t.min() == c.max() else t.max()
            touching.append(f"{term!r} only at {at:g}")
    if touching:
        details.append("served and unserved people meet on " + ", ".join(touching))
    lopsided = []
    for name, labels in categories.items():
        values = labels.to_numpy()
        for cat in sorted(set(values)):
            inside = values == cat
            share = float(d[inside].mean())
            if min(share, 1 - share) < 0.1:
                side = "served" if share > 0.5 else "comparison"
                lopsided.append((min(share, 1 - share), f"category {cat!r} of {name!r} ({side})"))
    if lopsided:
        lopsided.sort(key=lambda item: item[0])
        details.append("nearly one-sided: " + ", ".join(words for _, words in lopsided[:3]))
    detail = f" ({'; '.join(details)})" if details else ""
    exact = (
        f", though no combination of them predicts {treatment!r} exactly"
        if separable is False
        else ""
    )
    return DataError(
        f"the propensity model of {source} could not be fitted: served and unserved people "
        f"barely overlap on the covariates {list(covariates)!r}{detail}{exact}; expected groups "
        "that overlap (coarsen or drop the covariates named, or restrict to comparable people)"
    )


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
    Common support first: for each categorical covariate (and each 0/1 covariate), served
    people in a category with no comparison people cannot be matched like with like and
    comparison people in a category with no served people can never be used, so both are left
    out before the propensity model (Caliendo and Kopeinig 2008, J Econ Surveys 22(1):31-72,
    section 3.3; Rosenbaum and Rubin 1983). Each category whose served people are left out is
    named in a StatisticalWarning and in ``off_support``; the ATT then describes the served
    people on common support, and the balance table (before and after) those people too.
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
    categories = _categories(data, covariates)
    keep, off_support, comparison_only = _common_support(categories, d, source=source)
    n_treated, n_off = int((d == 1).sum()), int(((d == 1) & ~keep).sum())
    varied = {name for name, labels in categories.items() if labels.nunique() > 1}
    if not keep.all():
        data, d, y = data.loc[keep], d[keep], y[keep]
        categories = {name: labels.loc[keep] for name, labels in categories.items()}
    x = covariate_matrix(data, covariates, source=source)
    # A 0/1 covariate that common support left with one value no longer tells anyone apart.
    x = x.drop(columns=[c for c in varied if c in x and categories[c].nunique() == 1])
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
        raise _not_fitted(
            x, d, fit, categories, covariates=covariates, treatment=treatment, source=source
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
        # no counts in the method text (it is published): n_matched holds the number of sets
        se_text = "paired SE over the n matched sets (t with n-1 df)"
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
        on_support = " on common support" if n_off else ""
        warnings.warn(
            f"{len(idx_t) - n_m} of {len(idx_t)} served people{on_support} had no comparison "
            "within the caliper and were dropped: the ATT describes the matched served people only",
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
            + (
                f"; served people in {_listed(off_support)} had no comparison person and were "
                "left out before matching (common support), so the ATT describes the served "
                "people on common support"
                if off_support
                else ""
            )
        ),
        evidence=evidence_rating("matching", comparison_group=True, controls=True),
        outcome=outcome,
        ci_level=1 - alpha,
        balance=balance,
        matches=matches,
        n_treated=n_treated,
        n_matched=n_m,
        caliper_width=width,
        off_support=off_support,
        n_off_support=n_off,
        comparison_only=comparison_only,
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
