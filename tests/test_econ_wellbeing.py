"""Wellbeing value: WELLBYs to money at the Green Book value, range and price year, rebased."""

import pytest

from evalkit.econ import wellby_value


def test_one_wellby_in_2019_prices_is_the_published_value():
    # HMT Wellbeing Guidance for Appraisal (2021): 1 WELLBY = £13,000 (range £10,000-£16,000),
    # 2019 prices. One WELLBY in year 0, valued in 2019 prices, is exactly that.
    r = wellby_value(1, price_year=2019)
    assert (r.present_value, r.ci_low, r.ci_high) == (13000, 10000, 16000)


def test_flow_rebased_and_discounted_by_hand():
    # 1 WELLBY a year for years 0-2, 2024 prices, health rate 1.5%:
    # 13000 x 100 / 81.1085 x (1 + 1/1.015 + 1/1.015**2)
    r = wellby_value([1, 1, 1], price_year=2024)
    factor = 100 / 81.1085 * (1 + 1 / 1.015 + 1 / 1.015**2)
    assert r.present_value == pytest.approx(13000 * factor)
    assert r.ci_low == pytest.approx(10000 * factor)
    assert r.ci_high == pytest.approx(16000 * factor)
    assert r.value_per_wellby == pytest.approx(13000 * 100 / 81.1085)
    assert r.wellbys == 3


def test_summary_flags_unverified_convention():
    r = wellby_value(2.5)
    assert not r.convention_verified
    text = r.summary()
    assert "unverified" in text and "2024 prices" in text and "health" in text


def test_other_schedule():
    r = wellby_value([0, 1], price_year=2019, schedule=0.035)
    assert r.present_value == pytest.approx(13000 / 1.035)
