"""Reliable change (Jacobson and Truax 1991): published worked example and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes import clinical_cutoffs, reliable_change


def test_published_worked_example_piers_harris():
    # Wodrich, "How to calculate reliable change indexes", Appendix E (University of Arizona
    # open textbook, Table A.3.1): Piers-Harris-2 total, SEM = 3.07 -> S_diff = 4.34,
    # 1.96 x S_diff = 8.51; pre 24, post 35, change 11 > 8.51: reliable change.
    # Our inputs give the same SEM: sd = 10 (T-score) and r = 1 - 0.307^2.
    result = reliable_change([24], [35], sd=10, reliability=1 - 0.307**2)
    assert result.se_measurement == pytest.approx(3.07)
    assert round(result.s_diff, 2) == 4.34
    assert round(result.threshold, 2) == 8.51
    assert bool(result.table["reliable"].iloc[0])
    assert result.table["category"].iloc[0] == "improved"


def test_formula_by_hand():
    # Jacobson and Truax (1991), doi:10.1037/0022-006X.59.1.12: SE = s1 sqrt(1 - r),
    # S_diff = sqrt(2 SE^2), RC = (x2 - x1) / S_diff. Hand computation: s1 = 7.5, r = 0.8.
    se = 7.5 * np.sqrt(0.2)
    s_diff = np.sqrt(2 * se**2)
    result = reliable_change([30, 30, 30], [40, 33, 20], sd=7.5, reliability=0.8)
    assert result.s_diff == pytest.approx(s_diff)
    assert result.table["rc"].tolist() == pytest.approx([10 / s_diff, 3 / s_diff, -10 / s_diff])
    assert result.table["category"].tolist() == ["improved", "unchanged", "deteriorated"]
    assert result.counts == {"recovered": 0, "improved": 1, "unchanged": 1, "deteriorated": 1}


def test_lower_is_better_flips_direction():
    result = reliable_change([30, 30], [15, 45], sd=7.5, reliability=0.8, higher_is_better=False)
    assert result.table["category"].tolist() == ["improved", "deteriorated"]
    # lower is better with a cut-off of 20: 30 -> 15 crosses into the functional range
    recovered = reliable_change(
        [30, 30, 18], [15, 22, 5], sd=7.5, reliability=0.8, higher_is_better=False, cutoff=20
    )
    assert recovered.table["category"].tolist() == ["recovered", "unchanged", "improved"]


def test_recovered_needs_reliable_change_and_crossing_cutoff():
    result = reliable_change([20, 20, 27, 20], [32, 24, 40, 36], sd=4, reliability=0.8, cutoff=26)
    # threshold = 1.96 * sqrt(2) * 4 * sqrt(0.2) = 4.96 points
    assert result.threshold == pytest.approx(1.96 * np.sqrt(2) * 4 * np.sqrt(0.2))
    assert result.table["category"].tolist() == ["recovered", "unchanged", "improved", "recovered"]
    assert result.recovered == 2


def test_clinical_cutoffs_by_hand():
    # c = (s_dys m_func + s_func m_dys) / (s_dys + s_func) (Jacobson and Truax 1991, p. 13)
    cut = clinical_cutoffs(
        mean_dysfunctional=15, sd_dysfunctional=4, mean_functional=25, sd_functional=3
    )
    assert cut.c == pytest.approx((4 * 25 + 3 * 15) / 7)
    assert cut.a == pytest.approx(23)
    assert cut.b == pytest.approx(19)
    lower = clinical_cutoffs(
        mean_dysfunctional=30,
        sd_dysfunctional=5,
        mean_functional=10,
        sd_functional=5,
        higher_is_better=False,
    )
    assert (lower.a, lower.b, lower.c) == pytest.approx((20, 20, 20))
    assert "at or below" in lower.summary()


def test_missing_pairs_counted_and_index_kept():
    pre = pd.Series([20, np.nan, 22, 25], index=["p1", "p2", "p3", "p4"])
    post = pd.Series([25, 21, np.nan, 31], index=pre.index)
    result = reliable_change(pre, post, sd=4, reliability=0.8)
    assert result.n == 2 and result.n_incomplete == 2
    assert list(result.table.index) == ["p1", "p4"]
    assert "2 people without both scores" in result.summary()


def test_summary_is_plain_and_not_impact():
    text = reliable_change([20, 20], [30, 20], sd=4, reliability=0.8).summary()
    assert "measurement error" in text and "not an impact estimate" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(7, 35), st.integers(7, 35)), min_size=1, max_size=40))
def test_counts_add_up_and_agree_with_threshold(pairs):
    pre, post = zip(*pairs, strict=True)
    result = reliable_change(list(pre), list(post), sd=4.0, reliability=0.85)
    assert sum(result.counts.values()) == result.n == len(pairs)
    reliable = result.table["change"].abs() > result.threshold
    assert (reliable == result.table["reliable"]).all()


@pytest.mark.parametrize("bad", [0, 1, 1.2, -0.1])
def test_reliability_outside_zero_one(bad):
    with pytest.raises(ParameterError, match=rf"reliability must lie in \(0.0, 1.0\); got {bad}"):
        reliable_change([1, 2], [2, 3], sd=4, reliability=bad)


def test_bad_sd_and_lengths_and_scores():
    with pytest.raises(ParameterError, match=r"sd must lie in.*-3"):
        reliable_change([1, 2], [2, 3], sd=-3, reliability=0.8)
    with pytest.raises(ParameterError, match=r"lengths 2 and 3"):
        reliable_change([1, 2], [2, 3, 4], sd=3, reliability=0.8)
    with pytest.raises(ParameterError, match=r"post must be numeric.*'x'"):
        reliable_change([1, 2], ["x", 3], sd=3, reliability=0.8)
    with pytest.raises(DataError, match=r"no person has both"):
        reliable_change([np.nan, 2], [3, np.nan], sd=3, reliability=0.8)


def test_cutoffs_need_both_functional_values():
    with pytest.raises(ParameterError, match=r"sd_functional=None"):
        clinical_cutoffs(mean_dysfunctional=10, sd_dysfunctional=2, mean_functional=20)
    with pytest.raises(ParameterError, match=r"sd_dysfunctional must lie in.*0"):
        clinical_cutoffs(mean_dysfunctional=10, sd_dysfunctional=0)
