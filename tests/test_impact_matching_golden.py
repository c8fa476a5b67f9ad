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

from evalkit.exceptions import StatisticalWarning
from evalkit.impact import match

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
