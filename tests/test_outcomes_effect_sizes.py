"""Effect sizes: golden numbers from Lakens (2013) and R effectsize, plus an independent brentq."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from evalkit.exceptions import EvalkitError, ParameterError
from evalkit.outcomes import effect_size, hedges_j, magnitude

FIXTURES = Path(__file__).parent / "fixtures" / "outcomes"


@pytest.fixture(scope="module")
def movies() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "lakens_2013_movies.csv")


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "mtcars_mpg_am.csv")


# Lakens (2013), doi:10.3389/fpsyg.2013.00863, worked example on the Table 1 movie ratings
# (movie 1 mean 8.7, SD 0.82; movie 2 mean 7.7, SD 0.95; r = 0.726): the paper reports
# d_s = 1.13, Hedges' g_s = 1.08, d_z = 1.50, d_av = 1.13 and d_rm = 1.11 (two decimals).
# Movie 2 is passed as x so that the difference (movie 1 - movie 2) is positive.
@pytest.mark.parametrize(
    ("kind", "published"),
    [("d_s", 1.13), ("g", 1.08), ("d_z", 1.50), ("d_av", 1.13), ("d_rm", 1.11)],
)
def test_lakens_2013_worked_example(movies, kind, published):
    result = effect_size(movies["movie_2"], movies["movie_1"], kind=kind)
    assert round(result.estimate, 2) == published
    assert result.kind == kind
    assert result.n == (20 if kind in ("d_s", "g") else 10)
    assert result.ci_low < result.estimate < result.ci_high


def test_lakens_paired_t_statistic(movies):
    # Lakens (2013) reports t(9) = 4.74 for the paired comparison: d_z sqrt(n) is that t.
    result = effect_size(movies["movie_2"], movies["movie_1"], kind="d_z")
    assert result.estimate * np.sqrt(result.n) == pytest.approx(4.74, abs=0.005)
    assert result.mean_difference == pytest.approx(1.0)


# R package effectsize 0.8.3 (Ben-Shachar, Luedecke and Makowski 2020, doi:10.21105/joss.02815)
# on R's mtcars, noncentral-t intervals, output recorded to six decimals in the tidystats
# package's test data (WillemSleegers/tidystats, tests/data/effectsize.json):
#   cohens_d(mpg ~ am)    -1.477947 [-2.265973, -0.670569]
#   hedges_g(mpg ~ am)    -1.440635 [-2.208767, -0.653640]
#   glass_delta(mpg ~ am) -1.174886 [-1.927446, -0.391690]  (SD of am = 1, effectsize's y)
# effectsize takes am = 0 minus am = 1; here y - x with x = manual (am = 1), y = automatic.
@pytest.mark.parametrize(
    ("kind", "published"),
    [
        ("d_s", (-1.477947, -2.265973, -0.670569)),
        ("g", (-1.440635, -2.208767, -0.653640)),
        ("glass", (-1.174886, -1.927446, -0.391690)),
    ],
)
def test_effectsize_r_package_mtcars(mtcars, kind, published):
    result = effect_size(mtcars.mpg[mtcars.am == 1], mtcars.mpg[mtcars.am == 0], kind=kind)
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx(published, abs=2e-6)


def test_effectsize_readme_two_decimals(mtcars):
    # effectsize README (version 0.7.0, rdocumentation.org): Cohen's d -1.48, 95% CI
    # [-2.27, -0.67]; Hedges' g -1.44, 95% CI [-2.21, -0.65].
    d = effect_size(mtcars.mpg[mtcars.am == 1], mtcars.mpg[mtcars.am == 0], kind="d_s")
    assert (round(d.estimate, 2), round(d.ci_low, 2), round(d.ci_high, 2)) == (-1.48, -2.27, -0.67)


def test_effectsize_r_package_paired_sleep():
    # effectsize 0.8.3, cohens_d(Pair(extra[group == 1], extra[group == 2]) ~ 1, data = sleep)
    # -> -1.284558 [-2.118017, -0.414628] (tidystats tests/data/effectsize.json): the paired
    # d is d_z. Change here is y - x = drug 1 - drug 2.
    sleep = pd.read_csv(FIXTURES / "sleep.csv")
    result = effect_size(sleep["extra_drug_2"], sleep["extra_drug_1"], kind="d_z")
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx(
        (-1.284558, -2.118017, -0.414628), abs=2e-6
    )


def _brentq_limits(t: float, df: float, ci: float = 0.95) -> tuple[float, float]:
    """Independent inversion of the noncentral t with scipy's brentq on a wide bracket."""

    def gap(ncp: float, p: float) -> float:
        return stats.nct.cdf(t, df, ncp) - p

    lo = optimize.brentq(gap, t - 40, t + 40, args=((1 + ci) / 2,), xtol=1e-12)
    hi = optimize.brentq(gap, t - 40, t + 40, args=((1 - ci) / 2,), xtol=1e-12)
    return lo, hi


