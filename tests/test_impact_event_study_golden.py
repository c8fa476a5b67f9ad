"""Event study pinned against independent computations, planted effects and hand arithmetic.

Independent reference: the same two-way fixed-effects event-study regression fitted here as a
least-squares dummy-variable (LSDV) regression with numpy, one dummy per unit, per period
(first dropped) and per event time (reference left out), with our own cluster-robust CR1
sandwich

    V = c (X'X)^-1 [sum_g X_g' u_g u_g' X_g] (X'X)^-1,   c = G/(G-1) * (N-1)/(N-K),

where K counts the event-time and period dummies only (the unit effects are absorbed, Stata's
``xtreg, fe vce(cluster)`` convention named in ``event_study``'s docstring). By Frisch-Waugh-
Lovell the LSDV coefficients, residuals and the sandwich block of the event-time coefficients
equal those of the within regression, so only the factor c depends on the K convention.
Intervals and p-values use a t reference with G-1 degrees of freedom (Cameron and Miller 2015,
doi:10.3368/jhr.50.2.317); the pre-trend check is the Wald F statistic
(Rb)'(R V R')^-1 (Rb) / q on F(q, G-1).
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import event_study, evidence_rating

COLUMNS = ["event_time", "estimate", "se", "ci_low", "ci_high", "p_value", "reference"]


# --- the independent computation --------------------------------------------------------------


def _golden_panel() -> pd.DataFrame:
    """20 units over periods 0..7: 7 launch at 3, 7 at 5, 6 never; noisy and unbalanced."""
    rng = np.random.default_rng(20260301)
    rows = []
    for i in range(20):
        first = 3.0 if i < 7 else (5.0 if i < 14 else np.nan)
        a = rng.normal(scale=2.0)
        for t in range(8):
            e = t - first
            effect = 0.0 if np.isnan(e) or e < 0 else 1.5 + 0.4 * e
            y = 10 + a + 0.3 * t + effect + rng.normal(scale=1.0)
            rows.append(
                {"unit": f"u{i:02d}", "region": f"r{i // 2}", "t": t, "first": first, "y": y}
            )
    df = pd.DataFrame(rows)
    # Unbalanced: drop three unit-periods (FWL keeps the within fit exact).
    drop = ((df.unit == "u02") & (df.t == 0)) | ((df.unit == "u15") & (df.t == 7))
    drop |= (df.unit == "u09") & (df.t == 4)
    return df.loc[~drop].reset_index(drop=True)


def _lsdv_cr1(df, *, reference=-1, cluster="unit", alpha=0.05, window=None):
    """LSDV event study with numpy and a hand-written CR1 sandwich (see module docstring)."""
    event = df["t"] - df["first"]
    if window is not None:
        event = event.clip(window[0], window[1])
    times = sorted(int(e) for e in event.dropna().unique() if e != reference)
    cols = {f"e{e}": (event == e).to_numpy(float) for e in times}
    for t in sorted(df["t"].unique())[1:]:
        cols[f"t{t}"] = (df["t"] == t).to_numpy(float)
    k = len(cols)  # event-time and period dummies: K without the absorbed unit effects
    for u in sorted(df["unit"].unique()):
        cols[f"u{u}"] = (df["unit"] == u).to_numpy(float)
    x = np.column_stack(list(cols.values()))
    y = df["y"].to_numpy(float)
    b, *_ = np.linalg.lstsq(x, y, rcond=None)
    u = y - x @ b
    bread = np.linalg.inv(x.T @ x)
    groups = df[cluster].to_numpy()
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in np.unique(groups):
        s = x[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    n, n_groups = len(y), len(np.unique(groups))
    c = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    v = c * bread @ meat @ bread
    idx = [list(cols).index(f"e{e}") for e in times]
    est, se = b[idx], np.sqrt(np.diag(v)[idx])
    crit = stats.t.ppf(1 - alpha / 2, n_groups - 1)
    p = 2 * stats.t.sf(np.abs(est / se), n_groups - 1)
    leads = [list(cols).index(f"e{e}") for e in times if e < 0]
    r = np.zeros((len(leads), x.shape[1]))
    r[np.arange(len(leads)), leads] = 1.0
    rb = r @ b
    f = float(rb @ np.linalg.solve(r @ v @ r.T, rb) / len(leads)) if leads else None
    f_p = float(stats.f.sf(f, len(leads), n_groups - 1)) if leads else None
    table = pd.DataFrame(
        {
            "event_time": times,
            "estimate": est,
            "se": se,
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
            "p_value": p,
        }
    )
    return table, f, f_p, len(leads), n_groups, n, k, x, y


def _quiet(*args, **kwargs):
    """event_study with every warning turned into an error (none is expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return event_study(*args, **kwargs)


def _estimated(res) -> pd.DataFrame:
    return res.table[~res.table["reference"]].reset_index(drop=True)


# --- golden: coefficients, CR1 SEs, t(G-1) intervals, Wald F ---------------------------------


def test_golden_matches_lsdv_with_own_cr1_sandwich_clustered_by_unit():
    df = _golden_panel()
    res = _quiet(df, "y", "unit", "t", "first")  # G = 20 clusters: no warning
    want, f, f_p, q, g, n, _, _, _ = _lsdv_cr1(df)
    got = _estimated(res)
    assert got["event_time"].tolist() == want["event_time"].tolist()
    assert got["event_time"].tolist() == [-5, -4, -3, -2, 0, 1, 2, 3, 4]
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-7, atol=1e-12, err_msg=col)
    assert res.pretrend_f == pytest.approx(f, rel=1e-7)
    assert res.pretrend_p == pytest.approx(f_p, rel=1e-7)
    # four leads (-5, -4, -3, -2; -1 is the reference), F(q, G-1) = F(4, 19)
    assert res.pretrend_df == (q, g - 1) == (4, 19)
    assert res.n == n == 157  # 20 x 8 - 3 dropped rows
    assert res.outcome == "y" and res.reference == -1


