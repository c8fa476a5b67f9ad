"""Sensitivity: one-way, switching values, scenarios and Monte Carlo against per-draw appraisals."""

import warnings

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


# Hand-worked sensitivity on the small model of test_econ_cba.hand_spec ------------------------


def _hand_roi(
    engagement=0.5, deadweight=0.25, bias=0.10, drop_off=0.5, amount=20000.0, uplift=0.05
):
    """The financial return of hand_spec written out independently (HMT / New Economy 2014):
    100 people x engagement x success 0.4 x (1 - deadweight) x (1 - optimism bias) successes,
    worth 1,500 a year in year 1 and (1 - drop-off) of that in year 2, at a flat 10%; costs
    amount x (1 + uplift) in year 0."""
    successes = 100 * engagement * 0.4 * (1 - deadweight) * (1 - bias)
    pv_fiscal = 1500 * successes * (1 / 1.1 + (1 - drop_off) / 1.1**2)
    return pv_fiscal / (amount * (1 + uplift))


@pytest.fixture
def hand_model():
    return CostBenefitModel.from_dict(hand_spec())


def test_one_way_three_parameters_by_hand(hand_model):
    table = one_way(
        hand_model,
        {
            "engagement_rate": (0.25, 0.75),
            "staff.amount": (10_000, 40_000),
            "fewer crises.deadweight": (0.0, 0.5),
        },
    )
    assert _hand_roi() == pytest.approx(1.27509, abs=1e-5)  # as in test_worked_example_by_hand
    expected = {
        "staff.amount": (20000.0, 10000.0, 40000.0, _hand_roi(amount=1e4), _hand_roi(amount=4e4)),
        "engagement_rate": (0.5, 0.25, 0.75, _hand_roi(0.25), _hand_roi(0.75)),
        "fewer crises.deadweight": (
            0.25,
            0.0,
            0.5,
            _hand_roi(deadweight=0),
            _hand_roi(deadweight=0.5),
        ),
    }
    # tornado order: swings 1.9126, 1.2751, 0.8501
    assert table["parameter"].tolist() == list(expected)
    assert table.index.tolist() == [0, 1, 2]
    assert list(table.columns) == [
        "parameter",
        "base_value",
        "low_value",
        "high_value",
        "base",
        "at_low",
        "at_high",
        "swing",
        "metric",
    ]
    for row in table.itertuples():
        base_value, low, high, at_low, at_high = expected[row.parameter]
        assert (row.base_value, row.low_value, row.high_value) == (base_value, low, high)
        assert row.base == pytest.approx(_hand_roi())
        assert (row.at_low, row.at_high) == pytest.approx((at_low, at_high))
        assert row.swing == pytest.approx(abs(at_high - at_low))
        assert row.metric == "financial_roi"


def test_switching_values_of_every_parameter_by_hand(hand_model):
    table = switching_values(hand_model).set_index("parameter")
    assert list(table.index) == list(hand_model.parameters())
    assert list(table.columns) == ["base_value", "switching_value", "change", "change_pct", "note"]
    roi = _hand_roi()
    # ROI is proportional to engagement and success rate: 1 at base / ROI.
    assert table.loc["engagement_rate", "switching_value"] == pytest.approx(0.5 / roi)
    assert table.loc["fewer crises.success_rate", "switching_value"] == pytest.approx(0.4 / roi)
    # (1 - d) x ROI / 0.75 = 1  ->  d = 1 - 0.75 / ROI
    assert table.loc["fewer crises.deadweight", "switching_value"] == pytest.approx(1 - 0.75 / roi)
    # drop-off: 1500 x 13.5 x (1/1.1 + (1 - f)/1.21) = 21000  ->  f = 0.845185
    f = 1 - (21000 / 20250 - 1 / 1.1) * 1.21
    assert f == pytest.approx(0.845185, abs=1e-6)
    assert table.loc["fewer crises.drop_off", "switching_value"] == pytest.approx(f)
    # cost: amount x 1.05 = PV fiscal = 26,776.86  ->  amount = 25,501.77
    assert table.loc["staff.amount", "switching_value"] == pytest.approx(20000 * roi)
    row = table.loc["engagement_rate"]
    assert row["change"] == pytest.approx(0.5 / roi - 0.5)
    assert row["note"] == "financial_roi reaches 1 when engagement_rate is 0.3921 (base 0.5)"


def test_switching_value_notes_when_the_target_is_not_reached(hand_model):
    # Costs uplifted by 0-20%: ROI = 26,776.86 / (20,000 x 1.2) = 1.116 at worst: stays above 1.
    table = switching_values(
        hand_model, ["staff.optimism_bias"], bounds={"staff.optimism_bias": (0, 0.2)}
    )
    assert np.isnan(table.loc[0, "switching_value"])
    assert table.loc[0, "note"] == (
        "financial_roi stays above 1 for staff.optimism_bias between 0 and 0.2"
    )
    # Amounts are searched over (1e-6 x base, 100 x base] = (0.02, 2,000,000]: at 2,000,000 the
    # return is 26,776.86 / 2,100,000 = 0.0128, still above a target of 0.001.
    table = switching_values(hand_model, ["staff.amount"], target=0.001)
    assert table.loc[0, "note"] == (
        "financial_roi stays above 0.001 for staff.amount between 0.02 and 2e+06"
    )


def test_switching_value_from_a_zero_base_has_no_percentage_change(hand_model):
    # Base uplift 0: ROI = 26,776.86 / (20,000 x (1 + b)) = 1 at b = 0.338843.
    model = hand_model.with_params({"staff.optimism_bias": 0.0})
    table = switching_values(model, ["staff.optimism_bias"])
    assert table.loc[0, "switching_value"] == pytest.approx(_hand_roi(uplift=0) - 1)
    assert np.isnan(table.loc[0, "change_pct"])