@pytest.mark.parametrize("ci", [0.90, 0.95, 0.99])
def test_interval_matches_independent_brentq_inversion(movies, ci):
    between = effect_size(movies["movie_2"], movies["movie_1"], kind="d_s", ci=ci)
    root = np.sqrt(10 * 10 / 20)  # 1 / sqrt(1/n1 + 1/n2)
    lo, hi = _brentq_limits(between.estimate * root, 18, ci)
    assert between.ci_low == pytest.approx(lo / root, abs=1e-8)
    assert between.ci_high == pytest.approx(hi / root, abs=1e-8)
    paired = effect_size(movies["movie_2"], movies["movie_1"], kind="d_z", ci=ci)
    lo, hi = _brentq_limits(1.5 * np.sqrt(10), 9, ci)
    assert paired.ci_low == pytest.approx(lo / np.sqrt(10), abs=1e-8)
    assert paired.ci_high == pytest.approx(hi / np.sqrt(10), abs=1e-8)


def test_hedges_j_exact_and_close_to_approximation():
    # J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (Hedges 1981), checked with scipy.gamma
    for df in (2, 5, 18, 50):
        exact = special.gamma(df / 2) / (np.sqrt(df / 2) * special.gamma((df - 1) / 2))
        assert hedges_j(df) == pytest.approx(exact, rel=1e-12)
    for df in (5, 18, 50):  # the familiar approximation 1 - 3/(4 df - 1) is close from df = 5
        assert hedges_j(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=2e-3)
    assert np.isfinite(hedges_j(1e6))


def test_glass_uses_first_group_sd():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([3.0, 5.0, 7.0, 9.0, 11.0, 13.0])
    result = effect_size(x, y, kind="glass")
    assert result.estimate == pytest.approx((y.mean() - x.mean()) / x.std(ddof=1))
    assert "first, comparison group" in result.method


def test_d_rm_and_d_av_rescale_d_z(movies):
    pre, post = movies["movie_2"].to_numpy(float), movies["movie_1"].to_numpy(float)
    dz = effect_size(pre, post, kind="d_z")
    r = np.corrcoef(pre, post)[0, 1]
    rm = effect_size(pre, post, kind="d_rm")
    factor = np.sqrt(2 * (1 - r))
    assert (rm.ci_low, rm.ci_high) == pytest.approx((dz.ci_low * factor, dz.ci_high * factor))
    av = effect_size(pre, post, kind="d_av")
    s_av = (pre.std(ddof=1) + post.std(ddof=1)) / 2
    assert av.estimate == pytest.approx(1.0 / s_av)


def test_d_z_from_change_scores_alone(movies):
    change = movies["movie_1"] - movies["movie_2"]
    assert effect_size(change, kind="d_z").estimate == pytest.approx(1.5)


def test_missing_pairs_are_dropped_and_counted():
    pre = [10, 12, np.nan, 14, 15, 11]
    post = [12, 15, 13, np.nan, 18, 12]
    assert effect_size(pre, post, kind="d_z").n == 4


def test_method_names_variant_and_interval(movies):
    result = effect_size(movies["movie_2"], movies["movie_1"], kind="d_rm")
    assert "d_rm" in result.method and "noncentral t" in result.method


def test_summary_plain_english_and_not_impact():
    rng = np.random.default_rng(1)
    pre = rng.normal(20, 4, 200)
    post = pre + rng.normal(2.1, 4, 200)
    text = effect_size(pre, post, kind="d_z", outcome="wellbeing").summary()
    assert text.startswith("Wellbeing rose by")
    assert "d_z = " in text and "95% CI" in text
    assert "not an impact estimate" in text
    assert "impact" not in text.replace("not an impact estimate", "")
    between = effect_size(pre, post, kind="g").summary()
    assert "comparable" in between


def test_to_frame_has_the_fields():
    frame = effect_size([1, 2, 3, 5], [2, 4, 5, 9], kind="d_z").to_frame()
    assert {"estimate", "ci_low", "ci_high", "kind", "n", "se", "method"} <= set(frame.columns)


