"""Interrupted time series on series built so that every number is known in advance.

Segmented regression (Wagner et al. 2002, doi:10.1046/j.1365-2710.2002.00430.x):
``y_t = b0 + b1 t + b2 S_t + b3 (t - t0) S_t + e_t`` with ``S_t = 1[t >= t0]``. The series here
are ``X b + e`` with ``e`` made orthogonal to the columns of ``X`` (projected out with numpy), so
OLS returns ``b`` exactly; the residuals are then ``e`` and the Newey-West (1987,
doi:10.2307/1913610) HAC covariance, Bartlett weights ``1 - l/(L+1)`` and no small-sample
correction, is computed here with numpy from its formula. Lag rule: Newey and West (1994),
``L = floor(4 (n/100)^(2/9))``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import controlled_its, its
from evalkit.impact.its import newey_west_lags

N, T0 = 24, 12
B = np.array([10.0, 0.5, -3.0, 0.25])  # b0, b1, level change b2, slope change b3
Z = stats.norm.ppf(0.975)


def _design(t: np.ndarray, t0: float = T0) -> np.ndarray:
    s = (t >= t0).astype(float)
    return np.column_stack([np.ones_like(t), t, s, (t - t0) * s])


def _orthogonal_noise(x: np.ndarray, scale: float = 0.4) -> np.ndarray:
    raw = scale * np.sin(1.3 * np.arange(len(x))) + 0.1 * np.cos(0.7 * np.arange(len(x)) ** 1.5)
    coef, *_ = np.linalg.lstsq(x, raw, rcond=None)
    return raw - x @ coef


def _newey_west(x: np.ndarray, e: np.ndarray, lags: int) -> np.ndarray:
    xe = x * e[:, None]
    s = xe.T @ xe
    for lag in range(1, lags + 1):
        g = xe[lag:].T @ xe[:-lag]
        s += (1 - lag / (lags + 1)) * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread


def test_newey_west_lag_rule_by_hand():
    # 4 (25/100)^(2/9) = 4 x 0.7349 = 2.94 -> 2;  4 (24/100)^(2/9) = 2.91 -> 2;
    # 4 (100/100)^(2/9) = 4 -> 4;  4 (200/100)^(2/9) = 4 x 1.1665 = 4.67 -> 4.
    assert [newey_west_lags(n) for n in (24, 25, 100, 200)] == [2, 2, 4, 4]


@pytest.fixture
def series() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    t = np.arange(N, dtype=float)
    x = _design(t)
    e = _orthogonal_noise(x)
    return pd.DataFrame({"month": t, "calls": x @ B + e}), x, e


def test_gaussian_its_recovers_exact_coefficients_and_hand_hac(series):
    df, x, e = series
    cov = _newey_west(x, e, 2)  # L = 2 for n = 24
    se = np.sqrt(np.diag(cov))
    r = its(df, "calls", "month", T0)
    level, slope = r.level_change, r.slope_change
    assert level.estimate == pytest.approx(-3.0, abs=1e-10)
    assert slope.estimate == pytest.approx(0.25, abs=1e-10)
    assert level.se == pytest.approx(se[2], rel=1e-9)
    assert slope.se == pytest.approx(se[3], rel=1e-9)
    assert (level.ci_low, level.ci_high) == pytest.approx((-3 - Z * se[2], -3 + Z * se[2]))
    assert r.coefficients["term"].tolist() == ["const", "time", "level_change", "slope_change"]
    assert r.coefficients["coef"].to_numpy() == pytest.approx(B, abs=1e-10)
    assert r.coefficients["se"].to_numpy() == pytest.approx(se, rel=1e-9)
    # counterfactual: the pre-period line b0 + b1 t carried on
    cf = r.counterfactual
    assert cf["counterfactual"].to_numpy() == pytest.approx(10 + 0.5 * df["month"], abs=1e-10)
    assert cf["fitted"].to_numpy() == pytest.approx(x @ B, abs=1e-10)
    assert cf["post"].tolist() == [False] * 12 + [True] * 12
    assert r.method == (
        "interrupted time series, segmented OLS (level and slope change), Newey-West HAC SE "
        "(Bartlett kernel, 2 lag(s) by floor(4(n/100)^(2/9)), normal reference)"
    )
    assert level.outcome == "calls (immediate change at the start)"
    assert slope.outcome == "the trend in calls (per month unit)"
    frame = r.to_frame()
    assert list(frame.index) == [0, 1]
    assert frame["effect"].tolist() == ["level change", "slope change"]


def test_summary_adds_the_trend_sentence_and_its_caveat(series):
    df, x, _ = series
    r = its(df, "calls", "month", T0)
    assert not r.slope_change.crosses_no_effect
    assert r.summary() == f"{r.level_change.summary()} {r.slope_change.effect_sentence()}"
    # a slope change drowned in noise: the caveat sentence is added
    noisy = df.assign(calls=x @ np.array([10.0, 0.5, -3.0, 0.0]) + 20 * _orthogonal_noise(x))
    flat = its(noisy, "calls", "month", T0)
    assert flat.slope_change.crosses_no_effect
    assert flat.summary().endswith(
        f"{flat.slope_change.effect_sentence()} The interval for the change in trend includes "
        "no change."
    )
    step_only = its(df, "calls", "month", T0, slope=False)
    assert step_only.slope_change is None
    assert step_only.summary() == step_only.level_change.summary()


def _rates(log_ratio_b: np.ndarray = B / 10) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Comparison rates c_t (one below 1) and treated rates c_t exp(X b + e)."""
    t = np.arange(N, dtype=float)
    x = _design(t)
    e = _orthogonal_noise(x, scale=0.02)
    control = 5 + 2 * np.cos(2 * np.pi * t / 12) + 0.1 * t
    control[3] = 0.5  # rates below 1 are fine; only 0 or less is refused
    rate = control * np.exp(x @ log_ratio_b + e)
    return pd.DataFrame({"t": t, "rate": rate, "control": control}), x, e


