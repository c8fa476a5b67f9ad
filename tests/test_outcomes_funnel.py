"""Funnel plot limits (Spiegelhalter 2005) against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.exceptions import ParameterError
from evalkit.outcomes.funnel import (
    estimate_limits,
    estimate_position,
    funnel_limits,
    funnel_position,
    pooled_estimate,
)


def test_large_n_limits_approach_the_normal_approximation() -> None:
    # Spiegelhalter (2005) eq. 4: target +/- z * sqrt(target (1 - target) / n), computed here by hand.
    target, n = 0.3, 100_000
    limits = funnel_limits(target, [n]).iloc[0]
    for level in (0.95, 0.998):
        z = stats.norm.ppf((1 + level) / 2)
        half = z * np.sqrt(target * (1 - target) / n)
        assert limits[f"upper_{level:g}"] == pytest.approx(target + half, abs=2e-5)
        assert limits[f"lower_{level:g}"] == pytest.approx(target - half, abs=2e-5)


def test_exact_limits_interpolate_the_binomial_quantile() -> None:
    # Independent evaluation of Spiegelhalter (2005) Appendix A.1.1 for n = 50, target = 0.2,
    # p = 0.975: r_p = 16, the smallest r with F(r) >= p (found by counting up here), then
    # alpha = (F(16) - p) / (F(16) - F(15)).
    n, target, p = 50, 0.2, 0.975
    r = next(k for k in range(n + 1) if stats.binom.cdf(k, n, target) >= p)
    assert r == 16
    f_r, f_below = stats.binom.cdf(r, n, target), stats.binom.cdf(r - 1, n, target)
    expected = (r - (f_r - p) / (f_r - f_below)) / n
    assert funnel_limits(target, [n]).iloc[0]["upper_0.95"] == pytest.approx(expected, rel=1e-12)


def test_limits_narrow_as_n_grows_and_contain_the_target() -> None:
    limits = funnel_limits(0.6, np.arange(10, 2000, 10))
    width = limits["upper_0.998"] - limits["lower_0.998"]
    assert np.all(np.diff(width) <= 1e-12)
    assert np.all(limits["lower_0.95"] <= 0.6) and np.all(limits["upper_0.95"] >= 0.6)
    assert np.all(limits["lower_0.998"] <= limits["lower_0.95"])


def test_position() -> None:
    assert funnel_position(0.9, 400, 0.6) == "above"
    assert funnel_position(0.3, 400, 0.6) == "below"
    assert funnel_position(0.62, 400, 0.6) == "within"


@pytest.mark.parametrize(
    ("target", "n", "message"),
    [
        (0.0, [10], r"^target must lie strictly between 0 and 1; got 0\.0$"),
        (1.0, [10], r"^target must lie strictly between 0 and 1; got 1\.0$"),
        (1.2, [10], r"^target "),
        (0.5, [0], r"^n must hold whole numbers of at least 1; got \[0\.0\]$"),
        (0.5, [2.5], r"^n must hold whole numbers"),
        (0.5, ["ten"], r"^n must be numeric"),
        (0.5, [0, 0, 0, 0, 0, 0, 0], r"got \[0\.0, 0\.0, 0\.0, 0\.0, 0\.0\]$"),  # the first five
    ],
)
def test_bad_input_is_named(target, n, message) -> None:
    with pytest.raises(ParameterError, match=message):
        funnel_limits(target, n)


def test_bad_level_is_named() -> None:
    with pytest.raises(ParameterError, match=r"^level "):
        funnel_limits(0.5, [10], levels=(1.5,))
    with pytest.raises(ParameterError, match=r"^level "):
        estimate_limits(0.0, [1.0], levels=(-0.5,))


def test_one_person_limits_by_hand() -> None:
    # n = 1, target 0.5, level 0.95 (Appendix A.1.1 worked by hand). Lower: p = 0.025, r = 0
    # (F(0) = 0.5 >= p), alpha = (0.5 - 0.025) / (0.5 - 0) = 0.95, (0 - 0.95) / 1 < 0, so the
    # limit is clipped to 0. Upper: p = 0.975, r = 1, alpha = (1 - 0.975) / (1 - 0.5) = 0.05,
    # limit (1 - 0.05) / 1 = 0.95.
    limits = funnel_limits(0.5, [1], levels=(0.95,))
    assert list(limits.columns) == ["n", "lower_0.95", "upper_0.95"]
    assert limits["n"].tolist() == [1] and limits["n"].dtype.kind == "i"
    assert limits["lower_0.95"].iloc[0] == 0
    assert limits["upper_0.95"].iloc[0] == pytest.approx(0.95, abs=1e-12)


def test_a_rate_on_the_limit_is_within_and_any_level_can_be_asked() -> None:
    limits = funnel_limits(0.6, [400], levels=(0.9,)).iloc[0]
    assert funnel_position(limits["upper_0.9"], 400, 0.6, level=0.9) == "within"
    assert funnel_position(limits["lower_0.9"], 400, 0.6, level=0.9) == "within"
    assert funnel_position(limits["upper_0.9"] + 1e-9, 400, 0.6, level=0.9) == "above"
    assert funnel_position(limits["lower_0.9"] - 1e-9, 400, 0.6, level=0.9) == "below"


# --- funnels of estimates (normal limits) ---------------------------------------------------


def test_pooled_estimate_by_hand() -> None:
    # Estimates 1 and 3 with SEs 1 and 2: weights 1/s^2 = 1 and 0.25, mean (1 + 0.75) / 1.25
    # = 1.4, SE 1 / sqrt(1.25) = 0.894427191.
    mean, se = pooled_estimate([1.0, 3.0], [1.0, 2.0])
    assert mean == pytest.approx(1.4, rel=1e-12)
    assert se == pytest.approx(0.894427191, rel=1e-9)
    assert pooled_estimate([5.0], [0.5]) == pytest.approx((5.0, 0.5), rel=1e-12)


@pytest.mark.parametrize(
    ("estimates", "ses", "message"),
    [
        ([1.0, 2.0], [1.0], r"^estimates and ses must be non-empty and of the same length$"),
        ([], [], r"^estimates and ses must be non-empty"),
        ([1.0, 2.0], [1.0, 0.0], r"^standard errors must be positive; got \[1\.0, 0\.0\]$"),
        ([1.0], [-1.0], r"^standard errors must be positive"),
        (["a"], [1.0], r"^estimates must be numeric"),
        ([1.0], ["b"], r"^ses must be numeric"),
        ([1.0] * 7, [-1.0] * 7, r"got \[-1\.0, -1\.0, -1\.0, -1\.0, -1\.0\]$"),  # first five
    ],
)
def test_pooled_estimate_bad_input(estimates, ses, message) -> None:
    with pytest.raises(ParameterError, match=message):
        pooled_estimate(estimates, ses)


def test_estimate_limits_by_hand() -> None:
    # target +/- z s with z(0.975) = 1.959963985 and z(0.999) = 3.090232306 (normal table).
    limits = estimate_limits(0.25, [0.5, 2.0])
    assert list(limits.columns) == ["se", "lower_0.95", "upper_0.95", "lower_0.998", "upper_0.998"]
    assert limits["se"].tolist() == [0.5, 2.0]
    assert limits["lower_0.95"].tolist() == pytest.approx([0.25 - 0.9799819923, 0.25 - 3.919927969])
    assert limits["upper_0.95"].tolist() == pytest.approx([0.25 + 0.9799819923, 0.25 + 3.919927969])
    assert limits["upper_0.998"].tolist() == pytest.approx([0.25 + 1.545116153, 0.25 + 6.180464612])
    assert limits["lower_0.998"].tolist() == pytest.approx([0.25 - 1.545116153, 0.25 - 6.180464612])


def test_estimate_limits_bad_se_is_named() -> None:
    with pytest.raises(ParameterError, match=r"^se must be numeric"):
        estimate_limits(0.0, ["wide"])


def test_estimate_position() -> None:
    assert estimate_position(2.0, 1.0, 0.0, level=0.95) == "above"
    assert estimate_position(-2.0, 1.0, 0.0, level=0.95) == "below"
    assert estimate_position(1.9, 1.0, 0.0, level=0.95) == "within"
    assert estimate_position(3.0, 1.0, 0.0) == "within"  # default level 0.998: z = 3.09
    assert estimate_position(3.2, 1.0, 0.0) == "above"
    edge = estimate_limits(0.0, [1.0], levels=(0.9,)).iloc[0]
    assert estimate_position(edge["upper_0.9"], 1.0, 0.0, level=0.9) == "within"
    assert estimate_position(edge["lower_0.9"], 1.0, 0.0, level=0.9) == "within"
