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


# Displacement, the discount rate, the result's text, and bad outcomes in full -----------------


def test_displacement_and_a_ten_percent_rate_by_hand():
    # Cabinet Office (2012) SROI guide, stage 4-5: impact = quantity x proxy x (1 - deadweight)
    # x (1 - displacement) x (1 - attribution) = 10 x 1000 x 0.8 x 0.75 x 0.9 = 5,400; drop-off
    # 10% a year: 4,860, 4,374. SROI timing at a flat 10%:
    # 5400/1.1 + 4860/1.21 + 4374/1.331 = 4909.0909 + 4016.5289 + 3286.2509 = 12,211.8707.
    outcome = {**OUTCOMES[0], "displacement": 0.25}
    r = sroi([outcome], 10_000, discount_rate=0.10)
    expected = 5400 / 1.1 + 4860 / 1.1**2 + 4374 / 1.1**3
    assert expected == pytest.approx(12211.8707, abs=1e-4)
    assert r.present_value == pytest.approx(expected)
    assert r.first_year_impact == pytest.approx(5400)
    assert list(r.by_year.columns) == [
        "outcome",
        "outcome_year",
        "impact",
        "discount_factor",
        "present_value",
    ]
    assert r.by_year["discount_factor"].tolist() == pytest.approx([1 / 1.1, 1 / 1.21, 1 / 1.331])
    # payback = 10,000 / (5,400 / 12) = 10,000 / 450 = 22.2 months
    assert r.summary() == (
        "Social return on investment: £1.22 of social value for each £1 invested (net £0.22); "
        "present value of impact £12,212 against inputs of £10,000. Impact is after deadweight, "
        "displacement, attribution and drop-off. Timing: first year of outcomes discounted "
        "(SROI guide convention); discounted at flat rate 10.00%. On the guide's simple measure "
        "the investment is paid back in 22.2 months of first-year impact."
    )
    assert r.discounting == "discounted at flat rate 10.00%"
    assert r.method == (
        "Cabinet Office (2012) SROI: quantity x proxy x (1 - deadweight) x (1 - displacement) x "
        "(1 - attribution), drop-off after year 1"
    )


def test_green_book_timing_summary_in_full():
    # 7200 + 6480/1.035 + 5832/1.035**2 = 7200 + 6260.8696 + 5444.1200 = 18,904.99
    r = sroi(OUTCOMES, 10_000, timing="green_book")
    assert "Timing: first year of outcomes not discounted (Green Book convention); " in r.summary()
    assert "present value of impact £18,905 against" in r.summary()


def test_rows_are_numbered_across_outcomes_with_default_names():
    two = [
        {"quantity": 2, "proxy": 100, "duration_years": 2},
        {"quantity": 1, "proxy": 50, "duration_years": 1},
    ]
    r = sroi(two, 100)
    assert r.by_year.index.tolist() == [0, 1, 2]
    assert r.by_year["outcome"].tolist() == ["outcome 1", "outcome 1", "outcome 2"]
    assert r.by_year["outcome_year"].tolist() == [1, 2, 1]


def test_no_first_year_impact_means_no_payback():
    r = sroi([{"quantity": 0, "proxy": 1000, "duration_years": 2}], 500)
    assert r.present_value == 0 and r.payback_months is None
    assert r.summary().endswith(" There is no first-year impact, so no payback period.")


def test_a_small_first_year_impact_still_has_a_payback():
    # impact 1 x 0.5 = 0.5 a year: payback = 100 / (0.5 / 12) = 2,400 months.
    r = sroi([{"quantity": 1, "proxy": 0.5, "duration_years": 1}], 100)
    assert r.payback_months == pytest.approx(2400)


@pytest.mark.parametrize(
    ("outcomes", "message"),
    [
        (
            [5],
            "outcomes[0] must be a mapping of ['attribution', 'deadweight', 'displacement', "
            "'drop_off', 'duration_years', 'proxy', 'quantity']; got 5",
        ),
        ([{"proxy": 1, "duration_years": 1}], "outcomes[0] lacks ['quantity']"),
        (
            [{"quantity": 1, "proxy": 1, "duration_years": 1, "quantiti": 1}],
            "outcomes[0] has unexpected field(s) ['quantiti']; expected ['attribution', "
            "'deadweight', 'displacement', 'drop_off', 'duration_years', 'proxy', 'quantity'] "
            "and optionally 'name'",
        ),
        (
            [{"quantity": 1, "proxy": "x", "duration_years": 1}],
            "outcomes[0].proxy must be a number; got 'x'",
        ),
        (
            [{"quantity": 1, "proxy": 1, "duration_years": 2.5}],
            "outcomes[0].duration_years must be a whole number >= 1; got 2.5",
        ),
        ({"quantity": 1}, "outcomes must be a non-empty list of outcome mappings"),
        ([], "outcomes must be a non-empty list of outcome mappings"),
    ],
)
def test_bad_outcomes_messages_in_full(outcomes, message):
    with pytest.raises(ParameterError) as err:
        sroi(outcomes, 1000)
    assert str(err.value) == message