def test_controlled_its_is_exact_on_the_log_ratio():
    # log(rate / control) = 1.0 + 0.05 t - 0.3 S + 0.025 (t - 12) S + e: the level change is the
    # rate ratio exp(-0.3), the slope change exp(0.025); SEs are those of the log-ratio fit.
    df, x, e = _rates()
    se = np.sqrt(np.diag(_newey_west(x, e, 2)))
    r = controlled_its(df, "rate", "control", "t", T0)
    level, slope = r.level_change, r.slope_change
    assert level.estimate == pytest.approx(math.exp(-0.3), rel=1e-10)
    assert slope.estimate == pytest.approx(math.exp(0.025), rel=1e-10)
    assert level.se == pytest.approx(se[2], rel=1e-9)
    assert (level.ci_low, level.ci_high) == pytest.approx(
        (math.exp(-0.3 - Z * se[2]), math.exp(-0.3 + Z * se[2])), rel=1e-9
    )
    assert level.scale == "rate ratio" and level.n == N and r.n == N
    assert level.evidence.level == 3 and r.evidence.level == 3
    assert level.outcome == "rate relative to the comparison areas"
    assert slope.outcome == "the trend in rate relative to them"
    assert r.outcome == "rate" and r.family == "gaussian (log rate ratio)"
    method = (
        "interrupted time series of the log rate ratio to a comparison series, segmented OLS "
        "(level and slope change), Newey-West HAC SE (Bartlett kernel, 2 lag(s) by "
        "floor(4(n/100)^(2/9)), normal reference)"
    )
    assert r.method == method and level.method == f"{method}; level change"
    assert r.coefficients["coef"].to_numpy() == pytest.approx(B / 10, abs=1e-10)
    # the counterfactual on the rate scale: control x exp(b0 + b1 t); fitted: control x exp(X b)
    cf = r.counterfactual
    control = df["control"].to_numpy()
    assert cf["observed"].to_numpy() == pytest.approx(df["rate"].to_numpy(), rel=1e-12)
    assert cf["fitted"].to_numpy() == pytest.approx(control * np.exp(x @ (B / 10)), rel=1e-9)
    assert cf["counterfactual"].to_numpy() == pytest.approx(
        control * np.exp(1.0 + 0.05 * df["t"].to_numpy()), rel=1e-9
    )
    # rows in any order: the series is sorted by time before fitting
    shuffled = controlled_its(df.iloc[::-1], "rate", "control", "t", T0)
    assert shuffled.counterfactual["observed"].to_numpy() == pytest.approx(df["rate"].to_numpy())
    assert shuffled.counterfactual["fitted"].to_numpy() == pytest.approx(cf["fitted"].to_numpy())


