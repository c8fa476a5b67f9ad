"""Wellbeing value: WELLBYs to money at the Green Book value, with its range and price year.

One WELLBY is one point of life satisfaction (0-10) for one person for one year. HM Treasury's
Wellbeing Guidance for Appraisal (2021) values it at GBP 13,000 (range 10,000 to 16,000) in 2019
prices (``wellbeing_values.yaml``). That the value is held constant in real terms and discounted
at the health rate is shipped as an UNVERIFIED convention, and the result says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit.econ.discounting import describe_schedule, present_value
from evalkit.econ.prices import FinancialYearRule, parse_price_year, rebase
from evalkit.reference import load_yaml

__all__ = ["WellbeingValue", "wellby_reference", "wellby_value"]


@cache
def wellby_reference() -> dict[str, Any]:
    """The shipped WELLBY value, range, price year, source and convention."""
    return load_yaml("wellbeing_values.yaml")


@dataclass(frozen=True)
class WellbeingValue(Result):
    """The money value of a flow of WELLBYs: central, low and high present values."""

    wellbys: float
    present_value: float
    ci_low: float
    ci_high: float
    value_per_wellby: float
    price_year: str
    discounting: str
    convention_verified: bool
    method: str

    def summary(self) -> str:
        """The value in plain English, with its range and the convention caveat."""
        caveat = (
            ""
            if self.convention_verified
            else " The convention (value held constant in real terms, discounted at the health "
            "rate) is unverified: check it against the current guidance."
        )
        return (
            f"{self.wellbys:,.2f} WELLBYs (points of life satisfaction per person per year) are "
            f"worth £{self.present_value:,.0f} in {self.price_year} prices (range "
            f"£{self.ci_low:,.0f} to £{self.ci_high:,.0f}, the Green Book's low and high WELLBY "
            f"values; £{self.value_per_wellby:,.0f} each). {self.discounting}{caveat}"
        )


def wellby_value(
    wellbys: float | Sequence[float] | np.ndarray | pd.Series,
    *,
    price_year: int | str = 2024,
    schedule: str | float | None = None,
    financial_year: FinancialYearRule | None = None,
) -> WellbeingValue:
    """Money value of WELLBYs gained: one number (year 0) or a flow by year from year 0.

    Parameters
    ----------
    wellbys
        WELLBYs gained (a number for year 0, a sequence from year 0, or a Series by year).
    price_year
        Price base of the result; the 2019 value is rebased with the GDP deflator.
    schedule
        Discount schedule; default the shipped convention (the health schedule).
    financial_year
        How a financial-year ``price_year`` maps onto the calendar deflator (see
        :func:`~evalkit.econ.prices.rebase`).

    Notes
    -----
    :math:`V = W \\times D(price\\_year) / D(2019) \\times \\sum_t w_t D_t` for the central, low
    and high values W.
    """
    ref = wellby_reference()
    value = ref["wellby"]
    convention = ref["convention"]
    schedule = convention["discount_schedule"] if schedule is None else schedule
    flows = [wellbys] if np.isscalar(wellbys) else wellbys
    pv_wellbys = present_value(flows, schedule=schedule)
    total = float(np.sum(np.asarray(flows, dtype=float)))

    def per_wellby(amount: float) -> float:
        return float(rebase(amount, value["price_year"], price_year, financial_year=financial_year))

    return WellbeingValue(
        wellbys=total,
        present_value=per_wellby(value["central"]) * pv_wellbys,
        ci_low=per_wellby(value["low"]) * pv_wellbys,
        ci_high=per_wellby(value["high"]) * pv_wellbys,
        value_per_wellby=per_wellby(value["central"]),
        price_year=str(parse_price_year(price_year)),
        discounting=describe_schedule(schedule),
        convention_verified=bool(convention["verified"]),
        method=f"HMT Wellbeing Guidance (2021) WELLBY value GBP {value['central']:,} "
        f"({value['low']:,}-{value['high']:,}), {value['price_year']} prices, rebased",
    )
