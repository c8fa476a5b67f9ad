"""Green Book discounting: schedules, discount factors, present values.

Convention (printed by :func:`describe_schedule`): year 0 is the current year and is not
discounted; each later year's factor is the previous year's factor divided by ``1 + r``, where
``r`` is the rate of the schedule band that holds the later year. So under the standard schedule
the factor for year 31 is the factor for year 30 divided by 1.030, and the factor for year 76 the
factor for year 75 divided by 1.025.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from evalkit._validate import as_numeric_array, require_in_range
from evalkit.exceptions import ConfigError, ParameterError
from evalkit.reference import load_yaml

__all__ = [
    "DiscountSchedule",
    "describe_schedule",
    "discount_factors",
    "discount_schedule",
    "npv",
    "present_value",
    "schedule_names",
]

_FILE = "discount_schedules.yaml"


@dataclass(frozen=True)
class DiscountSchedule:
    """A discount schedule: a flat rate or stepwise Green Book bands.

    ``bands`` is a tuple of ``(from_year, to_year or None, rate)``; the rate applies to every
    year step into a year of the band.
    """

    name: str
    label: str
    bands: tuple[tuple[int, int | None, float], ...]
    version: str

    def step_rates(self, max_year: int) -> np.ndarray:
        """The rate of each step into years 1..max_year (index 0 is year 0, rate 0)."""
        rates = np.zeros(max_year + 1)
        for lo, hi, rate in self.bands:
            start = max(lo, 1)
            stop = max_year if hi is None else min(hi, max_year)
            if start <= stop:
                rates[start : stop + 1] = rate
        return rates

    def factors(self, max_year: int) -> np.ndarray:
        """Discount factors for years 0..max_year."""
        return _cumulative_factors(self.name, self.bands, max_year)


@cache
def _cumulative_factors(name: str, bands: tuple, max_year: int) -> np.ndarray:
    schedule = DiscountSchedule(name, name, bands, "")
    out = np.exp(-np.cumsum(np.log1p(schedule.step_rates(max_year))))
    out.flags.writeable = False
    return out


@cache
def _shipped() -> dict[str, Any]:
    return load_yaml(_FILE)


def schedule_names() -> list[str]:
    """The names of the shipped Green Book schedules."""
    return list(_shipped()["schedules"])


def discount_schedule(schedule: str | float = "standard") -> DiscountSchedule:
    """The schedule named ``schedule`` (``"standard"``, ``"health"``, ``"low_rate_2026"``) or
    a flat rate given as a number in [0, 1].

    Raises
    ------
    ParameterError
        For an unknown name (listing the shipped names) or a rate outside [0, 1].
    """
    if isinstance(schedule, bool):
        raise ParameterError(f"discount schedule must be a name or a rate; got {schedule!r}")
    if isinstance(schedule, int | float | np.floating | np.integer):
        rate = require_in_range("discount rate", schedule, 0.0, 1.0)
        return DiscountSchedule(f"flat {rate:.2%}", f"flat rate {rate:.2%}", ((0, None, rate),), "")
    data = _shipped()
    if schedule not in data["schedules"]:
        raise ParameterError(
            f"discount schedule {schedule!r} is not known; expected one of "
            f"{', '.join(map(repr, data['schedules']))} or a rate such as 0.035"
        )
    spec = data["schedules"][schedule]
    bands = tuple((int(b["from_year"]), b["to_year"], float(b["rate"])) for b in spec["bands"])
    if bands[0][0] != 0:
        raise ConfigError(f"{_FILE}: schedule {schedule!r} must start at year 0")
    return DiscountSchedule(schedule, spec["label"], bands, str(data["version"]))


def _years(years: int | Sequence[int] | np.ndarray) -> np.ndarray:
    if np.isscalar(years):
        n = int(years)
        if n < 0 or n != years:
            raise ParameterError(f"years must be a whole number of years >= 0; got {years!r}")
        return np.arange(n + 1)
    arr = as_numeric_array(years, "years")
    if arr.size and (np.any(arr < 0) or np.any(arr != np.round(arr))):
        bad = arr[(arr < 0) | (arr != np.round(arr))][0]
        raise ParameterError(f"years must be whole numbers >= 0 (year 0 = now); got {bad!r}")
    return arr.astype(int)


def discount_factors(
    years: int | Sequence[int] | np.ndarray, schedule: str | float = "standard"
) -> np.ndarray:
    """Green Book discount factors for the given years.

    Parameters
    ----------
    years
        Years from now (0 = the current year, undiscounted), or an integer ``n`` meaning years
        ``0..n``.
    schedule
        ``"standard"`` (3.5% declining), ``"health"`` (1.5% declining), ``"low_rate_2026"``
        (the 2026 lower-rate sensitivity test) or a flat rate such as ``0.035``.

    Returns
    -------
    numpy.ndarray
        The factor of each year.

    Notes
    -----
    :math:`D_0 = 1` and :math:`D_t = D_{t-1} / (1 + r_t)` where :math:`r_t` is the rate of the
    band holding year :math:`t`. For a flat rate this is :math:`D_t = (1 + r)^{-t}`.

    Examples
    --------
    >>> discount_factors(2).round(4).tolist()
    [1.0, 0.9662, 0.9335]
    """
    sched = discount_schedule(schedule)
    arr = _years(years)
    if arr.size == 0:
        return np.zeros(0)
    return sched.factors(int(arr.max()))[arr]


def _flows(
    flows: Sequence[float] | np.ndarray | pd.Series, name: str
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(flows, pd.Series):
        years = _years(flows.index.to_numpy())
        return as_numeric_array(flows.to_numpy(), name), years
    values = as_numeric_array(flows, name)
    return values, np.arange(values.size)


def present_value(
    flows: Sequence[float] | np.ndarray | pd.Series, *, schedule: str | float = "standard"
) -> float:
    """The present value of annual flows: a sequence starting at year 0, or a Series by year.

    Notes
    -----
    :math:`PV = \\sum_t D_t x_t` with :math:`D_t` from :func:`discount_factors`; the flow of
    year 0 is not discounted (Green Book convention).

    Examples
    --------
    >>> round(present_value([100, 100, 100], schedule=0.035), 2)
    289.97
    """
    values, years = _flows(flows, "flows")
    if np.isnan(values).any():
        raise ParameterError(f"flows contain a missing value at year {years[np.isnan(values)][0]}")
    return float(values @ discount_factors(years, schedule))


def npv(
    benefits: Sequence[float] | np.ndarray | pd.Series,
    costs: Sequence[float] | np.ndarray | pd.Series,
    *,
    schedule: str | float = "standard",
) -> float:
    """Net present value: the present value of ``benefits`` minus that of ``costs``."""
    return present_value(benefits, schedule=schedule) - present_value(costs, schedule=schedule)


def describe_schedule(schedule: str | float = "standard", *, last_year: int | None = None) -> str:
    """One sentence naming the schedule, its rates and the year-0 convention.

    With ``last_year``, only the bands that reach years 0..last_year are listed.
    """
    sched = discount_schedule(schedule)
    parts = [
        f"{rate:.2%} for years {lo}-{hi}" if hi is not None else f"{rate:.2%} from year {lo}"
        for lo, hi, rate in sched.bands
        if last_year is None or lo <= last_year
    ]
    version = f", version {sched.version}" if sched.version else ""
    return (
        f"Discounted with the {sched.label}{version}: {'; '.join(parts)}; year 0 is not "
        "discounted and each year's rate applies to the step into that year."
    )
