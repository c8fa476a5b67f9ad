"""Tests for evalkit.impact.staggered: Callaway and Sant'Anna through the differences package.

Golden data: ``mpdta`` from the R ``did`` package (tests/fixtures/impact/mpdta.csv, see the
README there): 500 US counties, 2003-2007, log teen employment, minimum-wage rises in 2004,
2006 and 2007 (Callaway and Sant'Anna 2021, doi:10.1016/j.jeconom.2020.12.001).
"""

from __future__ import annotations

import warnings
from pathlib import Path

# differences is a required dependency (pyproject): without it these tests fail, never skip.
import differences  # noqa: F401
import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import staggered_did

FIXTURES = Path(__file__).parent / "fixtures" / "impact"

# R did package (Callaway and Sant'Anna), README / "Introduction to DiD with Multiple Time
# Periods" vignette: att_gt(yname="lemp", gname="first.treat", idname="countyreal",
# tname="year", xformla=~1, data=mpdta), printed to 4 decimals. Point estimates only: R's
# printed SEs come from the multiplier bootstrap and vary with the seed. Every value here is
# also reproduced by the independent 2x2 computation in test_att_gt_equals_two_by_two_means.
R_ATT_GT = {
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}  # fmt: skip
# Same source, aggte(type = "dynamic") event-time effects and aggte(type = "group").
R_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
R_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
# Same source: overall ATT of aggte(type="simple") -0.0400, of the dynamic aggregation -0.0772
# and of the group aggregation -0.0310.
R_SIMPLE, R_DYNAMIC_OVERALL, R_GROUP_OVERALL = -0.0400, -0.0772, -0.0310


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(FIXTURES / "mpdta.csv")
    # R codes never-treated as 0; evalkit uses an empty value.
    df["first_treat"] = df["first.treat"].where(df["first.treat"] > 0)
    return df


@pytest.fixture(scope="module")
def fitted(mpdta):
    return staggered_did(mpdta, "lemp", "countyreal", "year", "first_treat")


def test_att_gt_identical_to_r_did_to_printed_precision(fitted):
    got = {(int(r.group), int(r.time)): round(r.estimate, 4) for r in fitted.att_gt.itertuples()}
    assert got == R_ATT_GT
    assert fitted.att_gt["post"].sum() == 7


def test_aggregations_identical_to_r_did(fitted):
    dyn = {int(r.event_time): round(r.estimate, 4) for r in fitted.dynamic.itertuples()}
    assert dyn == R_DYNAMIC
    grp = {int(r.group): round(r.estimate, 4) for r in fitted.groups.itertuples()}
    assert grp == R_GROUP
    assert round(fitted.estimate, 4) == R_SIMPLE
    assert round(fitted.dynamic_overall.estimate, 4) == R_DYNAMIC_OVERALL
    assert round(fitted.group_overall.estimate, 4) == R_GROUP_OVERALL
    # The simple ATT's analytic SE (about 0.012, as the brief and the R output report).
    assert fitted.se == pytest.approx(0.0120, abs=0.0005)
    assert fitted.evidence_level == 3
    assert "Callaway-Sant'Anna" in fitted.method and "never-treated" in fitted.method


def test_att_gt_equals_two_by_two_means(mpdta, fitted):
    # Independent computation: without covariates and with never-treated controls, ATT(g,t) is
    # the difference between the mean change of cohort g and of the never-treated from the base
    # period (g-1 once launched; t-1 before, R's "varying" base) to t. Its influence-function
    # SE is sqrt(var_g/n_g + var_c/n_c), variances with divisor n.
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    cohort = mpdta.groupby("countyreal")["first.treat"].first()
    for row in fitted.att_gt.itertuples():
        base = row.group - 1 if row.time >= row.group else row.time - 1
        change = wide[row.time] - wide[base]
        g, c = change[cohort == row.group], change[cohort == 0]
        assert row.estimate == pytest.approx(g.mean() - c.mean(), abs=1e-10)
        se = np.sqrt(g.var(ddof=0) / len(g) + c.var(ddof=0) / len(c))
        assert row.se == pytest.approx(se, rel=1e-6)
    # Simple aggregation: post-launch ATT(g,t) weighted by cohort size.
    post = fitted.att_gt[fitted.att_gt["post"]]
    sizes = cohort.value_counts()
    weights = post["group"].map(sizes)
    assert fitted.estimate == pytest.approx(np.average(post["estimate"], weights=weights), 1e-10)


