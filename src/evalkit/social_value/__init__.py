"""Social value in commissioning: bidders' commitments, bid scoring, and delivery against them.

Under the Public Services (Social Value) Act 2012 and the Procurement Act 2023 commissioners weigh
the social value bids offer, then check it is delivered. This package values commitments with a
measures table (proxy values with their sources and price years, rebased with
:func:`evalkit.econ.rebase` and discounted as the Green Book does), labels every figure gross or
net of deadweight, displacement and attribution, scores bids at the commissioner's weightings,
shows how the ranking moves with the weighting, and tracks delivery by strength of evidence.

Every function takes DataFrames (read a CSV or XLSX file with :func:`evalkit.intake.read_table`)
and returns a result; the report behind ``notebooks/social_value.ipynb`` is built in
:mod:`evalkit.reports.social_value`.

- :func:`illustrative_measures`, :func:`check_measures`, :func:`check_adjustments`: the tables.
- :func:`social_value`: gross and net social value of each bid, per pound and as a share of price.
- :func:`proportional_scores`, :func:`lowest_price_scores`, :func:`combined_scores`,
  :func:`weighting_sensitivity`: scoring.
- :func:`delivery_against_commitments`, :func:`delivery_up_to`: commitments against delivery.
- :func:`check_claims`: delivery claims that count people against the people the evaluation
  records as served, flagged where a claim exceeds them.
- :func:`proxies_used`: each proxy used, with its source and price year, as given and rebased.
- :func:`contract_tables`, :func:`published_by_period`: delivery figures safe to publish.
"""

from evalkit.social_value._tables import header
from evalkit.social_value.delivery import (
    DeliveryResult,
    delivery_against_commitments,
    delivery_up_to,
    period_end,
)
from evalkit.social_value.measures import (
    check_adjustments,
    check_measures,
    illustrative_measures,
)
from evalkit.social_value.publish import ContractTables, contract_tables, published_by_period
from evalkit.social_value.reconcile import ClaimCheck, check_claims
from evalkit.social_value.scoring import (
    MIN_SOCIAL_VALUE_WEIGHT,
    BidScores,
    ProportionalScores,
    SocialValueWeightingWarning,
    WeightingSensitivity,
    combined_scores,
    lowest_price_scores,
    proportional_scores,
    weighting_sensitivity,
)
from evalkit.social_value.value import SocialValueResult, money, proxies_used, social_value

__all__ = [
    "MIN_SOCIAL_VALUE_WEIGHT",
    "BidScores",
    "ClaimCheck",
    "ContractTables",
    "DeliveryResult",
    "ProportionalScores",
    "SocialValueResult",
    "SocialValueWeightingWarning",
    "WeightingSensitivity",
    "check_adjustments",
    "check_claims",
    "check_measures",
    "combined_scores",
    "contract_tables",
    "delivery_against_commitments",
    "delivery_up_to",
    "header",
    "illustrative_measures",
    "lowest_price_scores",
    "money",
    "period_end",
    "proportional_scores",
    "proxies_used",
    "published_by_period",
    "social_value",
    "weighting_sensitivity",
]
