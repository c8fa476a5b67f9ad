"""The private interval helpers (Wilson, noncentral t) called directly, against independent code.

References: Wilson (1927), doi:10.1080/01621459.1927.10502953, as implemented by statsmodels'
``proportion_confint(method="wilson")``; noncentral t limits (Steiger and Fouladi 1997) found
here with scipy's ``brentq`` on ``scipy.stats.nct``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.exceptions import ParameterError
from evalkit.outcomes import effect_size
from evalkit.outcomes._intervals import check_ci, noncentral_t_limits, wilson_interval


def test_wilson_default_level_is_95_percent():
    low, high = wilson_interval(3, 10)
    assert (float(low), float(high)) == pytest.approx(
        proportion_confint(3, 10, method="wilson"), abs=1e-12
    )


def test_wilson_needs_at_least_one_person():
    with pytest.raises(
        ParameterError,
        match=r"^n must be at least 1 for a Wilson interval; got n = 0 for at least one group$",
    ):
        wilson_interval(np.array([0, 1]), np.array([0, 2]))


def test_noncentral_t_default_level_and_whole_numbers():
    # t = 3 on 9 df (whole numbers as input); limits where nct.cdf(3; 9, ncp) = 0.975, 0.025
    def gap(ncp: float, p: float) -> float:
        return stats.nct.cdf(3.0, 9, ncp) - p

    low = optimize.brentq(gap, -20, 20, args=(0.975,), xtol=1e-13)
    high = optimize.brentq(gap, -20, 20, args=(0.025,), xtol=1e-13)
    lo, hi = noncentral_t_limits(3, 9)
    assert (float(lo), float(hi)) == pytest.approx((low, high), abs=1e-8)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's bracket search meets inf
def test_noncentral_t_failure_is_named():
    with pytest.raises(
        ParameterError, match=r"^the noncentral t interval did not converge for t = .*inf"
    ):
        noncentral_t_limits(np.inf, 5)


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0])
def test_confidence_level_is_strictly_between_0_and_1(bad):
    with pytest.raises(ParameterError, match=rf"^ci must lie in \(0\.0, 1\.0\); got {bad}$"):
        check_ci(bad)
    with pytest.raises(ParameterError, match=r"^ci must lie in"):
        effect_size([1, 2, 3], [2, 4, 5], kind="d_z", ci=bad)