def test_scenarios_without_the_base_and_errors(hand_model):
    table = scenarios(hand_model, {"low": {"engagement_rate": 0.25}}, include_base=False)
    assert table["scenario"].tolist() == ["low"]
    assert table["engagement_rate"].tolist() == [0.25]
    assert table.loc[0, "financial_roi"] == pytest.approx(_hand_roi(0.25))
    only_base = scenarios(hand_model, {})
    assert only_base["scenario"].tolist() == ["base"]
    assert only_base.loc[0, "financial_roi"] == pytest.approx(_hand_roi())
    with pytest.raises(ParameterError) as err:
        scenarios(hand_model, {}, include_base=False)
    assert str(err.value) == "cases must name at least one scenario"


def test_sensitivity_argument_errors_in_full(hand_model):
    with pytest.raises(ParameterError) as err:
        one_way(hand_model, {"engagement_rate": (0.2, 0.3)}, metric="payback_years")
    assert str(err.value) == (
        "metric must be one of 'pv_costs', 'pv_fiscal', 'pv_fiscal_cashable', 'pv_economic', "
        "'pv_social', 'net_present_budget_impact', 'financial_roi', 'net_present_public_value', "
        "'public_value_roi'; got 'payback_years'"
    )
    with pytest.raises(ParameterError) as err:
        one_way(hand_model, {})
    assert str(err.value) == "ranges must name at least one parameter with (low, high) values"
    with pytest.raises(ParameterError) as err:
        monte_carlo(hand_model, {}, n=10)
    assert str(err.value) == "distributions must map at least one parameter to a distribution"
    with pytest.raises(ParameterError) as err:
        monte_carlo(hand_model, {"engagement_rate": stats.beta(2, 2)}, n=2.5)
    assert str(err.value) == "n must be a whole number of draws >= 1; got 2.5"
    # an unfrozen distribution (stats.beta itself) has rvs() but no parameters
    with pytest.raises(ParameterError, match=r"must be a frozen scipy.stats distribution"):
        monte_carlo(hand_model, {"engagement_rate": stats.beta}, n=10)


def test_monte_carlo_statistics_and_summary_in_full(hand_model):
    # Engagement uniform on [0, 1]: the financial return is 2.55 x engagement, the public value
    # return (fiscal 1,500 + economic 200 a success) 1700/1500 times that.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # deadweight 0.25: no GROSS warning
        mc = monte_carlo(hand_model, {"engagement_rate": stats.uniform(0, 1)}, n=200, seed=5)
    e = mc.samples["engagement_rate"].to_numpy()
    roi = e * _hand_roi(1.0)
    public = roi * 1700 / 1500
    np.testing.assert_allclose(mc.samples["financial_roi"], roi, rtol=1e-10)
    assert mc.prob_roi_below_1 == np.mean(roi < 1)
    assert mc.prob_public_value_roi_below_1 == np.mean(public < 1)
    assert 0 < np.mean(public < 1) < np.mean(public < 2)  # the threshold matters in this sample
    assert mc.financial_roi_ci_low == pytest.approx(np.percentile(roi, 5))
    assert mc.financial_roi_ci_high == pytest.approx(np.percentile(roi, 95))
    assert (mc.n, mc.seed, mc.basis) == (200, 5, "net of deadweight")
    assert mc.method == "independent draws of engagement_rate ~ uniform"
    assert mc.percentiles.index.name == "output"
    assert list(mc.percentiles.columns) == ["p5", "p25", "p50", "p75", "p95"]
    assert "payback_years" not in mc.percentiles.index
    assert mc.summary() == (
        f"Monte Carlo simulation with 200 draws (seed 5) of the uncertain parameters "
        f"(independent draws of engagement_rate ~ uniform). The financial return has a median "
        f"of £{np.median(roi):.2f} per £1, and 90% of draws lie between "
        f"£{np.percentile(roi, 5):.2f} and £{np.percentile(roi, 95):.2f}. In "
        f"{np.mean(roi < 1):.0%} of draws public budgets get back less than they spend (return "
        f"below 1); in {np.mean(public < 1):.0%} the public value return is below 1; in "
        f"{mc.prob_never_pays_back:.0%} the costs are not paid back within the horizon. These "
        "ranges reflect only the parameters given distributions, not doubts about the model "
        "itself."
    )


def test_monte_carlo_of_one_draw(hand_model):
    mc = monte_carlo(hand_model, {"engagement_rate": stats.uniform(0.5, 0)}, n=1, seed=1)
    assert mc.samples["financial_roi"].tolist() == pytest.approx([_hand_roi()])


def test_monte_carlo_gross_warning_and_drawn_deadweight():
    spec = hand_spec()
    spec["outcomes"][0]["deadweight"] = 0.0
    model = CostBenefitModel.from_dict(spec)
    with pytest.warns(EvidenceWarning) as caught:
        mc = monte_carlo(model, {"engagement_rate": stats.beta(30, 10)}, n=20, seed=2)
    assert str(caught[0].message) == (
        "every outcome has deadweight 0: the simulated benefits are GROSS, not the programme's "
        "impact"
    )
    assert mc.summary().endswith(
        " The benefits are GROSS (no deadweight): they include what would have happened anyway."
    )
    # A deadweight that is drawn is not 0: the result is net and nothing is said about GROSS.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = monte_carlo(model, {"fewer crises.deadweight": stats.beta(3, 7)}, n=20, seed=2)
    assert net.basis == "net of deadweight"
    assert "GROSS" not in net.summary()
