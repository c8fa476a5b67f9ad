"""Outcome measurement: what changed for the people a service worked with.

Change over time for the same people (effect sizes, reliable change, paired binary outcomes,
distance travelled, wellbeing scales) and outcome frameworks (indicators, equity view, the
Supporting Families family rule). None of these is an impact estimate: for impact against a
counterfactual see :mod:`evalkit.impact`.
"""

from __future__ import annotations

from evalkit.outcomes.binary import PairedBinaryResult, paired_binary
from evalkit.outcomes.change import MeanResult, mean_change, mean_level
from evalkit.outcomes.distance_travelled import DistanceTravelledResult, distance_travelled
from evalkit.outcomes.effect_sizes import EffectSizeResult, effect_size, hedges_j, magnitude
from evalkit.outcomes.framework import (
    FamilyOutcomesResult,
    Indicator,
    IndicatorRegister,
    equity_view,
    family_outcomes,
    indicator_results,
    supporting_families_outcomes,
)
from evalkit.outcomes.reliable_change import (
    ClinicalCutoffs,
    ReliableChangeResult,
    clinical_cutoffs,
    reliable_change,
)
from evalkit.outcomes.summaries import outcome_summary
from evalkit.outcomes.wellbeing import swemwbs_metric, swemwbs_total, wemwbs_total

__all__ = [
    "ClinicalCutoffs",
    "DistanceTravelledResult",
    "EffectSizeResult",
    "FamilyOutcomesResult",
    "Indicator",
    "IndicatorRegister",
    "MeanResult",
    "PairedBinaryResult",
    "ReliableChangeResult",
    "clinical_cutoffs",
    "distance_travelled",
    "effect_size",
    "equity_view",
    "family_outcomes",
    "hedges_j",
    "indicator_results",
    "magnitude",
    "mean_change",
    "mean_level",
    "outcome_summary",
    "paired_binary",
    "reliable_change",
    "supporting_families_outcomes",
    "swemwbs_metric",
    "swemwbs_total",
    "wemwbs_total",
]
