"""Green Book discounting: golden factors computed by hand, and properties (Hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.econ import (
    describe_schedule,
    discount_factors,
    discount_schedule,
    npv,
    present_value,
    schedule_names,
)
from evalkit.exceptions import ParameterError

flows_st = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=60
)


def test_shipped_schedules():
    assert set(schedule_names()) == {"standard", "health", "low_rate_2026"}


def test_standard_factors_by_hand():
    # Green Book (2022) standard schedule: 3.5% for the steps into years 1-30, 3.0% into 31-75,
    # 2.5% into 76-125. Computed by hand: D_1 = 1/1.035, D_30 = 1.035**-30,
    # D_31 = D_30 / 1.030, D_75 = D_30 / 1.030**45, D_76 = D_75 / 1.025.
    d = discount_factors([0, 1, 30, 31, 75, 76])
    d30 = 1.035**-30
    expected = [1.0, 1 / 1.035, d30, d30 / 1.03, d30 / 1.03**45, d30 / 1.03**45 / 1.025]
    np.testing.assert_allclose(d, expected, rtol=1e-12)
    # To 4 decimal places, as discount factor tables print them: 0.3563 (year 30), 0.3459 (31).
    assert round(d[2], 4) == 0.3563
    assert round(d[3], 4) == 0.3459


def test_health_and_low_rate_factors_by_hand():
    # Health schedule 1.5% to year 30 then 1.29%; 2026 low-rate test 3.0% then 2.57%.
    h = discount_factors([30, 31], "health")
    np.testing.assert_allclose(h, [1.015**-30, 1.015**-30 / 1.0129])
    low = discount_factors([30, 31], "low_rate_2026")
    np.testing.assert_allclose(low, [1.03**-30, 1.03**-30 / 1.0257])


def test_integer_years_means_zero_to_n():
    np.testing.assert_allclose(discount_factors(2, 0.1), [1, 1 / 1.1, 1 / 1.21])


def test_three_year_flow_by_hand():
    # 100 a year for years 0, 1, 2 at 3.5%: 100 + 100/1.035 + 100/1.035**2
    # = 100 + 96.6184 + 93.3511 = 289.9695 (year 0 undiscounted, Green Book convention).
    assert present_value([100, 100, 100]) == pytest.approx(289.9695, abs=1e-4)
    assert present_value([100, 100, 100], schedule=0.035) == pytest.approx(289.9695, abs=1e-4)


def test_series_indexed_by_year():
    flows = pd.Series([50.0, 80.0], index=[2, 5])
    assert present_value(flows, schedule=0.1) == pytest.approx(50 / 1.1**2 + 80 / 1.1**5)


def test_npv_is_difference_of_present_values():
    # 1000 cost now, 600 a year benefit in years 1 and 2 at 10%: -1000 + 545.45 + 495.87 = 41.32
    assert npv([0, 600, 600], [1000], schedule=0.1) == pytest.approx(41.3223, abs=1e-4)


def test_describe_names_schedule_and_convention():
    text = describe_schedule("standard")
    assert "3.50% for years 0-30" in text and "3.00% for years 31-75" in text
    assert "year 0 is not discounted" in text
    assert "flat rate 3.50%" in describe_schedule(0.035)


@pytest.mark.parametrize("bad", [-0.01, 1.5])
def test_rate_outside_unit_interval(bad):
    with pytest.raises(ParameterError, match=rf"discount rate must lie in .*got {bad}"):
        discount_factors(3, bad)


def test_unknown_schedule_named():
    with pytest.raises(ParameterError, match=r"'steep'.*expected one of 'standard', 'health'"):
        discount_schedule("steep")


def test_bad_years():
    with pytest.raises(ParameterError, match=r"years must be whole numbers >= 0.*-1"):
        discount_factors([0, -1])
    with pytest.raises(ParameterError, match="flows contain a missing value at year 1"):
        present_value([1.0, np.nan])


# Properties ---------------------------------------------------------------------------------
@given(flows_st, flows_st, st.floats(-10, 10), st.floats(-10, 10))
def test_present_value_is_linear(x, y, a, b):
    n = max(len(x), len(y))
    x = np.pad(x, (0, n - len(x)))
    y = np.pad(y, (0, n - len(y)))
    lhs = present_value(a * x + b * y)
    rhs = a * present_value(x) + b * present_value(y)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-3)


@given(st.sampled_from(["standard", "health", "low_rate_2026"]), st.integers(1, 400))
def test_factors_decrease_and_start_at_one(schedule, n):
    d = discount_factors(n, schedule)
    assert d[0] == 1.0
    assert np.all(np.diff(d) < 0)


@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=40),
    st.floats(0.0, 0.2),
    st.floats(0.0, 0.2),
)
def test_lower_rate_never_lowers_value_of_non_negative_flows(flows, r1, r2):
    lo, hi = sorted([r1, r2])
    assert present_value(flows, schedule=lo) >= present_value(flows, schedule=hi) - 1e-6


@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["standard", "health", 0.07]))
def test_year_zero_is_not_discounted(x, schedule):
    assert present_value([x], schedule=schedule) == x


@settings(max_examples=50)
@given(st.integers(0, 399))
def test_step_ratio_is_rate_of_band_holding_next_year(t):
    # D_t / D_{t+1} = 1 + r(t+1): the kinks fall on the steps into years 31, 76, 126, 201, 301.
    d = discount_factors([t, t + 1])
    bands = [(30, 0.035), (75, 0.03), (125, 0.025), (200, 0.02), (300, 0.015)]
    rate = next((r for hi, r in bands if t + 1 <= hi), 0.01)
    assert d[0] / d[1] == pytest.approx(1 + rate, rel=1e-12)


@given(st.floats(0.0, 0.5), st.integers(0, 200))
def test_flat_rate_equivalence(rate, t):
    assert discount_factors([t], rate)[0] == pytest.approx((1 + rate) ** -t, rel=1e-10)


@given(st.integers(0, 30))
def test_standard_equals_flat_3_5_up_to_year_30(t):
    assert discount_factors([t])[0] == pytest.approx(discount_factors([t], 0.035)[0], rel=1e-12)


def test_npv_discounts_costs_with_the_same_schedule():
    # Benefit 0; cost 100 in year 1 at a flat 10%: NPV = -100 / 1.1 = -90.909.
    assert npv([0.0], [0.0, 100.0], schedule=0.1) == pytest.approx(-100 / 1.1)
    # Default: the Green Book standard schedule, 3.5% to year 30: 110/1.035 - 100 = 6.2802.
    assert npv([0.0, 110.0], [100.0]) == pytest.approx(110 / 1.035 - 100)


def test_non_numeric_flows_are_named():
    with pytest.raises(ParameterError, match=r"^flows must be numeric; got values such as \['a'\]"):
        present_value(["a"])
    with pytest.raises(ParameterError, match=r"^flows must be numeric"):
        present_value(pd.Series(["a"], index=[3]))


STANDARD = (
    "Discounted with the Green Book standard (STPR 3.5% declining), version "
    "green-book-2022+feb-2026-sensitivity: "
)
CONVENTION = "year 0 is not discounted and each year's rate applies to the step into that year."


def test_describe_schedule_in_full_and_cut_at_the_last_year():
    # Green Book (2022) standard schedule and the bands reaching years 0..31 (31 is the first
    # year of the 3.0% band, so that band is listed).
    assert describe_schedule("standard") == (
        STANDARD + "3.50% for years 0-30; 3.00% for years 31-75; 2.50% for years 76-125; "
        "2.00% for years 126-200; 1.50% for years 201-300; 1.00% from year 301; " + CONVENTION
    )
    assert describe_schedule("standard", last_year=31) == (
        STANDARD + "3.50% for years 0-30; 3.00% for years 31-75; " + CONVENTION
    )
    assert describe_schedule(0.1) == (
        "Discounted with the flat rate 10.00%: 10.00% from year 0; " + CONVENTION
    )


def test_schedule_records():
    standard = discount_schedule("standard")
    assert (standard.name, standard.label, standard.version) == (
        "standard",
        "Green Book standard (STPR 3.5% declining)",
        "green-book-2022+feb-2026-sensitivity",
    )
    assert standard.bands[:2] == ((0, 30, 0.035), (31, 75, 0.03))
    flat = discount_schedule(0.035)
    assert (flat.name, flat.label, flat.bands, flat.version) == (
        "flat 3.50%",
        "flat rate 3.50%",
        ((0, None, 0.035),),
        "",
    )
    # the rate of each step into years 0..3 (no step into year 0)
    np.testing.assert_allclose(standard.step_rates(3), [0, 0.035, 0.035, 0.035])


def test_year_arguments_in_full():
    assert discount_factors(0).tolist() == [1.0]
    assert discount_factors([]).shape == (0,)
    for bad, message in [
        (-1, "years must be a whole number of years >= 0; got -1"),
        (2.5, "years must be a whole number of years >= 0; got 2.5"),
        (["a"], "years must be numeric; got values such as ['a']"),
    ]:
        with pytest.raises(ParameterError) as err:
            discount_factors(bad)
        assert str(err.value) == message
    with pytest.raises(ParameterError) as err:
        discount_schedule(True)
    assert str(err.value) == "discount schedule must be a name or a rate; got True"
