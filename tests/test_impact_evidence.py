"""Tests for the Maryland Scientific Methods Scale rating and the shared ImpactResult."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from evalkit.exceptions import ParameterError
from evalkit.impact import DESIGNS, ImpactResult, did, evidence_rating

# Levels as defined in /work/shared/reference/README.md section 4 (Sherman et al. 1997):
# 1 before/after or cross-section, no controls; 2 with controls or matching; 3 comparison group
# before and after (DiD); 4 quasi-random variation; 5 randomised.


@pytest.mark.parametrize(
    ("design", "kwargs", "level"),
    [
        ("before_after", {}, 1),
        ("cross_section", {"comparison_group": True}, 1),
        ("cross_section", {"comparison_group": True, "controls": True}, 2),
        ("matching", {"comparison_group": True, "controls": True}, 2),
        ("its", {"pre_periods": 12}, 2),
        ("its", {"pre_periods": 2}, 1),
        ("its", {"comparison_group": True, "pre_periods": 12}, 3),
        ("did", {"comparison_group": True, "pre_periods": 1}, 3),
        ("staggered_did", {"comparison_group": True, "pre_periods": 4}, 3),
        ("regression_discontinuity", {}, 4),
        ("instrumental_variable", {"comparison_group": True}, 4),
        ("rct", {}, 5),
        ("did", {"comparison_group": True, "pre_periods": 1, "randomised": True}, 5),
    ],
)
def test_levels(design, kwargs, level):
    rating = evidence_rating(design, **kwargs)
    assert rating.level == level
    assert rating.reasons and (rating.to_raise or level == 5)


def test_before_after_is_not_an_impact_estimate():
    rating = evidence_rating("before_after")
    assert not rating.is_impact_estimate
    assert "not an impact estimate" in rating.summary()
    assert "comparison group observed before and after" in rating.summary()
    res = ImpactResult(
        estimate=3.1,
        se=0.2,
        ci_low=2.7,
        ci_high=3.5,
        p_value=1e-9,
        n=400,
        method="paired mean change",
        evidence=rating,
        outcome="wellbeing",
    )
    text = res.summary()
    assert text.startswith(
        "wellbeing changed by 3.10 (95% CI 2.70 to 3.50). This is not an impact estimate"
    )
    assert "estimated to have raised" not in text


def test_summary_wording_and_interval_crossing_zero():
    res = ImpactResult(
        estimate=-0.8,
        se=0.6,
        ci_low=-1.98,
        ci_high=0.38,
        p_value=0.18,
        n=120,
        method="two-group DiD by OLS, HC1",
        outcome="police callouts",
        evidence=evidence_rating("did", comparison_group=True, pre_periods=1),
    )
    text = res.summary()
    assert text.startswith(
        "The service is estimated to have lowered police callouts by 0.800 (95% CI -1.98 to 0.380)."
    )
    assert "This is a level-3 design" in text
    assert "we cannot tell whether the service raised or lowered police callouts" in text
    frame = res.to_frame()
    assert frame.loc[0, "evidence_level"] == 3
    assert list(frame.columns[:7]) == [
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "method",
    ]


def test_rate_ratio_wording():
    res = ImpactResult(
        estimate=0.88,
        se=0.03,
        ci_low=0.83,
        ci_high=0.93,
        p_value=1e-4,
        n=59,
        method="ITS",
        outcome="referrals",
        scale="rate ratio",
        evidence=evidence_rating("its", pre_periods=20),
    )
    assert "by a factor of 0.880 (95% CI 0.830 to 0.930), that is 12.0% lower" in res.summary()
    assert not res.crosses_no_effect


def test_bad_design_and_pre_periods():
    with pytest.raises(ParameterError, match="design must be one of"):
        evidence_rating("anecdote")
    with pytest.raises(ParameterError, match="pre_periods must be a whole number >= 0; got -1"):
        evidence_rating("its", pre_periods=-1)
    with pytest.raises(ParameterError, match="comparison_group=True and pre_periods >= 1"):
        evidence_rating("did", comparison_group=True, pre_periods=0)
    assert set(DESIGNS) >= {"before_after", "did", "its", "matching", "rct"}


@settings(max_examples=25, deadline=None)
@given(shift=st.floats(-1e3, 1e3), scale=st.floats(0.1, 100))
def test_did_is_equivariant_to_affine_changes_of_the_outcome(shift, scale):
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"d": np.repeat([0, 1], 50), "t": np.tile([0, 1], 50)})
    df["y"] = df["d"] * df["t"] * 2 + rng.normal(size=100)
    base = did(df, "y", "d", "t")
    moved = did(df.assign(y=shift + scale * df["y"]), "y", "d", "t")
    assert moved.estimate == pytest.approx(scale * base.estimate, rel=1e-6, abs=1e-6)
    assert moved.se == pytest.approx(scale * base.se, rel=1e-6)
    assert moved.p_value == pytest.approx(base.p_value, rel=1e-5, abs=1e-12)
