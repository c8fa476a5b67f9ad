"""Hand-computed golden for matching WITH replacement (evalkit.impact.matching.match).

Source of the formula: Abadie and Imbens (2006), "Large sample properties of matching estimators
for average treatment effects", Econometrica 74(1):235-267, doi:10.1111/j.1468-0262.2006.00655.x.
For the ATT with M matches per treated unit, the estimator is
``tau = N1^-1 * sum_{W_i=1} (Y_i - mean of Y over i's M matches)``, and its (conditional) variance
is ``N1^-2 * sum_i (W_i - (1 - W_i) * K_M(i) / M)^2 * sigma^2(X_i, W_i)`` (their section 3 and
Theorem 7), where ``K_M(i)`` is the number of times control ``i`` is used as a match. So a treated
unit carries weight 1 and a control carries weight ``(K_M(i)/M)^2``: reuse widens the interval.

Variant pinned here (the one match()'s docstring documents): sigma^2 of each unit is estimated by
its squared deviation from its group mean, the comparison mean being weighted by
``w_c = K_M(c)/M``. That is,
``Var = [sum_t (y_t - ybar_t)^2 + sum_c w_c^2 (y_c - ybar_w)^2] / n_m^2``, normal reference.
(Abadie and Imbens estimate sigma^2(X, W) by matching within groups instead; the module does not.)

Why the answer does not depend on the fitted logit: with one covariate ``x`` the logit linear
predictor is ``a + b x``, so distances on it are ``|b| |x_i - x_j|`` and the caliper is
``caliper * |b| * SD(x)``; nearest neighbours and the caliper test are those on ``x``. With
replacement, the greedy order does not matter either. Every number below is worked by hand.

Data (x, y):
    treated    T1 (3.6, 20)  T2 (4.3, 23)  T3 (4.9, 17)  T4 (6.6, 25)  T5 (1.2, 15)
    comparison C1 (1.0, 12)  C2 (4.0, 14)  C3 (7.0, 19)  C4 (10.0, 30) C5 (8.5, 22)
Treated and comparison x interleave, so the logit converges (no separation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.exceptions import DataError, ParameterError, StatisticalWarning
from evalkit.impact import evidence_rating, match

X_T = [3.6, 4.3, 4.9, 6.6, 1.2]
Y_T = [20.0, 23.0, 17.0, 25.0, 15.0]
X_C = [1.0, 4.0, 7.0, 10.0, 8.5]
Y_C = [12.0, 14.0, 19.0, 30.0, 22.0]
Z = stats.norm.ppf(0.975)  # 1.959963984540054


def _data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": X_T + X_C,
            "d": [1] * 5 + [0] * 5,
            "y": Y_T + Y_C,
        },
        index=["T1", "T2", "T3", "T4", "T5", "C1", "C2", "C3", "C4", "C5"],
    )


def _ai_att_by_numpy(m: int) -> tuple[float, float, dict[int, int]]:
    """Separate implementation of the formula above: brute-force M nearest on x, then K_M."""
    xt, yt, xc, yc = (np.array(v) for v in (X_T, Y_T, X_C, Y_C))
    k = np.zeros(len(xc))
    diffs = []
    for i in range(len(xt)):
        nearest = np.argsort(np.abs(xc - xt[i]))[:m]
        k[nearest] += 1
        diffs.append(yt[i] - yc[nearest].mean())
    n1 = len(xt)
    w = k / m  # K_M(c) / M
    used = k > 0
    ybar_w = np.sum(w[used] * yc[used]) / np.sum(w[used])
    var = (np.sum((yt - yt.mean()) ** 2) + np.sum(w[used] ** 2 * (yc[used] - ybar_w) ** 2)) / n1**2
    return (
        float(np.mean(diffs)),
        float(np.sqrt(var)),
        {int(c): int(k[c]) for c in np.flatnonzero(k)},
    )


def test_one_to_one_with_replacement_by_hand():
    # Nearest comparison on x for each treated person:
    #   T1 3.6 -> C2 (|3.6-4.0| = 0.4; C1 is 2.6 away)   diff 20 - 14 = 6
    #   T2 4.3 -> C2 (0.3)                                diff 23 - 14 = 9
    #   T3 4.9 -> C2 (0.9; C3 is 2.1 away)                diff 17 - 14 = 3
    #   T4 6.6 -> C3 (0.4; C5 is 1.9 away)                diff 25 - 19 = 6
    #   T5 1.2 -> C1 (0.2)                                diff 15 - 12 = 3
    # ATT = (6 + 9 + 3 + 6 + 3) / 5 = 27 / 5 = 5.4
    # K_M: C1 = 1, C2 = 3, C3 = 1 (M = 1, so w_c = K_M).
    # Treated: mean (20+23+17+25+15)/5 = 20; SS = 0 + 9 + 9 + 25 + 25 = 68.
    # Comparison: weighted mean (1*12 + 3*14 + 1*19)/5 = 73/5 = 14.6;
    #   sum w^2 (y - 14.6)^2 = 1*(-2.6)^2 + 9*(-0.6)^2 + 1*(4.4)^2 = 6.76 + 3.24 + 19.36 = 29.36.
    # Var = (68 + 29.36) / 5^2 = 97.36 / 25 = 3.8944; SE = sqrt(3.8944).
    # (Dropping the square on w gives 27.2 -> SE 1.9514; dropping w gives 26.48 -> SE 1.9449;
    #  the unweighted comparison mean 15 gives yet another value: all differ from 1.97342.)
    att, se = 5.4, np.sqrt(3.8944)
    res = match(_data(), "d", ["x"], "y", replace=True, caliper=1.0)
    assert res.estimate == pytest.approx(att, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert res.ci_low == pytest.approx(att - Z * se, rel=1e-12)
    assert res.ci_high == pytest.approx(att + Z * se, rel=1e-12)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(att / se), rel=1e-9)
    assert res.n == 5 + 3  # matched treated + distinct comparison people used
    assert res.n_matched == res.n_treated == 5
    pairs = set(zip(res.matches["treated"], res.matches["control"], strict=True))
    assert pairs == {("T1", "C2"), ("T2", "C2"), ("T3", "C2"), ("T4", "C3"), ("T5", "C1")}
    # distances are on the logit: |b| * |x_t - x_c|, so their ratios are those on x.
    dist = res.matches.set_index("treated")["distance"]
    assert dist["T2"] / dist["T5"] == pytest.approx(0.3 / 0.2, rel=1e-9)
    assert "with replacement" in res.method
    assert "allowing for reuse of comparison people (normal)" in res.method
    # the separate numpy implementation of the same formula agrees
    np_att, np_se, k = _ai_att_by_numpy(1)
    assert k == {0: 1, 1: 3, 2: 1}
    assert (np_att, np_se) == (pytest.approx(att, rel=1e-12), pytest.approx(se, rel=1e-12))


def test_one_to_two_with_replacement_by_hand():
    # Two nearest comparisons on x (a wide caliper keeps them all):
    #   T1 3.6 -> C2 (0.4), C1 (2.6): set mean (14+12)/2 = 13.0, diff 20 - 13.0 = 7.0
    #   T2 4.3 -> C2 (0.3), C3 (2.7): set mean (14+19)/2 = 16.5, diff 23 - 16.5 = 6.5
    #   T3 4.9 -> C2 (0.9), C3 (2.1): set mean 16.5,             diff 17 - 16.5 = 0.5
    #   T4 6.6 -> C3 (0.4), C5 (1.9): set mean (19+22)/2 = 20.5, diff 25 - 20.5 = 4.5
    #   T5 1.2 -> C1 (0.2), C2 (2.8): set mean 13.0,             diff 15 - 13.0 = 2.0
    # ATT = (7 + 6.5 + 0.5 + 4.5 + 2) / 5 = 20.5 / 5 = 4.1
    # K_M: C1 = 2, C2 = 4, C3 = 3, C5 = 1; w = K_M / 2 = 1, 2, 1.5, 0.5 (sum 5).
    # Weighted comparison mean (12*1 + 14*2 + 19*1.5 + 22*0.5)/5 = 79.5/5 = 15.9.
    # sum w^2 (y - 15.9)^2 = 1*15.21 + 4*3.61 + 2.25*9.61 + 0.25*37.21
    #                      = 15.21 + 14.44 + 21.6225 + 9.3025 = 60.575
    # Var = (68 + 60.575) / 25 = 5.143; SE = sqrt(5.143).
    att, se = 4.1, np.sqrt(5.143)
    with pytest.warns(StatisticalWarning, match="balance not achieved"):
        res = match(_data(), "d", ["x"], "y", replace=True, ratio=2, caliper=5.0)
    assert res.estimate == pytest.approx(att, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert res.ci_low == pytest.approx(att - Z * se, rel=1e-12)
    assert res.ci_high == pytest.approx(att + Z * se, rel=1e-12)
    assert res.n == 5 + 4
    assert res.matches.groupby("treated").size().eq(2).all()
    assert set(res.matches["control"]) == {"C1", "C2", "C3", "C5"}
    np_att, np_se, k = _ai_att_by_numpy(2)
    assert k == {0: 2, 1: 4, 2: 3, 4: 1}
    assert (np_att, np_se) == (pytest.approx(att, rel=1e-12), pytest.approx(se, rel=1e-12))
    # the balance table weights the comparison people by w = K_M / M after matching:
    # weighted mean x = (1*1.0 + 2*4.0 + 1.5*7.0 + 0.5*8.5)/5 = 23.75/5 = 4.75
    bal = res.balance.set_index("term")
    assert bal.loc["x", "mean_comparison_after"] == pytest.approx(4.75, rel=1e-12)
    assert bal.loc["x", "mean_treated_after"] == pytest.approx(20.6 / 5, rel=1e-12)


def test_caliper_drops_far_treated_person_by_hand():
    # SD(x) over all ten people: mean 51.1/10 = 5.11; sum of squares about it
    #   = 2.2801 + 0.6561 + 0.0441 + 2.2201 + 15.2881 + 16.8921 + 1.2321 + 3.5721 + 23.9121
    #     + 11.4921 = 77.589; SD = sqrt(77.589/9) = 2.93615...
    # caliper 0.25 SD = 0.73404 on x: T3's nearest (C2, 0.9 away) is outside, the rest inside.
    # ATT over T1, T2, T4, T5 = (6 + 9 + 6 + 3) / 4 = 6.
    # K_M: C1 = 1, C2 = 2, C3 = 1. Treated mean (20+23+25+15)/4 = 20.75;
    #   SS = 0.5625 + 5.0625 + 18.0625 + 33.0625 = 56.75.
    # Weighted comparison mean (12 + 2*14 + 19)/4 = 59/4 = 14.75;
    #   sum w^2 (y - 14.75)^2 = 7.5625 + 4*0.5625 + 18.0625 = 27.875.
    # Var = (56.75 + 27.875) / 4^2 = 84.625 / 16 = 5.2890625.
    sd = np.sqrt(77.589 / 9)
    assert np.std(X_T + X_C, ddof=1) == pytest.approx(sd, rel=1e-12)
    with pytest.warns(StatisticalWarning, match="1 of 5 served people had no comparison"):
        res = match(_data(), "d", ["x"], "y", replace=True, caliper=0.25)
    assert 0.9 > 0.25 * sd > 0.4
    assert res.n_matched == 4 and res.n_treated == 5
    assert res.estimate == pytest.approx(6.0, rel=1e-12)
    assert res.se == pytest.approx(np.sqrt(5.2890625), rel=1e-12)
    assert "T3" not in set(res.matches["treated"])
    assert "4 of 5 served people were matched within the caliper" in res.summary()


def test_one_to_one_without_replacement_by_hand():
    # With one covariate the logit slope has the sign of mean(x | treated) - mean(x | comparison)
    # (the score equation at 0 is n1 (xbar_t - xbar)): 4.12 - 6.1 < 0, so the logit falls with x
    # and "descending score" means ascending x: T5, T1, T2, T3, T4. Greedy, no reuse:
    #   T5 1.2 -> C1 (0.2)                       diff 15 - 12 =  3
    #   T1 3.6 -> C2 (0.4)                       diff 20 - 14 =  6
    #   T2 4.3 -> C3 (2.7; C2 taken)             diff 23 - 19 =  4
    #   T3 4.9 -> C5 (3.6; C2, C3 taken)         diff 17 - 22 = -5
    #   T4 6.6 -> C4 (3.4; only C4 left)         diff 25 - 30 = -5
    # ATT = 3/5 = 0.6; diffs' SD^2 = (2.4^2 + 5.4^2 + 3.4^2 + 5.6^2 + 5.6^2)/4 = 109.2/4 = 27.3;
    # paired SE = sqrt(27.3 / 5) = sqrt(5.46); t on 4 df (t_{4, 0.975} = 2.776445).
    att, se = 0.6, np.sqrt(5.46)
    t4 = stats.t(4)
    res = match(_data(), "d", ["x"], "y", caliper=5.0)
    pairs = set(zip(res.matches["treated"], res.matches["control"], strict=True))
    assert pairs == {("T5", "C1"), ("T1", "C2"), ("T2", "C3"), ("T3", "C5"), ("T4", "C4")}
    assert res.estimate == pytest.approx(att, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    crit = t4.ppf(0.975)
    assert crit == pytest.approx(2.776445, abs=1e-6)
    assert (res.ci_low, res.ci_high) == pytest.approx((att - crit * se, att + crit * se))
    assert res.p_value == pytest.approx(2 * t4.sf(att / se), rel=1e-10)
    assert res.n == 10 and res.outcome == "y" and res.ci_level == 0.95
    assert res.method.endswith(
        "without replacement, caliper 5 SD = "
        f"{res.caliper_width:.3g}), ATT; paired SE over the n matched sets (t with n-1 df)"
    )
    assert res.method.startswith(
        "propensity-score matching (logit; greedy nearest neighbour 1:1 on the logit without"
    )
    assert res.evidence == evidence_rating("matching", comparison_group=True, controls=True)
    assert res.evidence_level == 2
    # the caliper is 5 SD of the logit; distances are |b| |dx|: their ratio is 5 SD(x) / 0.2
    dist = res.matches.set_index("treated")["distance"]
    assert res.caliper_width / dist["T5"] == pytest.approx(5 * np.std(X_T + X_C, ddof=1) / 0.2)
    # 90%: t_{4, 0.95}
    ninety = match(_data(), "d", ["x"], "y", caliper=5.0, alpha=0.1)
    assert ninety.ci_level == pytest.approx(0.9)
    assert ninety.ci_high == pytest.approx(att + t4.ppf(0.95) * se, rel=1e-12)


def test_balance_table_by_hand():
    # Before matching: treated x mean 4.12, variance 15.588/4 = 3.897; comparison mean 6.1,
    # variance 52.2/4 = 13.05; pooled SD sqrt((3.897 + 13.05)/2) = sqrt(8.4735).
    # After 1:2 matching with replacement (weights 1, 2, 1.5, 0.5 on C1, C2, C3, C5):
    #   comparison mean 4.75; weighted variance (14.0625 + 2 x 0.5625 + 1.5 x 5.0625
    #   + 0.5 x 14.0625) / 5 = 29.8125 / 5 = 5.9625; treated variance with weights 1 (divisor n)
    #   15.588 / 5 = 3.1176.
    sd = np.sqrt(8.4735)
    with pytest.warns(StatisticalWarning) as caught:
        res = match(_data(), "d", ["x"], "y", replace=True, ratio=2, caliper=5.0)
    row = res.balance.set_index("term").loc["x"]
    assert row["mean_treated_before"] == pytest.approx(4.12, rel=1e-12)
    assert row["mean_comparison_before"] == pytest.approx(6.1, rel=1e-12)
    assert row["smd_before"] == pytest.approx((4.12 - 6.1) / sd, rel=1e-12)
    assert row["smd_after"] == pytest.approx((4.12 - 4.75) / sd, rel=1e-12)
    assert row["var_ratio_before"] == pytest.approx(3.897 / 13.05, rel=1e-12)
    assert row["var_ratio_after"] == pytest.approx(3.1176 / 5.9625, rel=1e-12)
    assert not row["balanced"]
    assert list(res.balance["term"]) == ["x", "propensity score (logit)"]
    messages = [str(w.message) for w in caught]
    assert messages == [
        "balance not achieved after matching: |SMD| > 0.1 for 'x', 'propensity score (logit)'; "
        "the ATT may be biased by these differences"
    ]
    assert res.summary().endswith(
        "5 of 5 served people were matched within the caliper; the largest standardised "
        f"difference after matching is {abs(row['smd_after']):.2f} (balance NOT achieved)."
    )


def test_standardised_mean_difference_edges():
    from evalkit.impact.matching import standardised_mean_difference

    assert standardised_mean_difference(np.array([2.0]), np.array([1.0]), sd=0.0) == 0.0
    assert standardised_mean_difference(np.array([3.0]), np.array([1.0]), sd=0.5) == 4.0


def test_messages_in_full():
    df = _data()
    with pytest.raises(
        DataError,
        match=r"^treatment='d' in match\(\) has no comparison \(0\) rows among usable rows; "
        r"expected both treated \(1\) and comparison \(0\) people$",
    ):
        match(df[df.d == 1], "d", ["x"], "y")
    sep = pd.DataFrame(
        {"x": [1.0, 2, 3, 4, 5, 6], "z": [1.0, 0, 1, 0, 1, 0], "d": [0, 0, 0, 1, 1, 1]}
    )
    sep["y"] = [1.0, 2, 3, 4, 5, 7]
    with pytest.raises(
        DataError,
        match=r"^perfect separation in the propensity model of match\(\): the covariates "
        r"\['x', 'z'\] predict 'd' exactly \('x' alone split the groups\), so served and "
        r"unserved people do not overlap; expected overlapping groups \(drop or coarsen the "
        r"separating covariate, or restrict to comparable people\)$",
    ):
        match(sep, "d", ["x", "z"], "y")
    with pytest.raises(DataError, match=r"missing column\(s\) 'w' in match\(\); expected"):
        match(df, "d", ["w"], "y")
    with pytest.raises(DataError, match=r"^column 'y' in match\(\), row C1"):
        match(
            df.astype({"y": object}).assign(y=lambda f: f.y.where(f.index != "C1", "n/a")),
            "d",
            ["x"],
            "y",
        )
    with pytest.raises(ParameterError, match=r"^caliper must be a positive number of SDs"):
        match(df, "d", ["x"], "y", caliper=True)
    with pytest.raises(ParameterError, match=r"^ratio must be a whole number >= 1; got 2\.0$"):
        match(df, "d", ["x"], "y", ratio=2.0)
    with pytest.raises(ParameterError, match=r"^ratio must be a whole number >= 1; got True$"):
        match(df, "d", ["x"], "y", ratio=True)
    with pytest.warns(StatisticalWarning) as caught:
        match(df, "d", ["x"], "y", replace=True, caliper=0.25)
    dropped = [str(w.message) for w in caught if "dropped" in str(w.message)]
    assert dropped == [
        "1 of 5 served people had no comparison within the caliper and were dropped: the ATT "
        "describes the matched served people only"
    ]
