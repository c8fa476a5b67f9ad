"""Maryland Scientific Methods Scale ratings: every level's reasons and advice, word for word.

Levels after Sherman et al. (1997) as scored by the What Works Centre for Local Economic Growth
(Madaleno and Waights 2015, Guide to scoring methods using the Maryland Scientific Methods
Scale): 1 before/after or cross-section with no controls; 2 controls or matching (or a single
ITS, whose pre-trend is the control); 3 comparison group before and after; 4 quasi-random
variation; 5 randomised. The sentences are evalkit's user-facing text, pinned here.
"""

from __future__ import annotations

import pytest

from evalkit.exceptions import ParameterError
from evalkit.impact import evidence_rating

RAISE_TO_4 = (
    "find quasi-random variation in who was served (an eligibility threshold, a waiting list or "
    "a lottery), or randomise"
)
NETTED = (
    "a comparison group is observed before and after, so change that would have happened "
    "anyway is netted off"
)


@pytest.mark.parametrize(
    ("kwargs", "level", "reasons", "to_raise"),
    [
        (
            {"design": "rct"},
            5,
            (
                "the design is a randomised controlled trial",
                "who received the service was decided at random",
            ),
            (),
        ),
        (
            {"design": "regression_discontinuity"},
            4,
            (
                "the design is a regression discontinuity",
                "receipt of the service varies for reasons as good as random",
            ),
            ("randomise who receives the service",),
        ),
        (
            {"design": "did", "comparison_group": True, "pre_periods": 1},
            3,
            (
                "the design is a difference-in-differences comparison",
                NETTED,
                "pre-period trends were not tested",
            ),
            (RAISE_TO_4,),
        ),
        (
            {
                "design": "did",
                "comparison_group": True,
                "pre_periods": 2,
                "parallel_trends_checked": True,
            },
            3,
            ("the design is a difference-in-differences comparison", NETTED),
            (RAISE_TO_4,),
        ),
        (
            {"design": "its", "comparison_group": True, "pre_periods": 5},
            3,
            ("the design is an interrupted time series", NETTED),
            (RAISE_TO_4,),
        ),
        (
            {"design": "its", "pre_periods": 3},
            2,
            (
                "the design is an interrupted time series",
                "the trend over 3 pre-period points stands in for what would have happened, but "
                "there is no comparison series",
            ),
            ("add a comparison series that did not receive the service",),
        ),
        (
            {"design": "matching", "comparison_group": True, "controls": True},
            2,
            (
                "the design is a comparison with matched unserved people",
                "served people are compared with similar unserved people, but only on what was "
                "measured",
            ),
            ("observe the comparison group before and after the service as well",),
        ),
        (
            {"design": "cross_section", "comparison_group": True},
            1,
            (
                "the design is a comparison of served and unserved people after the service",
                "the comparison does not control for other differences",
            ),
            ("add a comparison group observed before and after (difference-in-differences)",),
        ),
        (
            {"design": "before_after"},
            1,
            (
                "the design is a before/after comparison of the people served",
                "there is no comparison group, so this is not an impact estimate",
            ),
            ("add a comparison group observed before and after (difference-in-differences)",),
        ),
        (
            {"design": "its", "pre_periods": 2},  # too short a pre-period for level 2
            1,
            (
                "the design is an interrupted time series",
                "there is no comparison group, so this is not an impact estimate",
            ),
            ("add a comparison group observed before and after (difference-in-differences)",),
        ),
    ],
)
def test_rating_wording(kwargs, level, reasons, to_raise):
    rating = evidence_rating(**kwargs)
    assert (rating.level, rating.reasons, rating.to_raise) == (level, reasons, to_raise)
    assert rating.design == kwargs["design"]
    text = rating.summary()
    assert text.startswith(
        f"This is a level-{level} design on the Maryland Scientific Methods Scale "
        f"({rating.meaning}): {'; '.join(reasons)}."
    )
    assert text.endswith(f" To raise it: {'; '.join(to_raise)}." if to_raise else ".")
    row = rating.to_dict()
    assert row["reasons"] == "; ".join(reasons) and row["to_raise"] == "; ".join(to_raise)
    assert row["level"] == level


def test_default_pre_periods_and_bad_values():
    # no pre-periods by default: a DiD without them is refused, naming what it got
    with pytest.raises(
        ParameterError,
        match=r"^design 'did' needs comparison_group=True and pre_periods >= 1; got "
        r"comparison_group=True, pre_periods=0$",
    ):
        evidence_rating("did", comparison_group=True)
    with pytest.raises(
        ParameterError, match=r"^pre_periods must be a whole number >= 0; got 1\.5$"
    ):
        evidence_rating("its", pre_periods=1.5)
    with pytest.raises(ParameterError, match=r"^pre_periods must be a whole number >= 0; got -1$"):
        evidence_rating("its", pre_periods=-1)
