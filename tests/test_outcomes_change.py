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