def test_golden_event_times_include_late_and_early_cohorts():
    # Cohort 3 is seen at event times -3..4, cohort 5 at -5..2: all of -5..4 are estimated.
    df = _golden_panel()
    res = _quiet(df, "y", "unit", "t", "first")
    assert res.table["event_time"].tolist() == list(range(-5, 5))
    assert res.table.columns.tolist() == COLUMNS
    assert res.table.index.tolist() == list(range(10))  # sorted, fresh 0..9 index
    want, *_ = _lsdv_cr1(df)
    assert len(want) == 9


def test_golden_with_alpha_ten_percent():
    df = _golden_panel()
    res = _quiet(df, "y", "unit", "t", "first", alpha=0.1)
    want, *_ = _lsdv_cr1(df, alpha=0.1)
    got = _estimated(res)
    np.testing.assert_allclose(got["ci_low"], want["ci_low"], rtol=1e-7)
    np.testing.assert_allclose(got["ci_high"], want["ci_high"], rtol=1e-7)
    # 90% interval is narrower than the default 95% one
    default = _estimated(_quiet(df, "y", "unit", "t", "first"))
    assert (got["ci_high"] - got["ci_low"] < default["ci_high"] - default["ci_low"]).all()


def test_golden_se_agrees_with_statsmodels_lsdv_after_rescaling_k():
    # Second independent source: statsmodels OLS on our LSDV design with cluster-robust
    # errors. statsmodels counts every column in K (unit dummies too), so its CR1 factor
    # differs by (N-K_lsdv)/(N-K_fe) inside the square root; the sandwich is otherwise the same.
    df = _golden_panel()
    want, _, _, _, _, n, k, x, y = _lsdv_cr1(df)
    codes = pd.factorize(df["unit"], sort=True)[0]
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    m = len(want)  # the event-time columns come first in our design
    se_fe = fit.bse[:m] * np.sqrt((n - x.shape[1]) / (n - k))
    res = _quiet(df, "y", "unit", "t", "first")
    np.testing.assert_allclose(_estimated(res)["se"], se_fe, rtol=1e-7)
    np.testing.assert_allclose(_estimated(res)["estimate"], fit.params[:m], rtol=1e-7)


