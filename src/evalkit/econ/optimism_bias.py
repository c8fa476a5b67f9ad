"""Optimism bias: uplift costs and reduce benefits for the strength of the evidence behind them.

Two shipped tables (``optimism_bias.yaml``, both flagged ``verified: false``): the local
cost-benefit confidence grades (HMT and New Economy 2014) and the generic capital-project upper
bounds (Mott MacDonald for HM Treasury, 2002).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from evalkit._validate import require_choice, require_probability
from evalkit.exceptions import ParameterError
from evalkit.reference import load_yaml

__all__ = ["capital_optimism_bias", "confidence_grade_bias", "optimism_bias_table"]


@cache
def optimism_bias_table() -> dict[str, Any]:
    """The shipped optimism-bias tables with their sources and ``verified`` flags."""
    return load_yaml("optimism_bias.yaml")


def confidence_grade_bias(grade: int, *, field: str = "confidence_grade") -> float:
    """The optimism-bias share for a local CBA confidence grade (1 = most robust, 6 = weakest).

    The grade table is an UNVERIFIED recollection of HMT and New Economy (2014): check it
    against the guidance before relying on it.
    """
    grades = optimism_bias_table()["local_cba_confidence_grades"]["grades"]
    if isinstance(grade, bool) or grade not in grades:
        raise ParameterError(
            f"{field} must be a whole number from 1 (most robust evidence) to 6 (weakest); "
            f"got {grade!r}"
        )
    return float(grades[grade])


def capital_optimism_bias(
    category: str,
    *,
    measure: Literal["capex", "works_duration", "operating_cost"] = "capex",
    mitigated: float = 0.0,
) -> float:
    """Applied optimism bias for a capital project: upper bound x (1 - share mitigated).

    Parameters
    ----------
    category
        ``"standard_buildings"``, ``"non_standard_buildings"``, ``"standard_civil_engineering"``,
        ``"non_standard_civil_engineering"``, ``"equipment_and_development"`` or ``"outsourcing"``.
    measure
        ``"capex"``, ``"works_duration"`` or, for outsourcing, ``"operating_cost"``.
    mitigated
        The share of the risk shown to be mitigated, in [0, 1].
    """
    table = optimism_bias_table()["capital_project_upper_bounds"]["categories"]
    require_choice("category", category, list(table))
    bounds = table[category]
    if measure not in bounds:
        raise ParameterError(
            f"measure {measure!r} has no upper bound for category {category!r}; expected one of "
            f"{', '.join(map(repr, bounds))}"
        )
    return float(bounds[measure]) * (1.0 - require_probability("mitigated", mitigated))
