"""Value for money: Green Book discounting, prices, the local cost-benefit model, SROI,
wellbeing value, cost savings, sensitivity analysis, unit costs and charts.

Conventions (each is printed by the results that use it):

- Discounting follows the Green Book: year 0 is not discounted and each year's rate applies to the
  step into that year (standard schedule: factor(31) = factor(30) / 1.030).
- Money carries its price year; :func:`rebase` uses the shipped GDP deflator (calendar years) and
  refuses financial-year labels ("2015/16") unless told how to map them (``financial_year=``).
- SROI discounts the first outcome year (``timing="sroi"``) unless ``timing="green_book"``.
- Savings without a counterfactual, and cost-benefit benefits with no deadweight, are labelled
  gross and raise an :class:`~evalkit.exceptions.EvidenceWarning`.
"""

from evalkit.econ.agencies import agency_name, agency_names
from evalkit.econ.cba import METRICS, CostBenefitModel, CostBenefitResult
from evalkit.econ.cba_spec import CostBenefitSpec
from evalkit.econ.charts import (
    benefits_by_agency_chart,
    monte_carlo_chart,
    payback_chart,
    tornado_chart,
)
from evalkit.econ.discounting import (
    DiscountSchedule,
    describe_schedule,
    discount_factors,
    discount_schedule,
    npv,
    present_value,
    schedule_names,
)
from evalkit.econ.optimism_bias import capital_optimism_bias, confidence_grade_bias
from evalkit.econ.prices import PriceYear, deflator_index, gdp_deflator, parse_price_year, rebase
from evalkit.econ.savings import SavingsResult, cost_savings
from evalkit.econ.sensitivity import (
    MonteCarloResult,
    monte_carlo,
    one_way,
    scenarios,
    switching_values,
)
from evalkit.econ.sroi import SroiResult, sroi
from evalkit.econ.unit_costs import read_gmca_unit_costs, rebase_unit_costs, unit_costs
from evalkit.econ.wellbeing import WellbeingValue, wellby_value

__all__ = [
    "METRICS",
    "CostBenefitModel",
    "CostBenefitResult",
    "CostBenefitSpec",
    "DiscountSchedule",
    "MonteCarloResult",
    "PriceYear",
    "SavingsResult",
    "SroiResult",
    "WellbeingValue",
    "agency_name",
    "agency_names",
    "benefits_by_agency_chart",
    "capital_optimism_bias",
    "confidence_grade_bias",
    "cost_savings",
    "deflator_index",
    "describe_schedule",
    "discount_factors",
    "discount_schedule",
    "gdp_deflator",
    "monte_carlo",
    "monte_carlo_chart",
    "npv",
    "one_way",
    "parse_price_year",
    "payback_chart",
    "present_value",
    "read_gmca_unit_costs",
    "rebase",
    "rebase_unit_costs",
    "scenarios",
    "schedule_names",
    "sroi",
    "switching_values",
    "tornado_chart",
    "unit_costs",
    "wellby_value",
]
