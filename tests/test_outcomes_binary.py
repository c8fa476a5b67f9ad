"""Paired binary outcomes: McNemar against statsmodels, Newcombe method 10 against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes import paired_binary


def _pairs(a: int, b: int, c: int, d: int) -> tuple[list[int], list[int]]:
    """Before/after vectors for cells a = (1,1), b = (1,0), c = (0,1), d = (0,0)."""
    before = [1] * a + [1] * b + [0] * c + [0] * d
    after = [1] * a + [0] * b + [1] * c + [0] * d
    return before, after


@pytest.mark.parametrize(("a", "b", "c", "d"), [(8, 5, 12, 20), (3, 0, 4, 10), (10, 9, 9, 1)])
def test_exact_matches_statsmodels(a, b, c, d):
    # statsmodels.stats.contingency_tables.mcnemar(exact=True): binomial test on b and c.
    result = paired_binary(*_pairs(a, b, c, d))
    reference = mcnemar([[a, b], [c, d]], exact=True)
    assert result.exact
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    assert result.statistic == pytest.approx(reference.statistic)


def test_chi_square_with_continuity_matches_statsmodels():
    # Agresti (2013) presidential approval table: a = 794, b = 150, c = 86, d = 570 (n = 1600);
    # statsmodels mcnemar(exact=False, correction=True) is the reference.
    result = paired_binary(*_pairs(794, 150, 86, 570))
    reference = mcnemar([[794, 150], [86, 570]], exact=False, correction=True)
    assert not result.exact
    assert "continuity correction" in result.method
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.difference == pytest.approx((86 - 150) / 1600)


def test_auto_switch_at_25_discordant_pairs():
    assert paired_binary(*_pairs(5, 12, 12, 5)).exact  # 24 discordant
    assert not paired_binary(*_pairs(5, 12, 13, 5)).exact  # 25 discordant
    assert not paired_binary(*_pairs(5, 2, 3, 5), exact=False).exact


def test_newcombe_reduces_to_independent_hybrid_score_when_phi_is_zero():
    # With ad = bc the phi coefficient is 0 and Newcombe's method 10 equals his independent
    # hybrid score interval (1998, Stat Med 17:873, method 10) on the two margins;
    # statsmodels confint_proportions_2indep(method="newcomb") computes that independently.
    a, b, c, d = 4, 4, 16, 16
    result = paired_binary(*_pairs(a, b, c, d))
    low, high = confint_proportions_2indep(a + c, 40, a + b, 40, method="newcomb")
    assert result.difference == pytest.approx(0.3)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-10)


def test_fagerland_cavo_2012_published_example():
    # Fagerland, Lydersen and Laake (2017), Statistical Analysis of Contingency Tables, ch. 8:
    # complete response before and after consolidation therapy (Cavo et al. 2012), table
    # [[59, 6], [16, 80]]. Published (R package contingencytables, tests/testthat/test-ch8.R):
    # Newcombe square-and-add estimate -0.0621 (95% CI -0.1186 to -0.0046) for before - after;
    # McNemar with continuity correction Z = 1.919, P = 0.055009.
    result = paired_binary(*_pairs(59, 6, 16, 80), exact=False)
    assert round(-result.difference, 4) == -0.0621
    assert (round(-result.ci_high, 4), round(-result.ci_low, 4)) == (-0.1186, -0.0046)
    assert round(np.sqrt(result.statistic), 3) == 1.919
    assert round(result.p_value, 6) == 0.055009


def test_newcombe_method_10_by_hand():
    # Formula of Newcombe (1998, Stat Med 17:2635, method 10) evaluated by hand with
    # statsmodels' Wilson limits: after minus before, with the corrected phi.
    a, b, c, d = 30, 5, 15, 50
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = proportion_confint(a + b, n, method="wilson")
    l2, u2 = proportion_confint(a + c, n, method="wilson")
    # ad - bc = 1425 > n/2, so Newcombe's corrected phi subtracts n/2 = 50
    phi = (a * d - b * c - n / 2) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    lower = p2 - p1 - np.sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    upper = p2 - p1 + np.sqrt((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2)
    result = paired_binary(*_pairs(a, b, c, d))
    assert (result.ci_low, result.ci_high) == pytest.approx((lower, upper), abs=1e-12)
    assert result.ci_low < result.difference < result.ci_high


def test_interval_stays_within_minus_one_one():
    result = paired_binary(*_pairs(0, 0, 10, 0))
    assert -1 <= result.ci_low <= result.ci_high <= 1
    assert result.difference == 1.0


def test_fields_and_summary():
    result = paired_binary(*_pairs(8, 5, 12, 20))
    frame = result.to_frame()
    assert {"b", "c", "statistic", "p_value", "difference", "ci_low", "ci_high", "method"} <= set(
        frame.columns
    )
    text = result.summary()
    assert "12 people gained" in text and "not an impact estimate" in text


def test_missing_values_dropped():
    result = paired_binary([1, 0, np.nan, 1], [1, 1, 0, np.nan])
    assert result.n == 2


def test_bad_input():
    with pytest.raises(DataError, match=r"before, row 1: value 2.0 is not binary"):
        paired_binary([1, 2], [0, 1])
    with pytest.raises(ParameterError, match=r"lengths 2 and 3"):
        paired_binary([1, 0], [0, 1, 1])
    with pytest.raises(ParameterError, match=r"after must be numeric.*'yes'"):
        paired_binary([1, 0], ["yes", "no"])
    with pytest.raises(DataError, match=r"no person has both"):
        paired_binary([np.nan], [1])
    with pytest.raises(DataError, match=r"b \+ c = 0"):
        paired_binary([1, 0], [1, 0], exact=False)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))
def test_interval_is_proper_for_any_table(a, b, c, d):
    assume(a + b + c + d > 0)
    result = paired_binary(*_pairs(a, b, c, d))
    assert -1 <= result.ci_low <= result.difference <= result.ci_high <= 1
    assert 0 <= result.p_value <= 1
    assert result.exact == (b + c < 25)


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------


def _method_10(a: int, b: int, c: int, d: int, alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe (1998, Stat Med 17:2635) method 10, written out from the paper.

    Wilson limits from statsmodels; phi = A / sqrt(product of margins) with A = ad - bc - n/2
    when ad - bc > n/2, 0 when 0 <= ad - bc <= n/2, ad - bc when negative; phi = 0 when a
    margin is empty.
    """
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = proportion_confint(a + b, n, alpha=alpha, method="wilson")
    l2, u2 = proportion_confint(a + c, n, alpha=alpha, method="wilson")
    cross = a * d - b * c
    big_a = cross - n / 2 if cross > n / 2 else (0 if cross >= 0 else cross)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = big_a / np.sqrt(margins) if margins else 0.0
    low = p2 - p1 - np.sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    high = p2 - p1 + np.sqrt((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2)
    return low, high


@pytest.mark.parametrize(
    ("a", "b", "c", "d"),
    [
        (5, 5, 5, 10),  # ad - bc = 25 > n/2 = 12.5 (and below 2n): phi uses 25 - 12.5
        (5, 4, 5, 6),  # ad - bc = 10 = n/2: A = 0 (not 10 - n/3)
        (0, 0, 10, 3),  # no one had the outcome before: an empty margin, phi = 0
        (2, 7, 1, 4),  # ad - bc = 8 - 7 = 1, between 0 and n/2: A = 0
        (1, 6, 5, 2),  # ad - bc = 2 - 30 = -28: A = -28
    ],
)
def test_corrected_phi_branches_by_hand(a, b, c, d):
    result = paired_binary(*_pairs(a, b, c, d))
    assert (result.ci_low, result.ci_high) == pytest.approx(_method_10(a, b, c, d), abs=1e-12)
    assert (result.a, result.b, result.c, result.d) == (a, b, c, d)


def test_ninety_percent_interval_by_hand():
    result = paired_binary(*_pairs(30, 5, 15, 50), ci=0.9)
    assert result.ci == 0.9
    expected = _method_10(30, 5, 15, 50, alpha=0.1)
    assert (result.ci_low, result.ci_high) == pytest.approx(expected, abs=1e-12)


def test_summaries_of_the_published_example_both_ways():
    # Cavo et al. 2012 as above (Fagerland et al. 2017): after - before = 0.0621 (95% CI 0.0046
    # to 0.1186); McNemar with continuity correction p = 0.055009. 65/161 = 40.4% before,
    # 75/161 = 46.6% after. Swapping before and after negates the difference and the interval.
    rose = paired_binary(*_pairs(59, 6, 16, 80), exact=False)
    assert rose.summary() == (
        "The share with the outcome rose by 6.2 percentage points, from 40% to 47% among 161 "
        "people (95% CI 0.5 to 11.9 points; McNemar p = 0.055). 16 people gained the outcome "
        "and 6 lost it. This is change over time, not an impact estimate."
    )
    after, before = _pairs(59, 6, 16, 80)
    fell = paired_binary(before, after, exact=False)
    assert fell.summary() == (
        "The share with the outcome fell by 6.2 percentage points, from 47% to 40% among 161 "
        "people (95% CI -11.9 to -0.5 points; McNemar p = 0.055). 6 people gained the outcome "
        "and 16 lost it. This is change over time, not an impact estimate."
    )
    assert rose.method == (
        "McNemar chi-square test with continuity correction; difference after minus before "
        "with Newcombe (1998) method 10 square-and-add score interval (Wilson limits combined "
        "with the corrected phi)"
    )


def test_summary_when_nothing_changed():
    # a, b, c, d = 3, 2, 2, 3: before = after = 5/10; exact binomial p with b = c is 1.
    result = paired_binary(*_pairs(3, 2, 2, 3))
    low, high = _method_10(3, 2, 2, 3)
    assert result.p_value == 1.0 and result.difference == 0
    assert result.summary() == (
        f"The share with the outcome stayed, from 50% to 50% among 10 people (95% CI "
        f"{low * 100:.1f} to {high * 100:.1f} points; McNemar p = 1). 2 people gained the "
        "outcome and 2 lost it. This is change over time, not an impact estimate."
    )
    assert result.method.startswith("McNemar exact binomial test (two-sided); difference")


def test_exact_test_on_request_above_the_switch_and_with_no_discordant_pairs():
    # 30 discordant pairs (b = 10, c = 20): exact=True forces the binomial test;
    # statsmodels mcnemar(exact=True) is the reference.
    result = paired_binary(*_pairs(5, 10, 20, 5), exact=True)
    assert result.exact and result.statistic == 10
    assert result.p_value == pytest.approx(mcnemar([[5, 10], [20, 5]]).pvalue, rel=1e-10)
    none = paired_binary(*_pairs(4, 0, 0, 6))  # b + c = 0: nothing to test, p = 1
    assert none.p_value == 1.0 and none.statistic == 0 and none.exact


def test_error_messages_in_full():
    with pytest.raises(DataError, match=r"^no person has both a before and an after value$"):
        paired_binary([np.nan], [1])
    with pytest.raises(
        DataError, match=r"^no discordant pairs \(b \+ c = 0\): the chi-square test is undefined$"
    ):
        paired_binary([1, 0], [1, 0], exact=False)
