"""Price bases: the GDP deflator series and :func:`rebase`.

The shipped deflator (``gdp_deflator_2024_100.csv``) is for calendar years. Unit costs often
carry a financial-year price base such as ``"2015/16"`` (April 2015 to March 2016). evalkit never
mixes the two silently: whenever a financial-year label is given, ``rebase`` needs
``financial_year`` to say how the label maps onto the calendar series:

``"start"``
    the calendar year in which the financial year starts (``"2015/16"`` -> 2015);
``"weighted"``
    nine months in the starting year and three in the next:
    ``0.75 D(2015) + 0.25 D(2016)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd

from evalkit._validate import require_choice
from evalkit.exceptions import ParameterError
from evalkit.reference import load_table, source_of

__all__ = ["PriceYear", "deflator_index", "gdp_deflator", "parse_price_year", "rebase"]

_FILE = "gdp_deflator_2024_100.csv"
_FY = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)
FinancialYearRule = Literal["start", "weighted"]


@dataclass(frozen=True)
class PriceYear:
    """A price base: a calendar year or a financial year (April to March) by its start year."""

    year: int
    basis: Literal["calendar", "financial"]

    def __str__(self) -> str:
        if self.basis == "calendar":
            return str(self.year)
        return f"{self.year}/{(self.year + 1) % 100:02d}"


def parse_price_year(value: int | str | PriceYear, *, name: str = "price year") -> PriceYear:
    """Read ``2019``, ``"2019"``, ``"2015/16"``, ``"2015-16"`` or ``"2015/2016"``.

    Raises
    ------
    ParameterError
        For anything else, or a financial year whose two halves are not consecutive years.
    """
    if isinstance(value, PriceYear):
        return value
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a year such as 2024 or '2015/16'; got {value!r}")
    if isinstance(value, int | np.integer):
        return PriceYear(int(value), "calendar")
    if isinstance(value, float) and value.is_integer():
        return PriceYear(int(value), "calendar")
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) == 4:
            return PriceYear(int(text), "calendar")
        match = _FY.match(text)
        if match:
            start, end = int(match.group(1)), match.group(2)
            follows = int(end) == (start + 1 if len(end) == 4 else (start + 1) % 100)
            if not follows:
                raise ParameterError(
                    f"{name} {value!r} is not a financial year: the second year must follow the "
                    f"first, as in '{start}/{(start + 1) % 100:02d}'"
                )
            return PriceYear(start, "financial")
    raise ParameterError(
        f"{name} must be a calendar year such as 2024 or a financial year such as '2015/16'; "
        f"got {value!r}"
    )


@cache
def _deflator() -> pd.Series:
    table = load_table(_FILE)
    series = pd.Series(table["index"].to_numpy(float), index=table["year"].to_numpy(int))
    series.index.name = "year"
    series.name = "gdp_deflator"
    return series


def gdp_deflator() -> pd.Series:
    """The GDP deflator at market prices by calendar year (2024 = 100); ``attrs['source']``
    holds its source record."""
    series = _deflator().copy()
    series.attrs["source"] = source_of(_FILE)
    return series


def _calendar_index(year: int, label: str, name: str) -> float:
    series = _deflator()
    if year not in series.index:
        raise ParameterError(
            f"{name} {label!r} has no GDP deflator: the shipped series covers "
            f"{series.index.min()}-{series.index.max()} (calendar years, {_FILE})"
        )
    return float(series.loc[year])


def deflator_index(
    price_year: int | str | PriceYear,
    *,
    financial_year: FinancialYearRule | None = None,
    name: str = "price year",
) -> float:
    """The deflator value for a price year, applying the financial-year rule if needed."""
    py = parse_price_year(price_year, name=name)
    label = str(price_year)
    if py.basis == "calendar":
        return _calendar_index(py.year, label, name)
    if financial_year is None:
        raise ParameterError(
            f"{name} {label!r} is a financial year but the GDP deflator is by calendar year; "
            "pass financial_year='start' (use the calendar year the financial year starts in) "
            "or financial_year='weighted' (0.75 x that year + 0.25 x the next)"
        )
    require_choice("financial_year", financial_year, ["start", "weighted"])
    start = _calendar_index(py.year, label, name)
    if financial_year == "start":
        return start
    return 0.75 * start + 0.25 * _calendar_index(py.year + 1, label, name)


def rebase(
    amount: float | np.ndarray | pd.Series,
    from_year: int | str | PriceYear,
    to_year: int | str | PriceYear,
    *,
    financial_year: FinancialYearRule | None = None,
) -> float | np.ndarray | pd.Series:
    """Express ``amount`` in ``from_year`` prices in ``to_year`` prices.

    Parameters
    ----------
    amount
        A number, array or Series of money amounts.
    from_year, to_year
        Calendar years (``2019``) or financial years (``"2015/16"``).
    financial_year
        Required when either year is a financial year: ``"start"`` or ``"weighted"`` (see the
        module notes). Never applied silently.

    Notes
    -----
    :math:`x_{to} = x_{from} \\times D(to) / D(from)` with :math:`D` the GDP deflator at market
    prices (HM Treasury, December 2025 vintage, 2024 = 100).

    Raises
    ------
    ParameterError
        A year outside the series (the message names the year and the years available), or a
        financial year without ``financial_year``.

    Examples
    --------
    >>> round(rebase(13000, 2019, 2024), 0)
    16028.0
    """
    ratio = deflator_index(to_year, financial_year=financial_year, name="to_year") / deflator_index(
        from_year, financial_year=financial_year, name="from_year"
    )
    return amount * ratio