def test_magnitude_words():
    assert magnitude(0.05) == "negligible"
    assert magnitude(-0.45) == "small-to-moderate"
    assert magnitude(1.2) == "large"


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=3, max_size=30),
    st.floats(0.1, 10),
    st.floats(-20, 20),
)
def test_paired_effect_sizes_are_location_and_scale_free(values, scale, shift):
    pre = np.array(values)
    post = pre + np.linspace(-1, 3, len(pre)) + np.arange(len(pre)) % 2
    base = effect_size(pre, post, kind="d_z")
    moved = effect_size(pre * scale + shift, post * scale + shift, kind="d_z")
    assert moved.estimate == pytest.approx(base.estimate, rel=1e-6, abs=1e-9)
    assert base.ci_low <= base.estimate <= base.ci_high


# ---- bad input -----------------------------------------------------------------------------


def test_unknown_kind_names_argument():
    with pytest.raises(ParameterError, match=r"kind.*'d'"):
        effect_size([1, 2], [3, 4], kind="d")


def test_non_numeric_scores_name_argument():
    with pytest.raises(EvalkitError, match=r"x must be numeric.*'high'"):
        effect_size(["low", "high", "3"], [1, 2, 3], kind="d_s")


def test_too_few_values_for_an_interval():
    with pytest.raises(ParameterError, match=r"at least 2.*x: 1"):
        effect_size([1.0], [2.0, 3.0, 4.0], kind="d_s")
    with pytest.raises(ParameterError, match=r"at least 2 complete pairs; got 1"):
        effect_size([1.0, np.nan], [2.0, 3.0], kind="d_z")


def test_no_variation_is_an_error():
    with pytest.raises(ParameterError, match=r"standard deviation 0"):
        effect_size([1, 2, 3], [2, 3, 4], kind="d_z")


def test_paired_kinds_need_equal_lengths_and_y():
    with pytest.raises(ParameterError, match=r"equal length.*3 and 2"):
        effect_size([1, 2, 3], [1, 2], kind="d_av")
    with pytest.raises(ParameterError, match=r"d_rm.*y=None"):
        effect_size([1, 2, 3], kind="d_rm")
    with pytest.raises(ParameterError, match=r"y .*missing"):
        effect_size([1, 2, 3], kind="g")


def test_ci_outside_zero_one():
    with pytest.raises(ParameterError, match=r"ci must lie in.*1.5"):
        effect_size([1, 2, 3], [2, 4, 5], kind="d_z", ci=1.5)


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------
# Large-sample SEs as documented in effect_size (Hedges and Olkin 1985, ch. 5, eq. 14 for d_s;
# Borenstein et al. 2009, Introduction to Meta-Analysis, eq. 4.28 for the paired d_z):
#   d_s:   SE = sqrt(1/n1 + 1/n2 + d^2 / (2 (n1 + n2 - 2)))
#   d_z:   SE = sqrt(1/n + d_z^2 / (2 n))
#   glass: SE = sqrt(h + delta^2 / (2 (n1 - 1))), h = 1/n1 + s2^2 / (n2 s1^2)


def test_independent_kinds_by_hand():
    # x = 1, 2, 3 and y = 3, 4, 5: means 2 and 4, both variances 1, pooled SD 1: d_s = 2.
    # df = 4; SE = sqrt(1/3 + 1/3 + 4/8) = sqrt(7/6).
    x, y = [1.0, 2.0, 3.0], [3.0, 4.0, 5.0]
    d = effect_size(x, y, kind="d_s")
    assert d.estimate == 2.0 and d.mean_difference == 2.0 and d.n == 6
    assert d.se == pytest.approx(np.sqrt(7 / 6), rel=1e-12)
    lo, hi = _brentq_limits(2 / np.sqrt(2 / 3), 4)
    assert (d.ci_low, d.ci_high) == pytest.approx(
        (lo * np.sqrt(2 / 3), hi * np.sqrt(2 / 3)), abs=1e-8
    )
    assert d.design == "independent"
    assert d.method == (
        "Cohen's d_s (pooled SD, independent groups); 95% CI by noncentral t inversion "
        "(t = d / sqrt(1/n1 + 1/n2), df = 4)"
    )
    # Hedges' g: exact J(4) = Gamma(2) / (sqrt(2) Gamma(3/2)) = 1 / (sqrt(2) x sqrt(pi)/2)
    #   = sqrt(2/pi) = 0.797885 (the approximation 1 - 3/(4(n1+n2) - 9) = 0.8 is close).
    j = np.sqrt(2 / np.pi)
    g = effect_size(x, y, kind="g")
    assert g.estimate == pytest.approx(2 * j, rel=1e-12)
    assert g.se == pytest.approx(np.sqrt(7 / 6) * j, rel=1e-12)
    assert (g.ci_low, g.ci_high) == pytest.approx((d.ci_low * j, d.ci_high * j), rel=1e-12)
    assert g.method == (
        "Hedges' g (pooled SD, exact small-sample correction J); 95% CI by noncentral t "
        "inversion (t = d / sqrt(1/n1 + 1/n2), df = 4), limits multiplied by J"
    )
    # Glass's delta, x = 1, 2, 3 (SD 1) and y = 3, 5, 7 (SD 2): delta = (5 - 2) / 1 = 3;
    # h = 1/3 + 4 / (3 x 1) = 5/3; df = 2; SE = sqrt(5/3 + 9/4).
    glass = effect_size(x, [3.0, 5.0, 7.0], kind="glass")
    assert glass.estimate == 3.0
    assert glass.se == pytest.approx(np.sqrt(5 / 3 + 9 / 4), rel=1e-12)
    lo, hi = _brentq_limits(3 / np.sqrt(5 / 3), 2)
    assert (glass.ci_low, glass.ci_high) == pytest.approx(
        (lo * np.sqrt(5 / 3), hi * np.sqrt(5 / 3)), abs=1e-8
    )
    assert glass.method == (
        "Glass's delta (SD of the first, comparison group); 95% CI by noncentral t inversion "
        "(t = delta / sqrt(1/n1 + s2^2/(n2 s1^2)), df = n1 - 1)"
    )


