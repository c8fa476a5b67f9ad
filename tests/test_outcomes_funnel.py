"""Funnel plot limits (Spiegelhalter 2005) against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.exceptions import ParameterError
from evalkit.outcomes.funnel import funnel_limits, funnel_position


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


@pytest.mark.parametrize(("target", "n"), [(0.0, [10]), (1.2, [10]), (0.5, [0]), (0.5, [2.5])])
def test_bad_input_is_named(target, n) -> None:
    with pytest.raises(ParameterError, match=r"target|n must"):
        funnel_limits(target, n)
