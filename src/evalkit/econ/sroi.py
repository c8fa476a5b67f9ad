"""Social return on investment (Cabinet Office, A guide to social return on investment, 2012).

Impact of an outcome in its first year = quantity x financial proxy x (1 - deadweight) x
(1 - displacement) x (1 - attribution); each later year keeps (1 - drop_off) of the year before.
The SROI guide discounts the first year of outcomes (years 1..n); the Green Book does not (years
0..n-1). The convention is the ``timing`` argument and is printed in the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import require_choice, require_in_range, require_probability
from evalkit.econ.discounting import discount_factors, discount_schedule
from evalkit.exceptions import ParameterError

__all__ = ["SroiResult", "sroi"]

_FIELDS = {
    "quantity",
    "proxy",
    "deadweight",
    "displacement",
    "attribution",
    "duration_years",
    "drop_off",
}
_SHARES = ("deadweight", "displacement", "attribution", "drop_off")


def _outcome(i: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    where = f"outcomes[{i}]"
    if not isinstance(raw, Mapping):
        raise ParameterError(f"{where} must be a mapping of {sorted(_FIELDS)}; got {raw!r}")
    unknown = set(raw) - _FIELDS - {"name"}
    if unknown:
        raise ParameterError(
            f"{where} has unexpected field(s) {sorted(unknown)}; expected {sorted(_FIELDS)} "
            "and optionally 'name'"
        )
    missing = {"quantity", "proxy", "duration_years"} - set(raw)
    if missing:
        raise ParameterError(f"{where} lacks {sorted(missing)}")
    out = {"name": str(raw.get("name", f"outcome {i + 1}"))}
    out["quantity"] = require_in_range(f"{where}.quantity", raw["quantity"], 0, np.inf)
    out["proxy"] = require_in_range(f"{where}.proxy", raw["proxy"], -np.inf, np.inf)
    for share in _SHARES:
        out[share] = require_probability(f"{where}.{share}", raw.get(share, 0.0))
    duration = raw["duration_years"]
    if isinstance(duration, bool) or int(duration) != duration or duration < 1:
        raise ParameterError(
            f"{where}.duration_years must be a whole number >= 1; got {duration!r}"
        )
    out["duration_years"] = int(duration)
    return out


@dataclass(frozen=True)
class SroiResult(Result):
    """An SROI: present value of impact, the ratio and its conventions."""

    present_value: float
    investment: float
    ratio: float
    net_ratio: float
    payback_months: float | None
    first_year_impact: float
    timing: str
    discounting: str
    method: str
    by_year: pd.DataFrame

    def summary(self) -> str:
        """The SROI in plain English with its conventions."""
        timing = (
            "first year of outcomes discounted (SROI guide convention)"
            if self.timing == "sroi"
            else "first year of outcomes not discounted (Green Book convention)"
        )
        payback = (
            f"On the guide's simple measure the investment is paid back in "
            f"{self.payback_months:.1f} months of first-year impact."
            if self.payback_months is not None
            else "There is no first-year impact, so no payback period."
        )
        return (
            f"Social return on investment: £{self.ratio:.2f} of social value for each £1 "
            f"invested (net £{self.net_ratio:.2f}); present value of impact "
            f"£{self.present_value:,.0f} against inputs of £{self.investment:,.0f}. "
            f"Impact is after deadweight, displacement, attribution and drop-off. Timing: "
            f"{timing}; {self.discounting}. {payback}"
        )


def sroi(
    outcomes: Sequence[Mapping[str, Any]],
    investment: float,
    *,
    discount_rate: float | str = 0.035,
    timing: Literal["sroi", "green_book"] = "sroi",
) -> SroiResult:
    """Social return on investment of a set of outcomes.

    Parameters
    ----------
    outcomes
        Mappings with ``quantity``, ``proxy`` (money value per unit per year), ``deadweight``,
        ``displacement``, ``attribution``, ``duration_years``, ``drop_off`` and an optional
        ``name``; missing shares count as 0.
    investment
        The value of inputs, in-kind contributions included (> 0).
    discount_rate
        A flat rate such as 0.035, or a Green Book schedule name.
    timing
        ``"sroi"``: outcome year k (k = 1..n) is discounted by k years (the guide's tables);
        ``"green_book"``: the first outcome year is year 0 and not discounted.

    Notes
    -----
    :math:`I_{o,1} = q_o p_o (1 - d_o)(1 - s_o)(1 - a_o)`, :math:`I_{o,k} = I_{o,k-1}(1 - f_o)`;
    :math:`PV = \\sum_o \\sum_k I_{o,k} D_{k - \\delta}` with :math:`\\delta = 0` for ``"sroi"``
    and 1 for ``"green_book"``; ratio = PV / investment; net ratio = (PV - investment) /
    investment; payback months = investment / (first-year impact / 12), as in the guide.

    References
    ----------
    Cabinet Office (2012), *A guide to social return on investment*, stage 5.
    """
    require_choice("timing", timing, ["sroi", "green_book"])
    investment = require_in_range("investment", investment, 0.0, np.inf, inclusive=(False, True))
    schedule = discount_schedule(discount_rate)
    if isinstance(outcomes, Mapping) or not len(outcomes):
        raise ParameterError("outcomes must be a non-empty list of outcome mappings")
    shift = 0 if timing == "sroi" else 1
    rows = []
    for i, raw in enumerate(outcomes):
        o = _outcome(i, raw)
        first = (
            o["quantity"]
            * o["proxy"]
            * (1 - o["deadweight"])
            * (1 - o["displacement"])
            * (1 - o["attribution"])
        )
        k = np.arange(1, o["duration_years"] + 1)
        impact = first * (1 - o["drop_off"]) ** (k - 1)
        factors = discount_factors(k - shift, discount_rate)
        rows.append(
            pd.DataFrame(
                {
                    "outcome": o["name"],
                    "outcome_year": k,
                    "impact": impact,
                    "discount_factor": factors,
                    "present_value": impact * factors,
                }
            )
        )
    by_year = pd.concat(rows, ignore_index=True)
    pv = float(by_year["present_value"].sum())
    first_year = float(by_year.loc[by_year["outcome_year"] == 1, "impact"].sum())
    return SroiResult(
        present_value=pv,
        investment=investment,
        ratio=pv / investment,
        net_ratio=(pv - investment) / investment,
        payback_months=investment / (first_year / 12) if first_year > 0 else None,
        first_year_impact=first_year,
        timing=timing,
        discounting=f"discounted at {schedule.label}",
        method="Cabinet Office (2012) SROI: quantity x proxy x (1 - deadweight) x "
        "(1 - displacement) x (1 - attribution), drop-off after year 1",
        by_year=by_year,
    )