def test_two_values_per_group_are_enough():
    # x = 1, 3 and y = 4, 6: means 2 and 5, variances 2 and 2: d_s = 3 / sqrt(2).
    assert effect_size([1, 3], [4, 6], kind="d_s").estimate == pytest.approx(3 / np.sqrt(2))


def test_paired_kinds_by_hand():
    # pre 1, 2, 3, 4; post 2, 4, 5, 7: changes 1, 2, 2, 3, mean 2, SD sqrt(2/3): d_z = sqrt(6);
    # SE = sqrt(1/4 + 6/8) = 1.
    pre, post = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 5.0, 7.0]
    dz = effect_size(pre, post, kind="d_z")
    assert dz.estimate == pytest.approx(np.sqrt(6), rel=1e-12)
    assert dz.se == pytest.approx(1.0, rel=1e-12)
    assert dz.design == "paired" and dz.n == 4
    lo, hi = _brentq_limits(np.sqrt(6) * 2, 3)
    assert (dz.ci_low, dz.ci_high) == pytest.approx((lo / 2, hi / 2), abs=1e-8)
    assert dz.method == (
        "Cohen's d_z (mean change / SD of the changes, paired); 95% CI by noncentral t "
        "inversion of the paired t (df = 3)"
    )
    # d_av: SD(pre) = sqrt(5/3), SD(post) = sqrt(13/3); s_av = their mean; d_av = 2 / s_av;
    # limits and SE are d_z's times SD_change / s_av (Lakens 2013, eq. 10).
    s_av = (np.sqrt(5 / 3) + np.sqrt(13 / 3)) / 2
    factor = np.sqrt(2 / 3) / s_av
    av = effect_size(pre, post, kind="d_av")
    assert av.estimate == pytest.approx(2 / s_av, rel=1e-12)
    assert av.se == pytest.approx(factor, rel=1e-12)
    assert av.method.endswith(
        "inversion of the paired t (df = 3), limits rescaled from d_z by SD_change / SD_av"
    )
    # d_rm: r = (8/3) / sqrt(5/3 x 13/3) = 8 / sqrt(65) = 0.99228; factor sqrt(2 (1 - r)).
    r = 8 / np.sqrt(65)
    rm = effect_size(pre, post, kind="d_rm")
    assert rm.estimate == pytest.approx(np.sqrt(6) * np.sqrt(2 * (1 - r)), rel=1e-10)
    assert rm.se == pytest.approx(np.sqrt(2 * (1 - r)), rel=1e-10)
    assert rm.method.endswith("(df = 3), limits rescaled from d_z by sqrt(2(1 - r)), r = 0.992")


def test_pairs_needed_per_kind():
    # d_z needs 2 pairs; d_rm 3 (a correlation of two points is always +-1).
    assert effect_size([1.0, 2.0], [2.0, 4.0], kind="d_z").n == 2
    assert effect_size([1.0, 2.0, 3.0], [2.0, 4.0, 5.0], kind="d_rm").n == 3
    with pytest.raises(
        ParameterError, match=r"^kind='d_rm' needs at least 3 complete pairs; got 2$"
    ):
        effect_size([1.0, 2.0], [2.0, 4.0], kind="d_rm")
    with pytest.raises(
        ParameterError, match=r"^kind='d_av' needs at least 2 complete pairs; got 1$"
    ):
        effect_size([1.0, np.nan], [2.0, 4.0], kind="d_av")


