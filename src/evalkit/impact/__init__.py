"""Impact against a counterfactual, with the strength of evidence beside every estimate.

- :func:`did` two-group difference-in-differences; :func:`event_study` effects by period and
  a pre-trend test;
- :func:`staggered_did` staggered roll-outs (Callaway and Sant'Anna group-time effects);
- :func:`its` interrupted time series (segmented regression); :func:`controlled_its` against a
  comparison series;
- :func:`match` propensity-score matching with a balance table;
- :func:`evidence_rating` the Maryland Scientific Methods Scale level;
- :func:`stack_pre_post` one row per person and period, from before/after columns;
- :func:`event_study_chart`, :func:`its_chart` charts with alt text.

Every estimate is an :class:`ImpactResult` (``estimate``, ``se``, ``ci_low``, ``ci_high``,
``p_value``, ``n``, ``method``, ``evidence``, ``summary()``, ``to_frame()``).
"""

from __future__ import annotations

from evalkit.impact.charts import event_study_chart, its_chart
from evalkit.impact.did import EventStudyResult, did, event_study
from evalkit.impact.evidence import DESIGNS, EvidenceRating, evidence_rating
from evalkit.impact.its import ITSResult, controlled_its, its
from evalkit.impact.matching import MatchResult, match
from evalkit.impact.panel import stack_pre_post
from evalkit.impact.result import ImpactResult
from evalkit.impact.staggered import StaggeredResult, staggered_did

__all__ = [
    "DESIGNS",
    "EventStudyResult",
    "EvidenceRating",
    "ITSResult",
    "ImpactResult",
    "MatchResult",
    "StaggeredResult",
    "controlled_its",
    "did",
    "event_study",
    "event_study_chart",
    "evidence_rating",
    "its",
    "its_chart",
    "match",
    "stack_pre_post",
    "staggered_did",
]