def test_controlled_its_options_reach_the_fit():
    df, _, _ = _rates()
    ninety = controlled_its(df, "rate", "control", "t", T0, alpha=0.1, slope=False)
    assert ninety.slope_change is None and ninety.level_change.ci_level == pytest.approx(0.9)
    b, se = math.log(ninety.level_change.estimate), ninety.level_change.se
    z90 = stats.norm.ppf(0.95)
    assert ninety.level_change.ci_low == pytest.approx(math.exp(b - z90 * se), rel=1e-10)
    # seasonality with the default period of 12 and with period 6: the harmonic terms are
    # sin(2 pi t / P) and cos(2 pi t / P); the OLS fit is redone here with numpy.
    t = df["t"].to_numpy()
    y = np.log(df["rate"] / df["control"]).to_numpy()
    for kwargs, period in (({}, 12), ({"period": 6}, 6)):
        x = np.column_stack(
            [_design(t), np.sin(2 * np.pi * t / period), np.cos(2 * np.pi * t / period)]
        )
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        r = controlled_its(df, "rate", "control", "t", T0, seasonality=1, **kwargs)
        assert math.log(r.level_change.estimate) == pytest.approx(coef[2], rel=1e-9)
        assert r.coefficients["term"].tolist()[-2:] == ["sin1", "cos1"]


def test_controlled_its_messages_in_full():
    df, _, _ = _rates()
    for column in ("rate", "control"):
        bad = df.copy()
        bad.loc[7, column] = 0.0
        with pytest.raises(
            DataError,
            match=rf"^'{column}' in controlled_its\(\) has a rate of 0 or less; expected "
            r"positive rates \(a log ratio is modelled\)$",
        ):
            controlled_its(bad, "rate", "control", "t", T0)
    both = df.assign(rate=0.0, control=0.0)
    with pytest.raises(DataError, match=r"^'rate' in controlled_its\(\) has a rate of 0"):
        controlled_its(both, "rate", "control", "t", T0)
    with pytest.raises(DataError, match=r"'area' in controlled_its\(\); expected"):
        controlled_its(df, "area", "control", "t", T0)
    with pytest.raises(DataError, match=r"^no usable rows in controlled_its\(\)"):
        controlled_its(df.assign(rate=np.nan), "rate", "control", "t", T0)
    for column in ("rate", "control"):
        words = df.astype({column: object})
        words.loc[2, column] = "n/a"
        with pytest.raises(DataError, match=rf"^column '{column}' in controlled_its\(\), row 2"):
            controlled_its(words, "rate", "control", "t", T0)


# --- Poisson families: what the method says, and the input rules ----------------------------------