def test_golden_clustered_by_region_not_unit():
    # CR1 by region (10 clusters of two units): different SEs, G-1 = 9 df, and a warning.
    df = _golden_panel()
    with pytest.warns(StatisticalWarning, match=r"^only 10 clusters in 'region'"):
        res = event_study(df, "y", "unit", "t", "first", cluster="region")
    want, f, f_p, _, _, _, _, _, _ = _lsdv_cr1(df, cluster="region")
    got = _estimated(res)
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-7, err_msg=col)
    by_unit, *_ = _lsdv_cr1(df)
    assert not np.allclose(got["se"], by_unit["se"])
    assert res.pretrend_df == (4, 9)
    assert res.pretrend_f == pytest.approx(f, rel=1e-7)
    assert res.pretrend_p == pytest.approx(f_p, rel=1e-7)
    # G = 10 regions shows in the F test's denominator df (G - 1 = 9) and the intervals; the
    # method text names the clusters but holds no counts (reports publish it)
    assert "over G clusters of region, t with G-1 df" in res.method


def test_golden_clustered_by_period_which_cuts_across_units():
    # Clusters that do not nest the units (here the 8 periods): the sandwich now depends on the
    # residuals' unit means being removed (the within transformation of y, not only of X).
    df = _golden_panel()
    with pytest.warns(StatisticalWarning, match=r"^only 8 clusters in 't'"):
        res = event_study(df, "y", "unit", "t", "first", cluster="t")
    want, f, f_p, _, _, _, _, _, _ = _lsdv_cr1(df, cluster="t")
    got = _estimated(res)
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-7, err_msg=col)
    assert res.pretrend_df == (4, 7)
    assert res.pretrend_f == pytest.approx(f, rel=1e-7)
    assert res.pretrend_p == pytest.approx(f_p, rel=1e-7)


def test_golden_reference_minus_three():
    df = _golden_panel()
    res = _quiet(df, "y", "unit", "t", "first", reference=-3)
    want, f, f_p, q, _, _, _, _, _ = _lsdv_cr1(df, reference=-3)
    got = _estimated(res)
    assert got["event_time"].tolist() == [-5, -4, -2, -1, 0, 1, 2, 3, 4]
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-7, err_msg=col)
    assert res.pretrend_df == (q, 19) == (4, 19)  # leads -5, -4, -2, -1
    assert res.pretrend_f == pytest.approx(f, rel=1e-7)
    assert res.pretrend_p == pytest.approx(f_p, rel=1e-7)
    assert res.reference == -3
    ref = res.table[res.table["reference"]]
    assert ref["event_time"].tolist() == [-3]


def test_golden_method_and_evidence_in_full():
    res = _quiet(_golden_panel(), "y", "unit", "t", "first")
    assert res.method == (
        "event-study DiD by OLS with unit and period fixed effects (reference event time -1), "
        "cluster-robust SE (CR1: G/(G-1) x (N-1)/(N-K) correction over G clusters of unit, "
        "t with G-1 df); pre-trend check: joint Wald F test of 4 pre-launch coefficient(s)"
    )
    assert res.evidence == evidence_rating(
        "event_study", comparison_group=True, pre_periods=5, parallel_trends_checked=True
    )
    assert "pre-period trends were not tested" not in res.evidence.reasons


# --- the reference row and the table -----------------------------------------------------------


def test_reference_row_is_zeros_and_left_out_of_the_regression():
    res = _quiet(_golden_panel(), "y", "unit", "t", "first")
    ref = res.table[res.table["event_time"] == -1]
    assert ref.to_dict("records") == [
        {
            "event_time": -1,
            "estimate": 0.0,
            "se": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
            "p_value": 1.0,
            "reference": True,
        }
    ]
    assert res.table["reference"].sum() == 1
    assert res.table["reference"].dtype == bool
    assert res.table["event_time"].dtype.kind == "i"
    others = _estimated(res)
    assert (others["se"] > 0).all() and (others["p_value"] < 1).all()
    assert (others["ci_low"] < others["estimate"]).all()
    assert (others["estimate"] < others["ci_high"]).all()


