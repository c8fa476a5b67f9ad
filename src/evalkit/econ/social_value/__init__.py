"""Social value in commissioning: bidders' commitments, bid scoring, and delivery against them.

Under the Public Services (Social Value) Act 2012 and the Procurement Act 2023 commissioners weigh
the social value bids offer, then check it is delivered. This package values commitments with a
measures table (proxy values with their sources and price years, rebased with
:func:`evalkit.econ.rebase`), labels every figure gross or net of deadweight, displacement and
attribution, scores bids at the commissioner's weightings, shows how the ranking moves with the
weighting, and tracks delivery by strength of evidence.

- :func:`read_measures`, :func:`illustrative_measures`, :func:`read_adjustments`: the tables.
- :func:`social_value`: gross and net social value of each bid, per pound and as a share of price.
- :func:`proportional_scores`, :func:`lowest_price_scores`, :func:`combined_scores`,
  :func:`weighting_sensitivity`: scoring.
- :func:`delivery_against_commitments`: commitments against delivery.
- :func:`social_value_report_html`: the report behind ``notebooks/social_value.ipynb``;
  :func:`write_demo_inputs` writes the demo tenders, bids and delivery returns.
"""

from evalkit.econ.social_value.delivery import DeliveryResult, delivery_against_commitments
from evalkit.econ.social_value.measures import (
    illustrative_measures,
    read_adjustments,
    read_measures,
)
from evalkit.econ.social_value.report import (
    SocialValueReport,
    social_value_report,
    social_value_report_html,
    write_demo_inputs,
)
from evalkit.econ.social_value.scoring import (
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
from evalkit.econ.social_value.value import SocialValueResult, social_value

__all__ = [
    "MIN_SOCIAL_VALUE_WEIGHT",
    "BidScores",
    "DeliveryResult",
    "ProportionalScores",
    "SocialValueReport",
    "SocialValueResult",
    "SocialValueWeightingWarning",
    "WeightingSensitivity",
    "combined_scores",
    "delivery_against_commitments",
    "illustrative_measures",
    "lowest_price_scores",
    "proportional_scores",
    "read_adjustments",
    "read_measures",
    "social_value",
    "social_value_report",
    "social_value_report_html",
    "weighting_sensitivity",
    "write_demo_inputs",
]
