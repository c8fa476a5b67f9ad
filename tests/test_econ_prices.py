"""Price bases: rebase with the shipped GDP deflator, financial-year labels handled explicitly."""

import numpy as np
import pytest

from evalkit.econ import PriceYear, deflator_index, gdp_deflator, parse_price_year, rebase
from evalkit.exceptions import ParameterError


def test_deflator_has_source_and_base_year():
    d = gdp_deflator()
    assert d.loc[2024] == 100
    assert d.attrs["source"]["vintage"] == "December 2025"


def test_rebase_by_hand():
    # gdp_deflator_2024_100.csv: D(2019) = 81.1085, D(2024) = 100.
    # 13,000 (the WELLBY value, 2019 prices) in 2024 prices = 13000 * 100 / 81.1085 = 16027.91.
    assert rebase(13000, 2019, 2024) == pytest.approx(13000 * 100 / 81.1085)
    assert round(rebase(13000, 2019, 2024), 2) == 16027.91
    assert rebase(100, 2024, 2019) == pytest.approx(81.1085)


def test_rebase_arrays_and_round_trip():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(rebase(rebase(x, 2010, 2022), 2022, 2010), x)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2015/16", PriceYear(2015, "financial")),
        ("2015-16", PriceYear(2015, "financial")),
        ("2015/2016", PriceYear(2015, "financial")),
        ("1999/00", PriceYear(1999, "financial")),
        (2019, PriceYear(2019, "calendar")),
        ("2019", PriceYear(2019, "calendar")),
    ],
)
def test_parse_price_year(label, expected):
    assert parse_price_year(label) == expected


def test_str_of_financial_year():
    assert str(parse_price_year("2015-16")) == "2015/16"


def test_financial_year_is_refused_without_a_rule():
    with pytest.raises(ParameterError, match=r"from_year '2015/16' is a financial year.*start"):
        rebase(20128, "2015/16", 2024)


def test_financial_year_rules_by_hand():
    # Crisis (2015) rough sleeping cost 20,128 in 2015/16 prices.
    # start rule: 20128 * D(2024) / D(2015) = 20128 * 100 / 75.1536
    assert rebase(20128, "2015/16", 2024, financial_year="start") == pytest.approx(
        20128 * 100 / 75.1536
    )
    # weighted rule: 9 months of 2015 and 3 of 2016: 0.75 * 75.1536 + 0.25 * 76.4554
    weighted = 0.75 * 75.1536 + 0.25 * 76.4554
    assert rebase(20128, "2015/16", 2024, financial_year="weighted") == pytest.approx(
        20128 * 100 / weighted
    )


def test_unknown_year_names_year_and_range():
    with pytest.raises(ParameterError, match=r"from_year '1980' has no GDP deflator.*1990-2024"):
        rebase(1.0, 1980, 2024)
    with pytest.raises(ParameterError, match=r"to_year '2030' has no GDP deflator"):
        rebase(1.0, 2020, 2030)
    # the weighted rule needs the following calendar year too
    with pytest.raises(ParameterError, match=r"'2024/25' has no GDP deflator"):
        rebase(1.0, "2024/25", 2020, financial_year="weighted")


@pytest.mark.parametrize("bad", ["2015/17", "last year", True, 2019.5])
def test_bad_labels(bad):
    with pytest.raises(ParameterError, match="price year"):
        parse_price_year(bad)


def test_bad_rule_named():
    with pytest.raises(ParameterError, match=r"financial_year must be one of 'start', 'weighted'"):
        rebase(1.0, "2015/16", 2024, financial_year="end")


def test_financial_year_rule_applies_to_the_target_year_too():
    # 100 in 2015 prices in 2016/17 prices, start rule: 100 x D(2016) / D(2015)
    # = 100 x 76.4554 / 75.1536 (gdp_deflator_2024_100.csv).
    assert rebase(100, 2015, "2016/17", financial_year="start") == pytest.approx(
        100 * 76.4554 / 75.1536
    )


def test_numbers_as_calendar_years():
    assert parse_price_year(2019.0) == PriceYear(2019, "calendar")
    assert parse_price_year(np.int64(2019)) == PriceYear(2019, "calendar")
    assert str(parse_price_year(2019.0)) == "2019"


def test_price_year_errors_name_the_argument():
    with pytest.raises(ParameterError) as err:
        parse_price_year("12345")  # digits, but not a four-digit year
    assert str(err.value) == (
        "price year must be a calendar year such as 2024 or a financial year such as '2015/16'; "
        "got '12345'"
    )
    with pytest.raises(ParameterError) as err:
        deflator_index(1980)
    assert str(err.value) == (
        "price year '1980' has no GDP deflator: the shipped series covers 1990-2024 (calendar "
        "years, gdp_deflator_2024_100.csv)"
    )
    with pytest.raises(ParameterError, match=r"^from_year must be a calendar year"):
        deflator_index("last year", name="from_year")
    with pytest.raises(ParameterError, match=r"^x '2024/25' has no GDP deflator"):
        deflator_index("2024/25", financial_year="weighted", name="x")


def test_financial_year_messages_in_full():
    with pytest.raises(ParameterError) as err:
        rebase(1.0, "2015/16", 2024)
    assert str(err.value) == (
        "from_year '2015/16' is a financial year but the GDP deflator is by calendar year; pass "
        "financial_year='start' (use the calendar year the financial year starts in) or "
        "financial_year='weighted' (0.75 x that year + 0.25 x the next)"
    )
    with pytest.raises(ParameterError) as err:
        parse_price_year("2015/17")
    assert str(err.value) == (
        "price year '2015/17' is not a financial year: the second year must follow the first, "
        "as in '2015/16'"
    )
    with pytest.raises(ParameterError) as err:
        rebase(1.0, "1985/86", 2024, financial_year="start")
    assert str(err.value) == (
        "from_year '1985/86' has no GDP deflator: the shipped series covers 1990-2024 (calendar "
        "years, gdp_deflator_2024_100.csv)"
    )
