"""Tests for evalkit.impact.its: segmented regression for interrupted time series.

Golden data: the Sicily acute coronary events series of Lopez Bernal, Cummins and Gasparrini
(2017), "Interrupted time series regression for the evaluation of public health interventions:
a tutorial", Int J Epidemiol 46(1):348-355, doi:10.1093/ije/dyw098
(tests/fixtures/impact/sicily.csv; smoking ban from January 2005, time 37).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import its
from evalkit.impact.its import newey_west_lags

FIXTURES = Path(__file__).parent / "fixtures" / "impact"


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "sicily.csv")


def test_poisson_step_model_matches_tutorial_specification_fit_by_hand(sicily):
    # The tutorial's model 1 (R: glm(aces ~ offset(log(stdpop)) + smokban + time, poisson)),
    # fitted independently here with statsmodels' formula GLM; rate ratio exp(b) with Wald CI.
    ref = smf.glm(
        "aces ~ smokban + time",
        data=sicily,
        family=sm.families.Poisson(),
        offset=np.log(sicily["stdpop"]),
    ).fit()
    b, se = ref.params["smokban"], ref.bse["smokban"]
    with pytest.warns(StatisticalWarning, match="quasipoisson"):
        res = its(sicily, "aces", "time", 37, family="poisson", offset="stdpop", slope=False)
    lc = res.level_change
    assert lc.estimate == pytest.approx(np.exp(b), rel=1e-8)
    assert (lc.ci_low, lc.ci_high) == pytest.approx(
        (np.exp(b - 1.959963984540054 * se), np.exp(b + 1.959963984540054 * se)), rel=1e-8
    )
    assert lc.scale == "rate ratio" and res.slope_change is None


def _poisson_newton_by_hand(y: np.ndarray, x: np.ndarray, offset: np.ndarray):
    """Poisson log-linear maximum likelihood by Newton-Raphson, written out in numpy.

    log-likelihood l(b) = sum(y (o + x b) - exp(o + x b)); score U = x'(y - mu); information
    I = x' diag(mu) x; b <- b + I^-1 U until the step is below 1e-12 (McCullagh and Nelder 1989,
    Generalized Linear Models, 2nd ed., section 2.5). Returns the coefficients and their SEs
    sqrt(diag(I^-1)).
    """
    b = np.zeros(x.shape[1])
    b[0] = np.log(y.sum() / np.exp(offset).sum())  # start from the overall rate
    for _ in range(100):
        mu = np.exp(offset + x @ b)
        information = x.T @ (mu[:, None] * x)
        step = np.linalg.solve(information, x.T @ (y - mu))
        b = b + step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu = np.exp(offset + x @ b)
    return b, np.sqrt(np.diag(np.linalg.inv(x.T @ (mu[:, None] * x))))


def test_poisson_step_model_matches_newton_raphson_by_hand(sicily):
    # The same model 1 as above, fitted without statsmodels: the design matrix [1, smokban, time]
    # with offset log(stdpop), maximised by hand. The smoking ban's rate ratio is exp(b) = 0.894
    # (the ban lowered the rate of acute coronary events by about 11%).
    y = sicily["aces"].to_numpy(float)
    x = np.column_stack(
        [np.ones(len(sicily)), sicily["smokban"].to_numpy(float), sicily["time"].to_numpy(float)]
    )
    b, se = _poisson_newton_by_hand(y, x, np.log(sicily["stdpop"].to_numpy(float)))
    with pytest.warns(StatisticalWarning, match="quasipoisson"):
        res = its(sicily, "aces", "time", 37, family="poisson", offset="stdpop", slope=False)
    assert res.level_change.estimate == pytest.approx(np.exp(b[1]), rel=1e-9)
    assert res.level_change.se == pytest.approx(se[1], rel=1e-6)  # on the log scale
    coef = res.coefficients.set_index("term")["coef"]
    assert (coef["const"], coef["time"]) == pytest.approx((b[0], b[2]), rel=1e-9)
    assert round(np.exp(b[1]), 3) == 0.894


def test_quasipoisson_scale_is_pearson_chi2_over_df(sicily):
    res = its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop", slope=False)
    poisson = smf.glm(
        "aces ~ smokban + time",
        data=sicily,
        family=sm.families.Poisson(),
        offset=np.log(sicily["stdpop"]),
    ).fit()
    phi = np.sum(poisson.resid_pearson**2) / (len(sicily) - 3)
    assert res.level_change.se == pytest.approx(poisson.bse["smokban"] * np.sqrt(phi), rel=1e-6)
    assert f"{phi:.3g}" in res.method


def test_harmonic_seasonality_matches_hand_built_terms(sicily):
    # The tutorial's seasonally adjusted model uses two harmonic pairs with period 12
    # (R: harmonic(month, 2, 12)); built here by hand from the month.
    df = sicily.copy()
    for k in (1, 2):
        df[f"s{k}"] = np.sin(2 * np.pi * k * df["month"] / 12)
        df[f"c{k}"] = np.cos(2 * np.pi * k * df["month"] / 12)
    df["after"] = (df["time"] - 37) * df["smokban"]
    ref = smf.glm(
        "aces ~ smokban + time + after + s1 + c1 + s2 + c2",
        data=df,
        family=sm.families.Poisson(),
        offset=np.log(df["stdpop"]),
    ).fit(scale="X2")
    res = its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop", seasonality=2)
    assert res.level_change.estimate == pytest.approx(np.exp(ref.params["smokban"]), rel=1e-7)
    assert res.slope_change.estimate == pytest.approx(np.exp(ref.params["after"]), rel=1e-7)
    assert res.slope_change.se == pytest.approx(ref.bse["after"], rel=1e-6)


def test_counterfactual_frame(sicily):
    res = its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop")
    cf = res.counterfactual
    pre, post = cf[~cf["post"]], cf[cf["post"]]
    assert np.allclose(pre["fitted"], pre["counterfactual"])
    coef = res.coefficients.set_index("term")["coef"]
    expected = np.exp(coef["const"] + coef["time"] * post["time"]) * sicily["stdpop"][post.index]
    assert np.allclose(post["counterfactual"], expected)
    assert (post["fitted"] < post["counterfactual"]).mean() > 0.5
    frame = res.to_frame()
    assert frame["effect"].tolist() == ["level change", "slope change"]
    assert (frame["evidence_level"] == 2).all()


def _newey_west_by_hand(x: np.ndarray, u: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (1987) covariance with Bartlett weights 1 - l/(L+1), no df correction."""
    scores = x * u[:, None]
    s = scores.T @ scores
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        gamma = scores[lag:].T @ scores[:-lag]
        s += w * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread


def test_gaussian_newey_west_matches_hand_computation(sicily):
    df = sicily.assign(rate=sicily["aces"] / sicily["stdpop"] * 1e5)
    res = its(df, "rate", "time", 37)
    t = df["time"].to_numpy(float)
    step = (t >= 37).astype(float)
    x = np.column_stack([np.ones_like(t), t, step, (t - 37) * step])
    beta, *_ = np.linalg.lstsq(x, df["rate"].to_numpy(), rcond=None)
    u = df["rate"].to_numpy() - x @ beta
    lags = newey_west_lags(len(df))
    assert lags == 3  # floor(4 (59/100)^(2/9))
    cov = _newey_west_by_hand(x, u, lags)
    assert res.level_change.estimate == pytest.approx(beta[2], rel=1e-10)
    assert res.level_change.se == pytest.approx(np.sqrt(cov[2, 2]), rel=1e-10)
    assert res.slope_change.se == pytest.approx(np.sqrt(cov[3, 3]), rel=1e-10)
    assert "Newey-West" in res.method and "3 lag(s)" in res.method


def test_recovers_planted_level_and_slope_change():
    rng = np.random.default_rng(0)
    t = np.arange(60)
    y = 50 + 0.3 * t - 6.0 * (t >= 30) - 0.2 * (t - 30) * (t >= 30) + rng.normal(0, 1.5, 60)
    res = its(pd.DataFrame({"t": t, "y": y}), "y", "t", 30)
    assert abs(res.level_change.estimate + 6.0) < 2.5 * res.level_change.se
    assert abs(res.slope_change.estimate + 0.2) < 2.5 * res.slope_change.se
    assert "lowered y (immediate change at the start) by" in res.summary()
    assert "level-2" in res.summary() and "no comparison series" in res.summary()


def test_recovers_demo_launch_effect_for_one_locality():
    from evalkit import demo

    data = demo.generate(seed=2024)
    code = "E08000003"  # Manchester, wave 1: planted rate ratio in truth.json
    series = data.timeseries[data.timeseries["locality_code"] == code]
    start = int(series["launch_time"].iloc[0])
    res = its(
        series,
        "referrals",
        "time",
        start,
        family="quasipoisson",
        offset="population_0_17",
        seasonality=1,
        period=4,
        slope=False,
    )
    planted = data.truth["localities"][code]["referral_rate_ratio"]
    lc = res.level_change
    assert lc.ci_low < planted < lc.ci_high