def test_to_frame_is_a_copy():
    res = _quiet(_golden_panel(), "y", "unit", "t", "first")
    frame = res.to_frame()
    pd.testing.assert_frame_equal(frame, res.table)
    frame.loc[0, "estimate"] = 99.0
    assert res.table.loc[0, "estimate"] != 99.0


# --- planted effects, no noise: each coefficient known by hand ----------------------------------

PLANTED = {-4: 0.3, -3: -0.2, -2: 0.1, -1: 0.0, 0: 2.0, 1: 2.5, 2: 3.25, 3: 4.0}


def _planted_panel() -> pd.DataFrame:
    """y = a_i + l_t + b_e exactly: units launch at 4 or 6 (or never), periods 0..7."""
    rows = []
    for i, first in enumerate([4, 4, 4, 6, 6, 6, None, None, None]):
        for t in range(8):
            b = 0.0 if first is None else PLANTED.get(t - first, 0.0)
            rows.append({"u": i, "t": t, "g": first, "y": 5.0 * i + t * t / 4 + b})
    return pd.DataFrame(rows).astype({"g": float})


def test_planted_effects_recovered_exactly():
    with pytest.warns(StatisticalWarning):  # 9 clusters
        res = event_study(_planted_panel(), "y", "u", "t", "g")
    got = res.table.set_index("event_time")["estimate"]
    # Cohort 4 is seen at -4..3 and cohort 6 at -6..1; event times -6 and -5 carry b = 0.
    want = {-6: 0.0, -5: 0.0, **PLANTED}
    assert got.index.tolist() == sorted(want)
    for e, b in want.items():
        assert got[e] == pytest.approx(b, abs=1e-9), e


def test_planted_effects_against_another_reference():
    # Moving the reference to -2 subtracts b_{-2} = 0.1 from every coefficient.
    with pytest.warns(StatisticalWarning):
        res = event_study(_planted_panel(), "y", "u", "t", "g", reference=-2)
    got = res.table.set_index("event_time")["estimate"]
    want = {-6: -0.1, -5: -0.1, -4: 0.2, -3: -0.3, -2: 0.0, -1: -0.1}
    want |= {0: 1.9, 1: 2.4, 2: 3.15, 3: 3.9}
    for e, b in want.items():
        assert got[e] == pytest.approx(b, abs=1e-9), e
    assert res.table.set_index("event_time").loc[-2, "reference"]
    assert "(reference event time -2)" in res.method


def test_planted_effects_with_window_binning():
    # window=(-2, 1): event times below -2 count as -2 and above 1 count as 1. Plant effects that
    # are constant within each bin (-0.5 for e <= -2, 0 at -1, 2 at 0, 3 for e >= 1).
    df = _planted_panel()
    e = df["t"] - df["g"]
    bins = np.select([e <= -2, e == -1, e == 0, e >= 1], [-0.5, 0.0, 2.0, 3.0], 0.0)
    df["y"] = 5.0 * df["u"] + df["t"] ** 2 / 4 + np.where(e.notna(), bins, 0.0)
    with pytest.warns(StatisticalWarning):
        res = event_study(df, "y", "u", "t", "g", window=(-2, 1))
    got = res.table.set_index("event_time")["estimate"]
    assert got.index.tolist() == [-2, -1, 0, 1]
    assert got.tolist() == pytest.approx([-0.5, 0.0, 2.0, 3.0], abs=1e-9)
    assert res.pretrend_df == (1, 8)  # one lead (-2); 9 clusters
    assert res.method.startswith(
        "event-study DiD by OLS with unit and period fixed effects (reference event time -1, "
        "event times binned at (-2, 1)), cluster-robust SE"
    )
    assert res.method.endswith("joint Wald F test of 1 pre-launch coefficient(s)")


