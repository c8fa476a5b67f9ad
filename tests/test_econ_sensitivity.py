"""Sensitivity: one-way, switching values, scenarios and Monte Carlo against per-draw appraisals."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.econ import CostBenefitModel, monte_carlo, one_way, scenarios, switching_values
from evalkit.exceptions import EvidenceWarning, ParameterError
from test_econ_cba import OUTCOME, hand_spec, issue_spec


@pytest.fixture
def model():
    return CostBenefitModel.from_dict(issue_spec())


def test_one_way_matches_separate_appraisals(model):
    table = one_way(
        model,
        {"engagement_rate": (0.5, 0.9), "delivery.amount": (200_000, 300_000)},
    )
    assert list(table.columns[:3]) == ["parameter", "base_value", "low_value"]
    row = table.set_index("parameter").loc["engagement_rate"]
    assert row["at_low"] == pytest.approx(
        model.with_params(engagement_rate=0.5).appraise().financial_roi
    )
    assert row["at_high"] == pytest.approx(
        model.with_params(engagement_rate=0.9).appraise().financial_roi
    )
    assert row["base"] == pytest.approx(model.appraise().financial_roi)
    assert table["swing"].is_monotonic_decreasing


def test_switching_value_by_hand(model):
    # The return is proportional to the engagement rate, so it reaches 1 at
    # 0.75 / ROI(base) = 0.75 / 0.934416 = 0.80264.
    base_roi = model.appraise().financial_roi
    table = switching_values(model, ["engagement_rate", "delivery.amount"]).set_index("parameter")
    assert table.loc["engagement_rate", "switching_value"] == pytest.approx(0.75 / base_roi)
    # Costs: ROI = PV fiscal / (1.05 x amount) = 1 at amount = PV fiscal / 1.05.
    pv_fiscal = model.appraise().pv_fiscal
    assert table.loc["delivery.amount", "switching_value"] == pytest.approx(pv_fiscal / 1.05)
    assert table.loc["engagement_rate", "change_pct"] == pytest.approx(
        (0.75 / base_roi - 0.75) / 0.75 * 100
    )


def test_switching_value_not_reached_is_nan_with_note(model):
    table = switching_values(model, ["delivery.optimism_bias"])
    assert np.isnan(table.loc[0, "switching_value"])
    assert "stays below 1" in table.loc[0, "note"]


def test_scenarios(model):
    table = scenarios(
        model,
        {"pessimistic": {"engagement_rate": 0.5}, "optimistic": {f"{OUTCOME}.deadweight": 0.1}},
    )
    assert table["scenario"].tolist() == ["base", "pessimistic", "optimistic"]
    assert table.loc[1, "financial_roi"] == pytest.approx(
        model.with_params(engagement_rate=0.5).appraise().financial_roi
    )
    assert table.loc[0, "financial_roi"] == pytest.approx(model.appraise().financial_roi)


def test_monte_carlo_equals_appraise_per_draw(model):
    dists = {
        "engagement_rate": stats.beta(30, 10),
        f"{OUTCOME}.success_rate": stats.uniform(0.3, 0.2),
        f"{OUTCOME}.deadweight": stats.beta(3, 7),
        f"{OUTCOME}.optimism_bias": stats.uniform(0.0, 0.3),
        f"{OUTCOME}.drop_off": stats.beta(2, 8),
        "delivery.amount": stats.uniform(200_000, 100_000),
    }
    mc = monte_carlo(model, dists, n=40, seed=7)
    params = list(dists)
    for _, row in mc.samples.iterrows():
        r = model.with_params({k: row[k] for k in params}).appraise()
        assert row["financial_roi"] == pytest.approx(r.financial_roi, rel=1e-10)
        assert row["pv_fiscal"] == pytest.approx(r.pv_fiscal, rel=1e-10)
        assert row["net_present_budget_impact"] == pytest.approx(r.net_present_budget_impact)
        assert row["public_value_roi"] == pytest.approx(r.public_value_roi, rel=1e-10)
        if r.payback_years is None:
            assert np.isnan(row["payback_years"])
        else:
            assert row["payback_years"] == pytest.approx(r.payback_years)


def test_monte_carlo_outputs(model):
    dists = {
        "engagement_rate": stats.beta(30, 10),
        f"{OUTCOME}.success_rate": stats.uniform(0.3, 0.2),
    }
    mc = monte_carlo(model, dists, n=2000, seed=1)
    again = monte_carlo(model, dists, n=2000, seed=1)
    pd.testing.assert_frame_equal(mc.samples, again.samples)
    assert len(mc.samples) == 2000
    for col in ["financial_roi", "public_value_roi", "net_present_budget_impact", "pv_fiscal"]:
        assert col in mc.samples
    assert mc.prob_roi_below_1 == pytest.approx(np.mean(mc.samples["financial_roi"] < 1))
    assert mc.percentiles.loc["financial_roi", "p50"] == pytest.approx(
        mc.samples["financial_roi"].median()
    )
    assert "2,000 draws" in mc.summary() and "below 1" in mc.summary()


def test_monte_carlo_bad_input(model):
    with pytest.raises(ParameterError, match=r"unknown model parameter 'engagment_rate'"):
        monte_carlo(model, {"engagment_rate": stats.beta(2, 2)}, n=10)
    with pytest.raises(
        ParameterError, match=r"distributions\['engagement_rate'\] must be a frozen"
    ):
        monte_carlo(model, {"engagement_rate": 0.5}, n=10)
    with pytest.raises(
        ParameterError, match=r"'engagement_rate' has \d+ value\(s\) outside \[0.0, 1.0\]"
    ):
        monte_carlo(model, {"engagement_rate": stats.norm(0.9, 0.2)}, n=500, seed=1)
    with pytest.raises(ParameterError, match="n must be a whole number of draws >= 1; got 0"):
        monte_carlo(model, {"engagement_rate": stats.beta(2, 2)}, n=0)


def test_one_way_bad_input(model):
    with pytest.raises(ParameterError, match=r"ranges\['engagement_rate'\] must be \(low, high\)"):
        one_way(model, {"engagement_rate": 0.5})
    with pytest.raises(ParameterError, match="metric must be one of"):
        one_way(model, {"engagement_rate": (0.5, 0.9)}, metric="irr")


def test_payback_reached_in_year_zero_and_never():
    spec = hand_spec()
    model = CostBenefitModel.from_dict(spec)
    out = model.evaluate({"staff.amount": np.array([1e-3, 1e9])})
    # a negligible cost (0.00105 after bias) is repaid a sliver into year 0-1 by the year-1
    # benefit of 18,409.09 (linear interpolation); a huge one is never repaid
    assert out["payback_years"][0] == pytest.approx(0.00105 / (0.00105 + 18409.0909), rel=1e-6)
    assert np.isnan(out["payback_years"][1])


def test_monte_carlo_gross_warns():
    spec = issue_spec()
    spec["outcomes"][0]["deadweight"] = 0.0
    model = CostBenefitModel.from_dict(spec)
    with pytest.warns(EvidenceWarning, match="GROSS"):
        mc = monte_carlo(model, {"engagement_rate": stats.beta(30, 10)}, n=50, seed=2)
    assert mc.basis == "gross" and "GROSS" in mc.summary()


def test_detail_needs_one_draw(model):
    with pytest.raises(ParameterError, match="detail=True needs a single draw; got 2 draws"):
        model.evaluate({"engagement_rate": [0.5, 0.6]}, detail=True)