# --- bad input ------------------------------------------------------------------------------------


def test_no_pre_period(sicily):
    with pytest.raises(DataError, match=r"start=1 leaves 0 period\(s\) before"):
        its(sicily, "aces", "time", 1)


def test_counts_required_for_poisson(sicily):
    with pytest.raises(DataError, match=r"outcome='aces'.*-5.*not a count"):
        its(
            sicily.assign(aces=sicily["aces"].where(sicily["time"] != 3, -5)),
            "aces",
            "time",
            37,
            family="poisson",
        )


def test_offset_checks(sicily):
    with pytest.raises(ParameterError, match="offset='stdpop' applies to counts"):
        its(sicily, "aces", "time", 37, offset="stdpop")
    with pytest.raises(DataError, match=r"offset='pop'.*0.*positive population"):
        its(sicily.assign(pop=0.0), "aces", "time", 37, family="poisson", offset="pop")


def test_bad_arguments(sicily):
    with pytest.raises(ParameterError, match="family must be one of"):
        its(sicily, "aces", "time", 37, family="binomial")
    with pytest.raises(ParameterError, match="seasonality"):
        its(sicily, "aces", "time", 37, seasonality=-1)
    with pytest.raises(ParameterError, match="period must exceed"):
        its(sicily, "aces", "time", 37, seasonality=3, period=4)
    with pytest.raises(DataError, match="'deaths'"):
        its(sicily, "deaths", "time", 37)
    with pytest.raises(DataError, match="repeats periods"):
        its(pd.concat([sicily, sicily.head(2)]), "aces", "time", 37)
    with pytest.raises(ParameterError, match="start must be a number"):
        its(sicily, "aces", "time", "January 2005")


def test_constant_series_is_rejected(sicily):
    with pytest.raises(DataError, match=r"outcome='flat'.*single value 5"):
        its(sicily.assign(flat=5), "flat", "time", 37)


# -- controlled interrupted time series -----------------------------------------------------


def _paired_series(ratio: float, seed: int, n: int = 48, start: int = 24) -> pd.DataFrame:
    """A treated and a comparison rate sharing trend, season and shocks; a planted step."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    shared = 10 * (1 + 0.004 * t) * (1 + 0.08 * np.cos(2 * np.pi * t / 12))
    shared *= np.exp(rng.normal(0, 0.05, n))  # shocks both areas feel
    control = shared * np.exp(rng.normal(0, 0.03, n))
    treated = 1.3 * shared * np.exp(rng.normal(0, 0.03, n)) * np.where(t >= start, ratio, 1.0)
    return pd.DataFrame({"t": t, "rate": treated, "control": control})


def test_controlled_its_recovers_a_planted_step_relative_to_the_comparison() -> None:
    from evalkit.impact import controlled_its

    hits = 0
    for seed in range(20):
        r = controlled_its(_paired_series(0.8, seed), "rate", "control", "t", 24, slope=False)
        hits += r.level_change.ci_low <= 0.8 <= r.level_change.ci_high
    assert hits >= 16  # about 95% of 20 planted series, allowing for chance
    r = controlled_its(_paired_series(0.8, 1), "rate", "control", "t", 24)
    assert r.level_change.scale == "rate ratio" and r.evidence.level == 3
    assert "comparison series" in r.method and "Newey-West" in r.method


def test_controlled_its_is_the_segmented_fit_of_the_log_ratio() -> None:
    # Independent computation: OLS of log(rate / control) on time, step and slope change, with
    # Newey-West errors (statsmodels directly), exponentiated.
    import statsmodels.api as sm

    from evalkit.impact import controlled_its
    from evalkit.impact.its import newey_west_lags

    df = _paired_series(0.85, 3)
    y = np.log(df["rate"] / df["control"])
    step = (df["t"] >= 24).astype(float)
    x = sm.add_constant(pd.DataFrame({"t": df["t"], "step": step, "slope": (df["t"] - 24) * step}))
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(df))})
    r = controlled_its(df, "rate", "control", "t", 24)
    assert r.level_change.estimate == pytest.approx(np.exp(fit.params["step"]))
    assert r.level_change.se == pytest.approx(fit.bse["step"])
    assert r.slope_change.estimate == pytest.approx(np.exp(fit.params["slope"]))


def test_controlled_its_refuses_rates_of_zero() -> None:
    from evalkit.impact import controlled_its

    df = _paired_series(0.8, 1)
    df.loc[5, "control"] = 0
    with pytest.raises(DataError, match=r"'control'.*rate of 0 or less"):
        controlled_its(df, "rate", "control", "t", 24)