def test_window_binning_matches_lsdv_on_noisy_panel():
    df = _golden_panel()
    res = _quiet(df, "y", "unit", "t", "first", window=(-3, 2))
    want, f, _, q, *_ = _lsdv_cr1(df, window=(-3, 2))
    got = _estimated(res)
    assert got["event_time"].tolist() == [-3, -2, 0, 1, 2]
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-7, err_msg=col)
    assert res.pretrend_df == (q, 19) == (2, 19)
    assert res.pretrend_f == pytest.approx(f, rel=1e-7)


def _three_units() -> pd.DataFrame:
    # T launches at period 2; C1 and C2 never do. Periods 0..3.
    return pd.DataFrame(
        {
            "unit": ["T"] * 4 + ["C1"] * 4 + ["C2"] * 4,
            "t": [0, 1, 2, 3] * 3,
            "first": [2.0] * 4 + [np.nan] * 8,
            "y": [5.0, 7, 12, 16, 3.0, 4, 6, 7, 4.0, 6, 6, 10],  # T, C1, C2
        }
    )


def test_each_coefficient_is_a_two_by_two_against_the_reference_period():
    # One treated unit: its own dummy per event time fits it exactly, so the period effects come
    # from the two comparison units (balanced, so l_t - l_1 is their mean change from t = 1) and
    #   b_e = (y_T,t - y_T,1) - mean_c (y_c,t - y_c,1),   reference e = -1 is t = 1.
    # T changes from t=1:  [5-7, 0, 12-7, 16-7] = [-2, 0, 5, 9]
    # C1 changes:          [3-4, 0, 6-4, 7-4]   = [-1, 0, 2, 3]
    # C2 changes:          [4-6, 0, 6-6, 10-6]  = [-2, 0, 0, 4]; mean of C = [-1.5, 0, 1, 3.5]
    # b_-2 = -2 - (-1.5) = -0.5;  b_0 = 5 - 1 = 4;  b_1 = 9 - 3.5 = 5.5
    with pytest.warns(StatisticalWarning) as caught:
        res = event_study(_three_units(), "y", "unit", "t", "first")
    got = res.table.set_index("event_time")["estimate"]
    assert got.to_dict() == pytest.approx({-2: -0.5, -1: 0.0, 0: 4.0, 1: 5.5}, abs=1e-9)
    assert res.n == 12
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "only 3 clusters in 'unit': cluster-robust SEs (CR1) tend to be too small with fewer "
        "than 20; read the interval as a lower bound on the uncertainty"
    )
    # stacklevel points the warning at the caller of event_study, i.e. this file. (mutmut's
    # trampolines add stack frames, so under mutation testing the frame is theirs.)
    if "MUTANT_UNDER_TEST" not in os.environ:
        assert caught[0].filename == __file__


def test_only_the_reference_before_launch_gives_no_pretrend_test():
    # Drop period 0: the only pre-launch event time left is the reference -1, so there is no
    # lead coefficient to test.
    df = _three_units()
    df = df[df.t > 0]
    with pytest.warns(StatisticalWarning):
        res = event_study(df, "y", "unit", "t", "first")
    assert res.pretrend_f is None and res.pretrend_p is None and res.pretrend_df is None
    assert res.method.endswith("pre-trend check: joint Wald F test of 0 pre-launch coefficient(s)")
    assert res.evidence == evidence_rating(
        "event_study", comparison_group=True, pre_periods=1, parallel_trends_checked=False
    )
    assert "pre-period trends were not tested" in res.evidence.reasons
    # b_0 = (12 - 7) - mean(6 - 4, 6 - 6) = 5 - 1 = 4; b_1 = (16 - 7) - mean(7 - 4, 10 - 6) = 5.5
    got = res.table.set_index("event_time")["estimate"]
    assert got.to_dict() == pytest.approx({-1: 0.0, 0: 4.0, 1: 5.5}, abs=1e-9)
    assert "There is only one period before launch" in res.summary()


# --- bad input: the messages --------------------------------------------------------------------


