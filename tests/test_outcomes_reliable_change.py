"""Reliable change (Jacobson and Truax 1991): published worked example and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes import clinical_cutoffs, reliable_change
from evalkit.outcomes.reliable_change import rc_categories


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


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------


def test_exactly_1_96_is_not_reliable_change():
    # Jacobson and Truax (1991, p. 14): change is reliable when RC > 1.96 (strictly). With
    # S_diff = 1, RC = post - pre; 1.96 exactly is not reliable, either way round.
    pre = np.array([0.0, 0.0, 0.0, 1.96])
    post = np.array([1.96, -1.96, 1.97, 0.0])
    rc, reliable, category = rc_categories(pre, post, 1.0, higher_is_better=True, cutoff=None)
    assert rc.tolist() == [1.96, -1.96, 1.97, -1.96]
    assert reliable.tolist() == [False, False, True, False]
    assert category.tolist() == ["unchanged", "unchanged", "improved", "unchanged"]
    # with a cut-off at 1: a change of exactly 1.96 across it is still not recovery
    _, _, category = rc_categories(pre, post, 1.0, higher_is_better=True, cutoff=1.0)
    assert category.tolist() == ["unchanged", "unchanged", "recovered", "unchanged"]


def test_recovery_at_the_cut_off_itself():
    # The functional range includes the cut-off ("at or above" / "at or below" it): ending exactly
    # on it counts as crossing; starting exactly on it does not (already functional).
    # S_diff = 1, so any change above 1.96 is reliable.
    # higher is better, cut-off 10: 5 -> 10 recovered; 10 -> 15 improved; 9.5 -> 15 recovered.
    _, _, up = rc_categories(
        np.array([5.0, 10.0, 9.5]),
        np.array([10.0, 15.0, 15.0]),
        1.0,
        higher_is_better=True,
        cutoff=10.0,
    )
    assert up.tolist() == ["recovered", "improved", "recovered"]
    # lower is better, cut-off 10: 15 -> 10 recovered; 10 -> 5 improved; 10.5 -> 5 recovered.
    _, _, down = rc_categories(
        np.array([15.0, 10.0, 10.5]),
        np.array([10.0, 5.0, 5.0]),
        1.0,
        higher_is_better=False,
        cutoff=10.0,
    )
    assert down.tolist() == ["recovered", "improved", "recovered"]


def test_result_fields_table_and_summary_by_hand():
    # sd = 4, r = 0.8: SE = 4 sqrt(0.2) = 1.78885; S_diff = sqrt(2) x 1.78885 = 2.52982;
    # threshold 1.96 x 2.52982 = 4.95845. Cut-off 26 (higher is better).
    # p1 20 -> 32 (+12, crosses 26): recovered; p2 20 -> 24 (+4): unchanged;
    # p3 27 -> 40: improved (already functional); p4 30 -> 22 (-8): deteriorated; p5 missing.
    pre = pd.Series([20, 20, 27, 30, np.nan], index=["p1", "p2", "p3", "p4", "p5"])
    post = pd.Series([32, 24, 40, 22, 30], index=pre.index)
    result = reliable_change(pre, post, sd=4, reliability=0.8, cutoff=26)
    assert (result.sd, result.reliability, result.cutoff) == (4.0, 0.8, 26.0)
    assert isinstance(result.cutoff, float) and result.higher_is_better is True
    assert result.se_measurement == pytest.approx(4 * np.sqrt(0.2), rel=1e-12)
    assert (result.n, result.n_incomplete) == (4, 1)
    assert list(result.table.columns) == ["pre", "post", "change", "rc", "reliable", "category"]
    assert result.table["pre"].tolist() == [20, 20, 27, 30]
    assert result.table["post"].tolist() == [32, 24, 40, 22]
    assert list(result.table["category"].cat.categories) == [
        "recovered",
        "improved",
        "unchanged",
        "deteriorated",
    ]
    assert result.method == (
        "Jacobson and Truax (1991) reliable change index, S_diff = sqrt(2) sd sqrt(1 - r), "
        "|RC| > 1.96; recovered = reliable improvement crossing the cut-off"
    )
    assert result.summary() == (
        "Of 4 people with scores before and after, 2 (50%) improved by more than measurement "
        "error alone would explain (a change of more than 5.0 points), 1 (25%) showed no "
        "reliable change and 1 (25%) reliably deteriorated. 1 (25%) also moved into the "
        "functional range (recovered). 1 people without both scores are left out. This is "
        "change over time, not an impact estimate."
    )
    plain = reliable_change([20, 20], [30, 20], sd=4, reliability=0.8, higher_is_better=False)
    assert plain.cutoff is None and plain.higher_is_better is False
    assert plain.method == (
        "Jacobson and Truax (1991) reliable change index, S_diff = sqrt(2) sd sqrt(1 - r), "
        "|RC| > 1.96"
    )
    assert plain.summary() == (
        "Of 2 people with scores before and after, 0 (0%) improved by more than measurement "
        "error alone would explain (a change of more than 5.0 points), 1 (50%) showed no "
        "reliable change and 1 (50%) reliably deteriorated. This is change over time, not an "
        "impact estimate."
    )


def test_sd_must_be_positive_and_finite():
    assert reliable_change([1], [2], sd=0.5, reliability=0.5).sd == 0.5
    for bad in (0, np.inf):
        with pytest.raises(ParameterError, match=rf"^sd must lie in \(0, inf\); got {bad}$"):
            reliable_change([1, 2], [2, 3], sd=bad, reliability=0.8)
    with pytest.raises(ParameterError, match=r"^pre must be numeric; got values such as"):
        reliable_change(["x", 3], [1, 2], sd=3, reliability=0.8)


def test_cutoffs_fields_summaries_and_messages():
    # Jacobson and Truax (1991): a = m_dys + 2 s_dys = 10 + 2 x 0.5 = 11 (higher is better)
    only_a = clinical_cutoffs(mean_dysfunctional=10, sd_dysfunctional=0.5)
    assert (only_a.a, only_a.b, only_a.c) == (11.0, None, None)
    assert only_a.higher_is_better is True
    assert only_a.method == "Jacobson and Truax (1991) cut-offs a, b, c"
    assert only_a.summary() == (
        "A score at or above 11.0 (cut-off a) counts as being in the functional range."
    )
    # c = (4 x 25 + 3 x 15) / 7 = 145 / 7 = 20.71
    both = clinical_cutoffs(
        mean_dysfunctional=15, sd_dysfunctional=4, mean_functional=25, sd_functional=0.5
    )
    assert both.b == 24.0  # 25 - 2 x 0.5
    higher = clinical_cutoffs(
        mean_dysfunctional=15, sd_dysfunctional=4, mean_functional=25, sd_functional=3
    )
    assert higher.summary() == (
        "A score at or above 20.7 (cut-off c) counts as being in the functional range."
    )
    lower = clinical_cutoffs(mean_dysfunctional=30, sd_dysfunctional=5, higher_is_better=False)
    assert lower.higher_is_better is False and lower.a == 20.0  # 30 - 2 x 5
    assert lower.summary() == (
        "A score at or below 20.0 (cut-off a) counts as being in the functional range."
    )
    with pytest.raises(
        ParameterError,
        match=r"^mean_functional and sd_functional must be given together; got "
        r"mean_functional=20, sd_functional=None$",
    ):
        clinical_cutoffs(mean_dysfunctional=10, sd_dysfunctional=2, mean_functional=20)
    with pytest.raises(ParameterError, match=r"^sd_functional must lie in \(0, inf\]; got 0$"):
        clinical_cutoffs(
            mean_dysfunctional=10, sd_dysfunctional=2, mean_functional=20, sd_functional=0
        )
