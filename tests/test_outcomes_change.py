"""Mean change in the outcome's own units: the paired t interval, against published figures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.exceptions import DataError
from evalkit.outcomes import mean_change, mean_level

# Student's sleep data (Cushny and Peebles 1905), extra hours of sleep on two drugs for the same
# ten patients, as in R's datasets::sleep.
DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_paired_change_matches_r_t_test_on_the_sleep_data() -> None:
    # R 4.3: t.test(sleep$extra[11:20], sleep$extra[1:10], paired = TRUE)
    #   mean difference 1.58; 95 percent confidence interval 0.7001142 2.4598858
    r = mean_change(DRUG_1, DRUG_2)
    assert r.estimate == pytest.approx(1.58)
    assert r.ci_low == pytest.approx(0.7001142, abs=1e-6)
    assert r.ci_high == pytest.approx(2.4598858, abs=1e-6)
    assert r.n == 10 and r.kind == "change"
    assert r.mean_before == pytest.approx(0.75) and r.mean_after == pytest.approx(2.33)
    assert "Student's t" in r.method


def test_paired_change_agrees_with_scipy_and_drops_incomplete_pairs() -> None:
    rng = np.random.default_rng(7)
    before = rng.normal(20, 4, 60)
    after = before + rng.normal(1.5, 3, 60)
    before[3], after[8] = np.nan, np.nan
    keep = ~(np.isnan(before) | np.isnan(after))
    expected = stats.ttest_rel(after[keep], before[keep]).confidence_interval(0.9)
    r = mean_change(before, after, ci=0.9)
    assert r.n == 58
    assert (r.ci_low, r.ci_high) == pytest.approx((expected.low, expected.high))


def test_level_is_a_one_sample_t_interval() -> None:
    values = [3.0, 5.0, 4.0, 6.0, np.nan]
    r = mean_level(values)
    expected = stats.ttest_1samp([3.0, 5.0, 4.0, 6.0], 0).confidence_interval()
    assert r.estimate == pytest.approx(4.5) and r.n == 4 and r.kind == "level"
    assert (r.ci_low, r.ci_high) == pytest.approx((expected.low, expected.high))


def test_summary_never_calls_change_an_impact() -> None:
    text = mean_change(DRUG_1, DRUG_2, outcome="extra sleep").summary()
    assert "change over time, not an estimate of what the service caused" in text


def test_too_few_or_mismatched_readings_are_refused() -> None:
    with pytest.raises(DataError, match="at least 2"):
        mean_change([1.0, np.nan], [2.0, 3.0])
    with pytest.raises(DataError, match="must pair up"):
        mean_change([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="at least 2"):
        mean_level([np.nan])


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------
# Student's t quantiles from a printed t table (e.g. Moore, McCabe and Craig, Introduction to the
# Practice of Statistics, Table D): t_{1, 0.975} = 12.706, t_{3, 0.975} = 3.182.
T1_975, T3_975 = 12.7062047, 3.1824463


def test_level_by_hand_and_its_summary() -> None:
    # 3, 5, 4, 6: mean 4.5; deviations -1.5, 0.5, -0.5, 1.5, sum of squares 5, SD = sqrt(5/3);
    # SE = SD / sqrt(4) = 0.645497; limits 4.5 -/+ 3.1824463 x 0.645497 = 2.4457, 6.5543.
    se = np.sqrt(5 / 3) / 2
    r = mean_level([3.0, 5.0, 4.0, 6.0])
    assert r.se == pytest.approx(se, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((4.5 - T3_975 * se, 4.5 + T3_975 * se))
    assert np.isnan(r.mean_before) and r.mean_after == 4.5
    assert r.ci == 0.95 and r.method == "mean with a 95% Student's t interval"
    assert r.summary() == (
        "The average the outcome was 4.50 across 4 readings (95% interval 2.45 to 6.55)."
    )
    named = mean_level([3, 5, 4, 6], ci=0.9, outcome="score")
    assert named.ci == 0.9 and named.method == "mean with a 90% Student's t interval"
    assert named.summary().startswith("The average score was 4.50 across 4 readings (90% ")


def test_two_pairs_are_enough_by_hand() -> None:
    # changes 4 - 1 = 3 and 3 - 2 = 1: mean 2, SD sqrt(2), SE sqrt(2)/sqrt(2) = 1;
    # limits 2 -/+ 12.7062 = -10.71, 14.71 (t on 1 df).
    r = mean_change([1, 2], [4, 3])
    assert r.estimate == 2 and r.se == pytest.approx(1.0, rel=1e-12) and r.n == 2
    assert (r.ci_low, r.ci_high) == pytest.approx((2 - T1_975, 2 + T1_975))
    assert r.summary() == (
        "The average the outcome went from 1.50 to 3.50, a change of +2.00 (95% interval "
        "-10.71 to +14.71) across 2 people. This is change over time, not an estimate of what "
        "the service caused."
    )
    assert "The average sleep went from" in mean_change([1, 2], [4, 3], outcome="sleep").summary()
    level = mean_level([1.0, 3.0])  # mean 2, SD sqrt(2), SE 1
    assert level.n == 2 and level.se == pytest.approx(1.0, rel=1e-12)


def test_missing_values_written_as_none_and_non_numbers() -> None:
    r = mean_change([1, None, 2], [4, 7, 3])  # None is missing: the pair is left out
    assert r.n == 2 and r.estimate == 2
    assert mean_level([3, None, 5]).estimate == 4
    with pytest.raises(DataError, match=r"^before: expected numbers$"):
        mean_change(["a", "b"], [1, 2])
    with pytest.raises(DataError, match=r"^after: expected numbers$"):
        mean_change([1, 2], ["a", "b"])
    with pytest.raises(DataError, match=r"^values: expected numbers$"):
        mean_level(["a", "b"])
    with pytest.raises(DataError, match=r"^sleep: 1 people with both readings; expected at least"):
        mean_change([1.0, np.nan], [2.0, 3.0], outcome="sleep")
    with pytest.raises(DataError, match=r"^the outcome: 0 readings; expected at least 2$"):
        mean_level([np.nan])
