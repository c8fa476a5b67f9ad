"""SROI (Cabinet Office guide 2012): a worked example by hand under both timing conventions."""

import pytest

from evalkit.econ import sroi
from evalkit.exceptions import ParameterError

OUTCOMES = [
    {
        "name": "back into work",
        "quantity": 10,
        "proxy": 1000,
        "deadweight": 0.2,
        "displacement": 0.0,
        "attribution": 0.1,
        "duration_years": 3,
        "drop_off": 0.1,
    }
]


def test_worked_example_sroi_timing():
    # Year-1 impact = 10 x 1000 x (1 - 0.2) x (1 - 0) x (1 - 0.1) = 7,200; drop-off 10% a year
    # gives 6,480 and 5,832. SROI guide timing discounts year k by k years at 3.5%:
    # 7200/1.035 + 6480/1.035**2 + 5832/1.035**3 = 6956.52 + 6049.15 + 5260.13 = 18,265.80
    r = sroi(OUTCOMES, 10_000)
    expected = 7200 / 1.035 + 6480 / 1.035**2 + 5832 / 1.035**3
    assert r.present_value == pytest.approx(expected)
    assert r.ratio == pytest.approx(expected / 10_000)
    assert r.net_ratio == pytest.approx((expected - 10_000) / 10_000)
    # Payback as in the guide: investment / (annual impact / 12) = 10000 / 600 = 16.67 months
    assert r.payback_months == pytest.approx(16.6667, abs=1e-4)
    assert r.by_year["impact"].tolist() == pytest.approx([7200, 6480, 5832])
    assert "first year of outcomes discounted (SROI guide convention)" in r.summary()


def test_worked_example_green_book_timing():
    # Green Book: the first outcome year is year 0, undiscounted:
    # 7200 + 6480/1.035 + 5832/1.035**2
    r = sroi(OUTCOMES, 10_000, timing="green_book")
    assert r.present_value == pytest.approx(7200 + 6480 / 1.035 + 5832 / 1.035**2)
    assert "not discounted (Green Book convention)" in r.summary()


def test_green_book_schedule_and_several_outcomes():
    two = [*OUTCOMES, {"quantity": 5, "proxy": 200, "duration_years": 1}]
    r = sroi(two, 10_000, discount_rate="standard")
    assert r.present_value == pytest.approx(sroi(OUTCOMES, 10_000).present_value + 1000 / 1.035)
    assert r.first_year_impact == pytest.approx(8200)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"deadweight": 1.2}, r"outcomes\[0\].deadweight must lie in \[0.0, 1.0\]; got 1.2"),
        ({"duration_years": 0}, r"outcomes\[0\].duration_years must be a whole number >= 1; got 0"),
        ({"quantity": -3}, r"outcomes\[0\].quantity must lie in .*got -3"),
        ({"atribution": 0.1}, r"unexpected field\(s\) \['atribution'\]"),
    ],
)
def test_bad_outcomes(change, fragment):
    with pytest.raises(ParameterError, match=fragment):
        sroi([{**OUTCOMES[0], **change}], 1000)


def test_bad_arguments():
    with pytest.raises(
        ParameterError, match=r"timing must be one of 'sroi', 'green_book'; got 'gb'"
    ):
        sroi(OUTCOMES, 1000, timing="gb")
    with pytest.raises(ParameterError, match=r"investment must lie in \(0.0, inf\]; got 0"):
        sroi(OUTCOMES, 0)
    with pytest.raises(ParameterError, match=r"discount rate must lie in .*got 2"):
        sroi(OUTCOMES, 1000, discount_rate=2)
