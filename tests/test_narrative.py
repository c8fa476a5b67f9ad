"""Plain-English sentences choose their words by the numbers and never over-claim."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import narrative
from evalkit.impact import ImpactResult, evidence_rating


def _result(estimate, low, high, design="did", scale="difference", **kwargs):
    rating = evidence_rating(design, **kwargs)
    return ImpactResult(
        estimate=estimate,
        se=0.1,
        ci_low=low,
        ci_high=high,
        p_value=0.01,
        n=200,
        method="test",
        evidence=rating,
        outcome="wellbeing",
        scale=scale,
    )


def test_counts_too_small_to_publish_are_given_in_words() -> None:
    assert narrative.count_phrase(6, "nhs") == "fewer than 8"
    assert narrative.count_phrase(3, "dfe") == "fewer than 6"
    # "about" even when the count is a multiple of 5: otherwise it would reveal the exact count
    assert narrative.count_phrase(420, "nhs") == "about 420"
    assert narrative.count_phrase(41, "dfe") == "41"  # DfE publishes exact counts
    assert narrative.count_phrase(423, "nhs") == "about 425"  # NHS rounds to the nearest 5
    assert narrative.count_phrase(0, "nhs") == "0"


@pytest.mark.parametrize(
    ("d", "word"),
    [
        (0.05, "negligible"),
        (0.25, "small"),
        (0.4, "small-to-moderate"),
        (0.6, "moderate"),
        (1.1, "large"),
        (-0.6, "moderate"),
    ],
)
def test_size_words_follow_cohen(d, word) -> None:
    assert narrative.size_word(d) == word


def test_clear_effect_is_stated_with_interval_and_evidence_level() -> None:
    text = narrative.impact_sentence(
        _result(2.9, 2.4, 3.4, comparison_group=True, pre_periods=1), "wellbeing", unit="points"
    )
    assert text.startswith("The service is estimated to have raised wellbeing by 2.9 points")
    assert "95% confidence interval 2.4 to 3.4 points" in text and "level 3 of 5" in text


def test_a_fall_gives_its_interval_in_the_same_direction() -> None:
    # the user trial's Lancaster sentence: an estimate of -0.261 (95% CI -0.455 to -0.067) on
    # a share, shown in percentage points: lowered by 26.1, interval 6.7 to 45.5 points
    result = _result(-0.261, -0.455, -0.067, comparison_group=True, pre_periods=1)
    text = narrative.impact_sentence(
        result, "the share with a repeat incident", unit="percentage points", scale=100
    )
    assert text.startswith(
        "The service is estimated to have lowered the share with a repeat incident by 26.1 "
        "percentage points (95% confidence interval 6.7 to 45.5 percentage points)."
    )
    assert "-" not in text.split("(")[1].split(")")[0]
    pounds = narrative.impact_sentence(
        _result(-120.0, -200.0, -40.0, comparison_group=True, pre_periods=1), "debt", unit="£"
    )
    assert "lowered debt by £120 (95% confidence interval £40 to £200)" in pounds
    # an interval through no change keeps its signs: it runs both ways
    crossing = narrative.impact_sentence(
        _result(-0.1, -0.3, 0.1, comparison_group=True, pre_periods=1), "the share", scale=100
    )
    assert "-30.0 to 10.0" in crossing


def test_interval_crossing_zero_says_we_cannot_tell() -> None:
    text = narrative.impact_sentence(
        _result(0.4, -0.3, 1.1, comparison_group=True, pre_periods=1), "wellbeing", unit="points"
    )
    assert text.startswith("We cannot tell whether the service changed wellbeing")
    assert "raised" not in text and "includes no change" in text


def test_before_after_design_is_never_described_as_caused() -> None:
    text = narrative.impact_sentence(
        _result(3.8, 3.2, 4.4, design="before_after"), "wellbeing", unit="points"
    )
    assert "not an estimate of what the service caused" in text
    assert "estimated to have" not in text


def test_rate_ratio_in_words() -> None:
    result = _result(
        0.87, 0.83, 0.91, design="its", scale="rate ratio", pre_periods=8, controls=True
    )
    text = narrative.impact_sentence(result, "the rate of referrals", digits=2)
    assert "13% lower than expected from the earlier trend" in text and "level 2 of 5" in text
    # the interval in the estimate's words: 1 - 0.91 = 9% and 1 - 0.83 = 17% lower
    assert "(95% confidence interval 9% to 17% lower)" in text
    crossing = _result(
        0.98, 0.9, 1.05, design="its", scale="rate ratio", pre_periods=8, controls=True
    )
    words = narrative.impact_sentence(crossing, "the rate")
    assert words.startswith("We cannot tell")
    assert "95% confidence interval from 10% lower to 5% higher includes no change" in words
    higher = _result(1.2, 1.05, 1.37, design="its", scale="rate ratio", pre_periods=8)
    assert "20% higher" in narrative.impact_sentence(higher, "the rate")
    assert "(95% confidence interval 5% to 37% higher)" in narrative.impact_sentence(
        higher, "the rate"
    )


def test_change_sentence_is_change_not_effect() -> None:
    text = narrative.change_sentence("average wellbeing", 18.9, 22.7, who="380 people")
    assert text.startswith("Average wellbeing rose by 3.8 points for 380 people")
    assert "not an estimate of what the service caused" in text


def test_money_carries_price_year_and_sign() -> None:
    assert narrative.money(1234.4, 2024) == "£1,234 (2024 prices)"
    assert narrative.money(-366175) == "-£366,175"


def test_targets_are_judged_with_the_interval() -> None:
    # Issue 12: "71, interval 61 to 80, target 70: yes" judged the point estimate only.
    from types import SimpleNamespace as Row

    from evalkit.narrative import target_verdict

    assert target_verdict(Row(target=0.7, ci_low=0.61, ci_high=0.80)) == "cannot tell yet"
    assert target_verdict(Row(target=0.7, ci_low=0.72, ci_high=0.80)) == "met"
    assert target_verdict(Row(target=0.7, ci_low=0.50, ci_high=0.65)) == "not met"
    lower = {"polarity": "lower_is_better", "target": 0.2}
    assert target_verdict(Row(ci_low=0.05, ci_high=0.15, **lower)) == "met"
    assert target_verdict(Row(ci_low=0.25, ci_high=0.35, **lower)) == "not met"
    assert target_verdict(Row(target=float("nan"), ci_low=0.1, ci_high=0.2)) == "no target"


# --- value_sentence: the cost-benefit return in words (expected sentences written by hand) ----


def _cba(financial_roi: float, public_value_roi: float, basis: str):
    """A cost-benefit result with the fields value_sentence reads (the rest zero or empty)."""
    from evalkit.econ.cba import CostBenefitResult

    empty = pd.DataFrame()
    return CostBenefitResult(
        pv_costs=100_000.0,
        pv_fiscal=100_000.0 * financial_roi,
        pv_fiscal_cashable=0.0,
        pv_economic=0.0,
        pv_social=0.0,
        net_present_budget_impact=0.0,
        financial_roi=financial_roi,
        net_present_public_value=0.0,
        public_value_roi=public_value_roi,
        pv_fiscal_non_cashable=0.0,
        payback_years=None,
        net_successes=0.0,
        price_year="2024/25",
        discount="green-book",
        discounting="3.5%",
        horizon_years=5,
        basis=basis,
        method="test",
        optimism_bias_verified=True,
        by_agency=empty,
        by_year=empty,
        by_outcome=empty,
        by_agency_year=empty,
    )


def _monte_carlo(financial_rois: list[float]):
    from evalkit.econ.sensitivity import MonteCarloResult

    samples = pd.DataFrame({"financial_roi": financial_rois})
    return MonteCarloResult(
        n=len(financial_rois), seed=1, prob_roi_below_1=0.0, prob_public_value_roi_below_1=0.0,
        prob_never_pays_back=0.0, financial_roi_median=0.0, financial_roi_ci_low=0.0,
        financial_roi_ci_high=0.0, basis="test", method="test", samples=samples,
        percentiles=pd.DataFrame(),
    )  # fmt: skip


def test_value_sentence_gross_says_it_is_not_the_impact_and_that_savings_fall_short() -> None:
    assert narrative.value_sentence(_cba(0.85, 1.6, "gross")) == (
        "Each £1 spent is estimated to return £0.85 to public budgets (2024/25 prices, "
        "discounted; GROSS: it includes what would have happened anyway, so it is not the "
        "impact). Counting wider economic and social value as well, the return is £1.60 per £1. "
        "The savings to public budgets do not cover the cost."
    )


def test_value_sentence_net_of_deadweight_with_the_simulated_range() -> None:
    # Five draws 0.5, 1.0, ..., 2.5: the 5th and 95th percentiles (linear interpolation between
    # order statistics) are 0.5 + 0.2 * 0.5 = 0.60 and 2.0 + 0.8 * 0.5 = 2.40.
    sentence = narrative.value_sentence(
        _cba(1.234, 2.5, "net of deadweight"), _monte_carlo([2.5, 0.5, 1.5, 1.0, 2.0])
    )
    assert sentence == (
        "Each £1 spent is estimated to return £1.23 to public budgets (2024/25 prices, "
        "discounted; net of deadweight, the outcomes that would have happened anyway); in "
        "simulations "
        "varying the uncertain assumptions, 90% of results lay between £0.60 and £2.40. "
        "Counting wider economic and social value as well, the return is £2.50 per £1."
    )


def test_value_sentence_net_of_a_measured_counterfactual_at_break_even() -> None:
    # A return of exactly £1 covers the cost: no shortfall sentence.
    # with no wider value (public value return = financial return) the figure is said once
    assert narrative.value_sentence(_cba(1.0, 1.0, "net of a measured counterfactual")) == (
        "Each £1 spent is estimated to return £1.00 to public budgets (2024/25 prices, "
        "discounted; net of what would have happened anyway, as the comparison measured it)."
    )
    assert narrative.value_sentence(_cba(0.5, 0.8, "net of a measured counterfactual")).endswith(
        " the return is £0.80 per £1. The savings to public budgets do not cover the cost."
    )


@pytest.mark.parametrize(
    ("years", "horizon", "words"),
    [
        (2.44, 10, "after 2.4 years"),
        (0.0, 5, "within the first year"),  # year 0's savings already cover its costs
        (None, 10, "not within 10 years"),
        (None, 1, "not within 1 year"),
    ],
)
def test_payback_in_words(years, horizon, words) -> None:
    assert narrative.payback_phrase(years, horizon) == words


def test_ratios_in_words() -> None:
    # 0.87 is 13% lower; a trend factor of 1.002 a period is 0.2% higher each period
    assert narrative.ratio_words(0.87) == "13% lower"
    assert narrative.ratio_words(1.002, digits=1) == "0.2% higher"
    assert narrative.ratio_range(0.74, 0.87) == "13% to 26% lower"
    assert narrative.ratio_range(1.05, 1.37) == "5% to 37% higher"
    assert narrative.ratio_range(0.996, 1.009, digits=1) == "from 0.4% lower to 0.9% higher"