def test_missing_column_is_named_with_the_function():
    df = _three_units()
    with pytest.raises(DataError, match=r"^missing column\(s\) 'zz' in event_study\(\); expected"):
        event_study(df, "y", "unit", "t", "zz")
    with pytest.raises(DataError, match=r"^missing column\(s\) 'region' in event_study\(\);"):
        event_study(df, "y", "unit", "t", "first", cluster="region")


def test_no_usable_rows_message():
    # The outcome is named "calls" so that the column with most gaps is not also the last name
    # in alphabetical order (unit, t and calls: "unit" would be).
    df = _three_units().rename(columns={"y": "calls"}).assign(calls=np.nan)
    with pytest.raises(
        DataError,
        match=r"^no usable rows in event_study\(\): every row has a missing value \(column "
        r"'calls' is missing in 12 of 12 rows\); expected complete rows$",
    ):
        event_study(df, "calls", "unit", "t", "first")


# One exactly fitted row makes a sandwich variance round to a tiny negative number here;
# statsmodels then warns from its sqrt. Only the estimates are checked in this test.
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_missing_outcome_rows_are_dropped_not_fatal():
    # Drop C2's reading at t=3. T is still fitted exactly by its own dummies, and C1's t=3 row
    # is the only comparison row at t=3, so it fits exactly: l_3 = y_C1,3 - a_C1. The rest of
    # the comparison panel is a balanced 2 x 3 block (t = 0, 1, 2):
    #   C1 = [3, 4, 6] (mean 13/3), C2 = [4, 6, 6] (mean 16/3); column means [3.5, 5, 6];
    #   grand mean 29/6.  l_0 - l_1 = 3.5 - 5 = -1.5;  l_2 - l_1 = 6 - 5 = 1
    #   fitted C1 at t=1 = row + column - grand = 26/6 + 30/6 - 29/6 = 27/6 = 4.5,
    #   so l_3 - l_1 = 7 - 4.5 = 2.5
    # b_-2 = -2 - (-1.5) = -0.5;  b_0 = 5 - 1 = 4;  b_1 = 9 - 2.5 = 6.5
    df = _three_units()
    df.loc[11, "y"] = np.nan
    with pytest.warns(StatisticalWarning):
        res = event_study(df, "y", "unit", "t", "first")
    assert res.n == 11
    got = res.table.set_index("event_time")["estimate"]
    assert got.to_dict() == pytest.approx({-2: -0.5, -1: 0.0, 0: 4.0, 1: 6.5}, abs=1e-9)


def test_non_numeric_outcome_and_time_messages():
    df = _three_units().astype({"y": object, "t": object})
    df.loc[3, "y"] = "n/a"
    with pytest.raises(
        DataError,
        match=r"^column 'y' in event_study\(\), row 3: value 'n/a' is not a number; expected",
    ):
        event_study(df, "y", "unit", "t", "first")
    df = _three_units().astype({"t": object})
    df.loc[5, "t"] = "Q2"
    with pytest.raises(DataError, match=r"^column 't' in event_study\(\), row 5: value 'Q2'"):
        event_study(df, "y", "unit", "t", "first")


def test_non_numeric_first_treated_message():
    df = _three_units().astype({"first": object})
    df.loc[2, "first"] = "2024Q3"
    with pytest.raises(
        DataError,
        match=r"^column 'first' in event_study\(\), row 2: value '2024Q3' is not a number; "
        r"expected",
    ):
        event_study(df, "y", "unit", "t", "first")


def test_first_treated_not_a_period_message():
    df = _three_units()
    df.loc[4:7, "first"] = 0.5
    with pytest.raises(
        DataError,
        match=r"^first_treated='first' in event_study\(\), row 4: 0\.5 is not a period in 't' "
        r"\(0\.\.3\); expected the launch period, or an empty value for never-treated units "
        r"\(R's 0 code: replace it by missing\)$",
    ):
        event_study(df, "y", "unit", "t", "first")