def _limits_text(estimate: float, t_scale: float, df: int) -> str:
    lo, hi = _brentq_limits(estimate * t_scale, df)
    return f"95% CI {lo / t_scale:.2f} to {hi / t_scale:.2f}"


def test_summaries_in_full(movies):
    # paired: Lakens' movies, mean change exactly 1.0, d_z = 1.50 (t(9) = 4.74)
    result = effect_size(movies["movie_2"], movies["movie_1"], kind="d_z")
    ci = _limits_text(result.estimate, np.sqrt(10), 9)
    assert result.summary() == (
        f"The score rose by 1.0 points on average across 10 people (d_z = 1.50, {ci}): a large "
        "change. This is change over time, not an impact estimate."
    )
    fell = effect_size(movies["movie_1"], movies["movie_2"], kind="d_z", outcome="rating")
    assert fell.summary().startswith("Rating fell by 1.0 points on average across 10 people")
    # changes -1 and +1: mean 0, d_z = 0
    still = effect_size([2.0, 2.0], [1.0, 3.0], kind="d_z")
    ci = _limits_text(0.0, np.sqrt(2), 1)
    assert still.summary() == (
        f"The score did not change on average across 2 people (d_z = 0.00, {ci}): a "
        "negligible change. This is change over time, not an impact estimate."
    )
    # independent: x = 1, 2, 3, y = 3, 4, 5 (d_s = 2 as above)
    between = effect_size([1, 2, 3], [3, 4, 5], kind="d_s")
    ci = _limits_text(2.0, 1 / np.sqrt(2 / 3), 4)
    assert between.summary() == (
        f"The second group's the score was 2.0 points higher on average than the first "
        f"group's (d_s = 2.00, {ci}; 6 people): a large difference. A difference between "
        "groups shows the effect of a service only if the groups were otherwise comparable."
    )
    lower = effect_size([3, 4, 5], [1, 2, 3], kind="d_s", outcome="wellbeing")
    assert lower.summary().startswith(
        "The second group's wellbeing was 2.0 points lower on average than the first group's "
        "(d_s = -2.00"
    )
    same = effect_size([1, 2, 3], [3, 2, 1], kind="d_s")
    assert "was 0.0 points higher on average" in same.summary()
    assert "a negligible difference" in same.summary()


def test_magnitude_band_edges():
    # Bands: below 0.1 negligible, [0.1, 0.3) small, [0.3, 0.5) small-to-moderate,
    # [0.5, 0.8) moderate, 0.8 and above large (Cohen 1988: 0.5 medium, 0.8 large).
    assert [magnitude(v) for v in (0.1, 0.2, 0.3, 0.5, 0.6, 0.8, -0.8)] == [
        "small",
        "small",
        "small-to-moderate",
        "moderate",
        "moderate",
        "large",
        "large",
    ]


def test_hedges_j_types():
    # scalar in, float out; array in, array out (J(4) = sqrt(2/pi), J(2) = Gamma(1)/Gamma(1/2))
    assert type(hedges_j(4)) is float and hedges_j(4) == pytest.approx(np.sqrt(2 / np.pi))
    both = hedges_j(np.array([4, 2]))
    assert isinstance(both, np.ndarray)
    assert both == pytest.approx([np.sqrt(2 / np.pi), 1 / np.sqrt(np.pi)], rel=1e-12)


def test_error_messages_in_full():
    with pytest.raises(ParameterError, match=r"^kind must be one of 'd_s', 'g', 'glass', 'd_z'"):
        effect_size([1, 2], [3, 4], kind="d")
    with pytest.raises(ParameterError, match=r"^y must be numeric"):
        effect_size([1, 2, 3], ["a", "b", "c"], kind="d_s")
    with pytest.raises(
        ParameterError, match=r"^the standard deviation of x and y is 0; expected some variation$"
    ):
        effect_size([2, 2, 2], [3, 3, 3], kind="g")
    with pytest.raises(
        ParameterError,
        match=r"^the standard deviation of x \(the first group\) is 0; expected some variation$",
    ):
        effect_size([2, 2, 2], [3, 4, 5], kind="glass")
    with pytest.raises(
        ParameterError,
        match=r"^kind='d_av' needs pre \(x\) and post \(y\) scores of the same people; got "
        r"y=None \(only d_z can be computed from change scores alone\)$",
    ):
        effect_size([1, 2, 3], kind="d_av")
    with pytest.raises(
        ParameterError, match=r"^the changes have standard deviation 0; expected some variation$"
    ):
        effect_size([1, 2, 3], [2, 3, 4], kind="d_z")
