"""Cost-savings calculator: service use before and after, times unit costs, by agency.

A fall in service use among participants is not, by itself, a saving the programme caused: use
often falls anyway (regression to the mean, crises passing). The calculator therefore labels its
result GROSS, and warns with :class:`~evalkit.exceptions.EvidenceWarning`, unless a
counterfactual is given: the change in use in a comparison group, or a deadweight share.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._results import Result
from evalkit._validate import (
    require_columns,
    require_in_range,
    require_numeric,
    require_probability,
)
from evalkit.econ.agencies import agency_name
from evalkit.econ.prices import parse_price_year
from evalkit.exceptions import DataError, EvidenceWarning, ParameterError

__all__ = ["SavingsResult", "cost_savings"]


@dataclass(frozen=True)
class SavingsResult(Result):
    """Savings from lower service use; ``basis`` says whether they are gross or net."""

    basis: str
    gross_saving: float
    net_saving: float | None
    programme_cost: float | None
    gross_ratio: float | None
    net_ratio: float | None
    counterfactual: str
    price_year: str | None
    method: str
    by_service: pd.DataFrame
    by_agency: pd.DataFrame

    def summary(self) -> str:
        """The savings in plain English, labelled gross or net."""
        prices = f" in {self.price_year} prices" if self.price_year else ""
        lines = [
            f"Cost of service use fell by £{self.gross_saving:,.0f}{prices} between before and "
            "after (GROSS: the change among participants, before allowing for what would have "
            "happened anyway)."
        ]
        if self.net_saving is None:
            lines.append(
                "No comparison group or deadweight was given, so this is NOT an impact estimate "
                "and must not be reported as savings caused by the programme."
            )
        else:
            lines.append(
                f"NET of the counterfactual ({self.counterfactual}): £{self.net_saving:,.0f}."
            )
        if self.programme_cost:
            ratio = self.net_ratio if self.net_ratio is not None else self.gross_ratio
            label = "net" if self.net_ratio is not None else "gross"
            lines.append(
                f"Against a programme cost of £{self.programme_cost:,.0f} that is £{ratio:.2f} "
                f"of {label} savings per £1 spent."
            )
        top = self.by_agency.sort_values("gross_saving", ascending=False).head(3)
        lines.append(
            "Largest gross savings: "
            + "; ".join(f"{r.agency} £{r.gross_saving:,.0f}" for r in top.itertuples())
            + "."
        )
        return " ".join(lines)


def cost_savings(
    service_use: pd.DataFrame,
    unit_costs: pd.DataFrame,
    *,
    service: str = "service",
    before: str = "before",
    after: str = "after",
    unit_cost: str = "unit_cost",
    agency: str = "agency",
    comparison_change: float | Mapping[str, float] | None = None,
    deadweight: float | None = None,
    programme_cost: float | None = None,
    price_year: int | str | None = None,
) -> SavingsResult:
    """Savings from a change in service use, valued at unit costs and split by agency.

    Parameters
    ----------
    service_use
        One row per service: ``service``, use ``before`` and ``after`` (counts over equal periods).
    unit_costs
        One row per service: ``service``, ``agency`` and ``unit_cost`` (same price year).
    comparison_change
        Relative change in use in a comparison group over the same period (e.g. -0.10 for a 10%
        fall), one number or one per service. Net saving = (before x (1 + change) - after) x
        unit cost.
    deadweight
        Share of the gross saving that would have happened anyway; net = gross x (1 - deadweight).
    programme_cost
        Cost of the programme, for the savings-per-pound ratio.
    price_year
        The price year of ``unit_costs``, shown with the result.

    Warns
    -----
    EvidenceWarning
        When neither ``comparison_change`` nor ``deadweight`` is given (the result is gross).
    """
    src = "service_use"
    require_columns(service_use, [service, before, after], source=src)
    require_columns(unit_costs, [service, agency, unit_cost], source="unit_costs")
    use = pd.DataFrame(
        {
            "service": service_use[service].astype(str),
            "before": require_numeric(service_use, before, source=src, allow_missing=False),
            "after": require_numeric(service_use, after, source=src, allow_missing=False),
        }
    )
    for col in ("before", "after"):
        if (use[col] < 0).any():
            row = use.index[use[col] < 0][0]
            raise DataError(
                f"column {col!r} in service_use, row {row}: value {use.at[row, col]:g} is "
                "negative; expected a count of service use >= 0"
            )
    costs = pd.DataFrame(
        {
            "service": unit_costs[service].astype(str),
            "agency": [agency_name(a, field=f"unit_costs {agency!r}") for a in unit_costs[agency]],
            "unit_cost": require_numeric(
                unit_costs, unit_cost, source="unit_costs", allow_missing=False
            ),
        }
    )
    if costs["service"].duplicated().any():
        dup = costs.loc[costs["service"].duplicated(), "service"].iloc[0]
        raise DataError(
            f"unit_costs lists service {dup!r} more than once; expected one unit cost per service"
        )
    table = use.merge(costs, on="service", how="left")
    if table["unit_cost"].isna().any():
        missing = table.loc[table["unit_cost"].isna(), "service"].iloc[0]
        raise DataError(
            f"service {missing!r} in service_use has no unit cost; expected a row for it in "
            f"unit_costs (services there: {', '.join(costs['service'][:10])})"
        )
    table["gross_saving"] = (table["before"] - table["after"]) * table["unit_cost"]
    if comparison_change is not None and deadweight is not None:
        raise ParameterError(
            "give either comparison_change or deadweight, not both; got "
            f"comparison_change={comparison_change!r}, deadweight={deadweight!r}"
        )
    if comparison_change is not None:
        if isinstance(comparison_change, Mapping):
            change = table["service"].map(comparison_change)
            if change.isna().any():
                raise ParameterError(
                    f"comparison_change has no value for service "
                    f"{table.loc[change.isna(), 'service'].iloc[0]!r}; expected one per service"
                )
        else:
            change = require_in_range("comparison_change", comparison_change, -1.0, np.inf)
        expected_after = table["before"] * (1 + change)
        table["net_saving"] = (expected_after - table["after"]) * table["unit_cost"]
        counterfactual = "change in use in a comparison group"
        basis = "net (comparison group)"
    elif deadweight is not None:
        share = require_probability("deadweight", deadweight)
        table["net_saving"] = table["gross_saving"] * (1 - share)
        counterfactual = f"deadweight {share:.0%}"
        basis = "net (deadweight)"
    else:
        counterfactual = "none"
        basis = "gross"
        warnings.warn(
            "no comparison group or deadweight given: the savings are GROSS (a before/after "
            "change), not savings caused by the programme",
            EvidenceWarning,
            stacklevel=2,
        )
    cost = None
    if programme_cost is not None:
        cost = require_in_range(
            "programme_cost", programme_cost, 0, np.inf, inclusive=(False, True)
        )
    gross = float(table["gross_saving"].sum())
    net = float(table["net_saving"].sum()) if "net_saving" in table else None
    sums = ["gross_saving"] + (["net_saving"] if net is not None else [])
    by_agency = table.groupby("agency", as_index=False, sort=True)[sums].sum()
    return SavingsResult(
        basis=basis,
        gross_saving=gross,
        net_saving=net,
        programme_cost=cost,
        gross_ratio=gross / cost if cost else None,
        net_ratio=net / cost if cost and net is not None else None,
        counterfactual=counterfactual,
        price_year=None if price_year is None else str(parse_price_year(price_year)),
        method="service use before minus after, times unit cost by agency"
        + ("" if net is None else f", net of {counterfactual}"),
        by_service=table,
        by_agency=by_agency,
    )