def _counts() -> pd.DataFrame:
    # 12 months of counts (one of them 0) and a population with a value below 1 (in thousands)
    return pd.DataFrame(
        {
            "m": np.arange(1.0, 13.0),
            "n": [3, 0, 4, 5, 2, 6, 9, 7, 11, 8, 10, 12],
            "pop": [0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        }
    )


def test_poisson_methods_in_full():
    df = _counts()
    p = its(df, "n", "m", 7, family="poisson", offset="pop", seasonality=1, period=4)
    assert p.method == (
        "interrupted time series, segmented Poisson GLM (level and slope change, 1 harmonic "
        "pair(s) with period 4, offset log(pop)), Poisson model-based SE (scale fixed at 1), "
        "Wald intervals on the log scale"
    )
    assert p.level_change.method == f"{p.method}; level change"
    assert p.slope_change.method == f"{p.method}; slope change"
    assert p.level_change.scale == "rate ratio" and p.n == 12 and p.family == "poisson"
    assert list(p.coefficients.columns) == ["term", "coef", "se", "p_value"]
    # independent fit: statsmodels GLM with the same hand-built design
    import statsmodels.api as sm

    t = df["m"].to_numpy()
    x = np.column_stack([_design(t, 7), np.sin(2 * np.pi * t / 4), np.cos(2 * np.pi * t / 4)])
    ref = sm.GLM(df["n"], x, family=sm.families.Poisson(), offset=np.log(df["pop"])).fit()
    assert p.coefficients["coef"].to_numpy() == pytest.approx(ref.params.to_numpy(), rel=1e-7)
    assert p.coefficients["p_value"].to_numpy() == pytest.approx(ref.pvalues.to_numpy(), rel=1e-6)
    assert p.counterfactual["counterfactual"].to_numpy() == pytest.approx(
        np.exp(x[:, [0, 1, 4, 5]] @ ref.params.to_numpy()[[0, 1, 4, 5]]) * df["pop"], rel=1e-7
    )
    q = its(df, "n", "m", 7, family="quasipoisson", slope=False, maxlags=3)
    dispersion = float(
        sm.GLM(df["n"], _design(t, 7)[:, :3], family=sm.families.Poisson()).fit().pearson_chi2
        / (12 - 3)
    )
    assert q.method == (
        "interrupted time series, segmented Poisson GLM (level change only), quasi-Poisson SE "
        f"(scale = Pearson chi2/df = {dispersion:.3g}), Wald intervals on the log scale"
    )
    g = its(df, "n", "m", 7, maxlags=3)
    assert g.method == (
        "interrupted time series, segmented OLS (level and slope change), Newey-West HAC SE "
        "(Bartlett kernel, 3 lag(s), normal reference)"
    )


def test_overdispersion_warning_in_full():
    # counts alternating far around the trend: Pearson dispersion well above 1.5
    df = _counts().assign(n=[1, 30, 2, 40, 1, 35, 3, 50, 2, 45, 1, 60])
    with pytest.warns(StatisticalWarning) as caught:
        its(df, "n", "m", 7, family="poisson")
    (warning,) = caught
    assert str(warning.message).startswith("Pearson dispersion is ")
    assert str(warning.message).endswith(
        " (> 1.5): Poisson errors are too small; use family='quasipoisson'"
    )


def test_periods_needed_before_and_after():
    # 3 periods before and 2 after are enough; one fewer either side is refused
    df = pd.DataFrame({"t": [1.0, 2, 3, 4, 5], "y": [1.0, 2, 4, 3, 6]})
    assert its(df, "y", "t", 4, slope=False, maxlags=0).n == 5
    with pytest.raises(
        DataError,
        match=r"^start=3 leaves 2 period\(s\) before and 3 after in 't' \(1\.\.5\); expected at "
        r"least 3 before \(a pre-period trend\) and 2 after$",
    ):
        its(df, "y", "t", 3)
    with pytest.raises(DataError, match=r"^start=5 leaves 4 period\(s\) before and 1 after"):
        its(df, "y", "t", 5)


def test_input_messages_in_full():
    df = _counts()
    with pytest.raises(
        DataError,
        match=r"^outcome='n' in its\(\): value 2\.5 at m=3 is not a count; family='poisson' "
        r"needs whole numbers >= 0$",
    ):
        its(df.assign(n=df["n"].where(df["m"] != 3, 2.5)), "n", "m", 7, family="poisson")
    with pytest.raises(
        DataError, match=r"^offset='pop' in its\(\): -1\.0 at m=4; expected a positive population$"
    ):
        its(
            df.assign(pop=[1, 1, 1, -1.0, 0, 1, 1, 1, 1, 1, 1, 1]),
            "n",
            "m",
            7,
            family="poisson",
            offset="pop",
        )
    with pytest.raises(
        ParameterError,
        match=r"^offset='pop' applies to counts; use family='poisson' or 'quasipoisson' \(or "
        r"model a rate with family='gaussian' and no offset\)$",
    ):
        its(df, "n", "m", 7, offset="pop")
    with pytest.raises(
        ParameterError,
        match=r"^period must exceed 2 x seasonality \(4\) so the harmonics differ; got 4$",
    ):
        its(df, "n", "m", 7, seasonality=2, period=4)
    assert its(df, "n", "m", 7, seasonality=2, period=4.5).n == 12
    with pytest.raises(
        ParameterError, match=r"^seasonality must be a whole number >= 0; got 1\.0$"
    ):
        its(df, "n", "m", 7, seasonality=1.0)
    with pytest.raises(DataError, match=r"'k' in its\(\); expected"):
        its(df, "k", "m", 7)
    with pytest.raises(DataError, match=r"'pop2' in its\(\); expected"):
        its(df, "n", "m", 7, family="poisson", offset="pop2")
    with pytest.raises(DataError, match=r"^no usable rows in its\(\)"):
        its(df.assign(n=np.nan), "n", "m", 7)
    words = df.astype({"n": object})
    words.loc[1, "n"] = "many"
    with pytest.raises(DataError, match=r"^column 'n' in its\(\), row 1"):
        its(words, "n", "m", 7)
    words = df.astype({"m": object})
    words.loc[1, "m"] = "Feb"
    with pytest.raises(DataError, match=r"^column 'm' in its\(\), row 1"):
        its(words, "n", "m", 7)
    with pytest.raises(DataError, match=r"^outcome='n' in its\(\)"):
        its(df.assign(n=4), "n", "m", 7)