def test_nobody_treated_message():
    df = _three_units().assign(first=np.nan)
    with pytest.raises(
        DataError,
        match=r"^first_treated='first' in event_study\(\) is empty for every unit; expected "
        r"some treated units$",
    ):
        event_study(df, "y", "unit", "t", "first")


def test_no_pre_period_message():
    df = _three_units().assign(first=lambda d: d["first"].where(d["first"].isna(), 0.0))
    with pytest.raises(
        DataError,
        match=r"^no pre-period in event_study\(\): no treated unit is observed before its "
        r"'first'; expected at least one period before launch$",
    ):
        event_study(df, "y", "unit", "t", "first")


def test_reference_not_observed_message():
    # T is seen at event times -2, -1, 0, 1.
    with pytest.raises(
        ParameterError,
        match=r"^reference=-5 is not an observed event time; expected one of \[-2, -1, 0, 1\]$",
    ):
        event_study(_three_units(), "y", "unit", "t", "first", reference=-5)


def test_bad_alpha_message():
    with pytest.raises(
        ParameterError, match=r"^alpha must lie in \(0, 1\), e\.g\. 0\.05; got 1\.5$"
    ):
        event_study(_three_units(), "y", "unit", "t", "first", alpha=1.5)


def test_single_cluster_message():
    df = _three_units().assign(region="north")
    with pytest.raises(
        DataError,
        match=r"^cluster='region' in event_study\(\) has 1 distinct value; expected at least 2 "
        r"clusters \(and ideally 20 or more\)$",
    ):
        event_study(df, "y", "unit", "t", "first", cluster="region")


def test_collinear_design_message():
    # Every unit launches at period 2 and none is never treated: event time = period - 2, so
    # e+0 = t_2.0, e+1 = t_3.0 and e-2 = 1 - t_1.0 - t_2.0 - t_3.0 (the 1 is absorbed by the unit
    # effects). The six columns have rank 3 and dropping any one leaves rank 3: all six are named
    # (event dummies "e" with signed event time, period dummies "t_" with the float period).
    df = _three_units().assign(first=2.0)
    with pytest.raises(
        DataError,
        match=r"^the design in event_study\(\) has no variation to estimate from: column\(s\) "
        r"'e-2', 'e\+0', 'e\+1', 't_1\.0', 't_2\.0', 't_3\.0' are constant or a combination "
        r"of others; expected each term to vary independently$",
    ):
        event_study(df, "y", "unit", "t", "first")


def test_two_clusters_are_enough_to_fit():
    # Clustering T against both comparison units: G = 2 is the smallest number allowed. The
    # estimates do not depend on the clustering (same 2 x 2 arithmetic as above).
    df = _three_units().assign(side=lambda d: np.where(d["unit"] == "T", "T", "C"))
    with pytest.warns(StatisticalWarning, match=r"^only 2 clusters in 'side'"):
        res = event_study(df, "y", "unit", "t", "first", cluster="side")
    got = res.table.set_index("event_time")["estimate"]
    assert got.to_dict() == pytest.approx({-2: -0.5, -1: 0.0, 0: 4.0, 1: 5.5}, abs=1e-9)
    assert "over G clusters of side, t with G-1 df" in res.method


def test_twenty_clusters_do_not_warn_nineteen_do():
    df = _golden_panel()
    _quiet(df, "y", "unit", "t", "first")  # G = 20: raises if anything warns
    fewer = df[df.unit != "u19"]
    with pytest.warns(StatisticalWarning, match=r"^only 19 clusters in 'unit'"):
        event_study(fewer, "y", "unit", "t", "first")


def test_summary_reports_post_launch_range_from_the_fit():
    # Planted panel: post-launch effects 2.0, 2.5, 3.25, 4.0 -> "from 2.00 to 4.00" in 4 periods.
    with pytest.warns(StatisticalWarning):
        res = event_study(_planted_panel(), "y", "u", "t", "g")
    text = res.summary()
    assert text.startswith(
        "Event study of y: effects in 4 period(s) from launch range from 2.00 to 4.00."
    )
    assert re.search(r"Method: event-study DiD .*; n = 72\.$", text)
