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


def test_summary_and_conventions_in_full():
    # HMT Wellbeing Guidance for Appraisal (2021): £13,000 (£10,000-£16,000), 2019 prices; one
    # WELLBY in year 0 at a flat 3.5%, valued in 2019 prices, is exactly those values.
    r = wellby_value(1, price_year=2019, schedule=0.035)
    discounting = (
        "Discounted with the flat rate 3.50%: 3.50% from year 0; year 0 is not discounted and "
        "each year's rate applies to the step into that year."
    )
    assert r.discounting == discounting
    assert r.convention_verified is False
    assert r.method == (
        "HMT Wellbeing Guidance (2021) WELLBY value GBP 13,000 (10,000-16,000), 2019 prices, rebased"
    )
    assert r.summary() == (
        "1.00 WELLBYs (points of life satisfaction per person per year) are worth £13,000 in "
        "2019 prices (range £10,000 to £16,000, the Green Book's low and high WELLBY values; "
        f"£13,000 each). {discounting} The convention (value held constant in real terms, "
        "discounted at the health rate) is unverified: check it against the current guidance."
    )


def test_financial_year_price_base_uses_the_rule_given():
    # gdp_deflator_2024_100.csv: D(2019) = 81.1085, D(2020) = 85.2137.
    # "2019/20" with the start rule is calendar 2019: the published £13,000 unchanged.
    start = wellby_value(1, price_year="2019/20", financial_year="start")
    assert start.present_value == pytest.approx(13000)
    assert start.price_year == "2019/20"
    # weighted rule: 13000 x (0.75 x 81.1085 + 0.25 x 85.2137) / 81.1085
    weighted = wellby_value(1, price_year="2019/20", financial_year="weighted")
    assert weighted.present_value == pytest.approx(
        13000 * (0.75 * 81.1085 + 0.25 * 85.2137) / 81.1085
    )