def test_summary_and_frame(fitted):
    text = fitted.summary()
    assert text.startswith("The service is estimated to have lowered lemp by 0.0400 (95% CI")
    assert "level-3" in text and "averaged over event times it is -0.0772" in text
    frame = fitted.to_frame()
    assert frame.loc[0, "evidence_level"] == 3
    assert {"estimate", "se", "ci_low", "ci_high", "p_value", "n", "method"} <= set(frame)


def test_not_yet_treated_controls_run(mpdta):
    res = staggered_did(
        mpdta, "lemp", "countyreal", "year", "first_treat", control_group="not_yet_treated"
    )
    assert res.estimate < 0 and "not-yet-treated" in res.method


def test_recovers_planted_launch_effect_from_demo():
    from evalkit import demo

    data = demo.generate(seed=2024)
    ts = data.timeseries.copy()
    ts["log_rate"] = np.log(ts["referrals"] / ts["population_0_17"])
    ts["launch"] = ts["launch_time"].astype("Float64")
    res = staggered_did(ts, "log_rate", "locality_code", "time", "launch")
    # Planted: referrals x referral_rate_ratio from launch, constant over time. The simple
    # aggregation weights each post-launch (cohort, quarter) by cohort size, so the target is
    # the log ratio averaged over localities and their post-launch quarters.
    truth = data.truth["localities"]
    launch = ts.groupby("locality_code")["launch_time"].first().dropna()
    post_quarters = 24 - launch.astype(int)
    log_ratio = np.log([truth[c]["referral_rate_ratio"] for c in launch.index])
    target = np.average(log_ratio, weights=post_quarters)
    assert abs(res.estimate - target) < 2.5 * res.se
    assert res.ci_high < 0


# --- bad input ------------------------------------------------------------------------------------


def test_r_zero_code_for_never_treated_is_explained(mpdta):
    with pytest.raises(DataError, match=r"first_treated='first.treat'.*0.*replace it by missing"):
        staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat")


def test_no_never_treated_units(mpdta):
    treated_only = mpdta[mpdta["first_treat"].notna()]
    with pytest.raises(DataError, match="no never-treated units"):
        staggered_did(treated_only, "lemp", "countyreal", "year", "first_treat")


def test_duplicate_unit_period(mpdta):
    doubled = pd.concat([mpdta, mpdta.head(1)])
    with pytest.raises(DataError, match="repeats unit 8001 in period 2003"):
        staggered_did(doubled, "lemp", "countyreal", "year", "first_treat")


def test_launch_in_first_period_is_dropped_with_warning(mpdta):
    df = mpdta.copy()
    df.loc[df["countyreal"] == 8001, "first_treat"] = 2003
    with pytest.warns(StatisticalWarning, match="first period.*8001"):
        staggered_did(df, "lemp", "countyreal", "year", "first_treat")


def test_bad_arguments(mpdta):
    with pytest.raises(ParameterError, match="control_group"):
        staggered_did(mpdta, "lemp", "countyreal", "year", "first_treat", control_group="all")
    with pytest.raises(ParameterError, match="estimation"):
        staggered_did(mpdta, "lemp", "countyreal", "year", "first_treat", estimation="ols")
    with pytest.raises(DataError, match="'employment'"):
        staggered_did(mpdta, "employment", "countyreal", "year", "first_treat")
    with pytest.raises(DataError, match=r"time='t'.*2003.5.*whole number"):
        staggered_did(mpdta.assign(t=mpdta["year"] + 0.5), "lemp", "countyreal", "t", "first_treat")


def test_covariates_run(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = staggered_did(mpdta, "lemp", "countyreal", "year", "first_treat", covariates=["lpop"])
    assert res.estimate < 0 and np.isfinite(res.se)
