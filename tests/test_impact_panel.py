"""stack_pre_post: before/after columns into a person-period panel, checked against frames
written out by hand, and end to end through ``did`` against a 2 x 2 difference in means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, StatisticalWarning
from evalkit.impact import did, stack_pre_post


def _readings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [101, 102, 103, 104, 105],
            "group": ["participant", "participant", "comparison", "comparison", "participant"],
            "before": [10.0, np.nan, 11.0, 13.0, 12.0],
            "after": [14.0, 20.0, 12.0, np.nan, 15.0],
            "note": [None, "b", "c", "d", "e"],  # a gap elsewhere does not drop 101
        }
    )


def test_stacked_frame_by_hand():
    # 102 has no "before" and 104 no "after": both left out. The rest (101, 103, 105) appear
    # once before (post 0) and once after (post 1), in their original order; treated is 1 where
    # group == "participant". Columns not named (note) are dropped.
    got = stack_pre_post(_readings(), "before", "after")
    want = pd.DataFrame(
        {
            "person_id": [101, 103, 105, 101, 103, 105],
            "group": ["participant", "comparison", "participant"] * 2,
            "treated": [1, 0, 1, 1, 0, 1],
            "post": [0, 0, 0, 1, 1, 1],
            "y": [10.0, 11.0, 12.0, 14.0, 12.0, 15.0],
        }
    )
    pd.testing.assert_frame_equal(got, want)
    assert got.index.tolist() == list(range(6))


def test_names_of_group_label_person_and_outcome_are_honoured():
    df = _readings().rename(columns={"person_id": "nhs_no", "group": "arm"})
    df["arm"] = df["arm"].map({"participant": "service", "comparison": "usual care"})
    got = stack_pre_post(
        df, "before", "after", group="arm", treated="service", person="nhs_no", outcome="score"
    )
    assert got.columns.tolist() == ["nhs_no", "arm", "treated", "post", "score"]
    assert got["treated"].tolist() == [1, 0, 1, 1, 0, 1]
    assert got["arm"].tolist() == ["service", "usual care", "service"] * 2
    assert got["nhs_no"].tolist() == [101, 103, 105] * 2
    assert got["score"].tolist() == [10.0, 11.0, 12.0, 14.0, 12.0, 15.0]
    # The default label "participant" matches nobody here: everybody is untreated.
    nobody = stack_pre_post(df, "before", "after", group="arm", person="nhs_no")
    assert nobody["treated"].tolist() == [0] * 6


def test_whole_number_readings_become_floats_and_flags_integers():
    df = pd.DataFrame(
        {"person_id": ["a", "b"], "group": ["participant", "x"], "pre": [3, 4], "post": [5, 9]}
    )
    got = stack_pre_post(df, "pre", "post")
    assert got["y"].dtype == np.float64
    assert got["y"].tolist() == [3.0, 4.0, 5.0, 9.0]
    assert got["treated"].dtype == int and got["post"].dtype.kind == "i"
    assert got["treated"].tolist() == [1, 0, 1, 0]
    assert got["post"].tolist() == [0, 0, 1, 1]


def test_text_readings_are_converted_to_float():
    df = pd.DataFrame(
        {"person_id": [1], "group": ["participant"], "pre": ["2.5"], "post": ["4"]}, dtype=object
    )
    got = stack_pre_post(df, "pre", "post")
    assert got["y"].tolist() == [2.5, 4.0] and got["y"].dtype == np.float64


def test_a_missing_column_is_named():
    df = _readings()
    with pytest.raises(
        DataError, match=r"^missing column\(s\) 'later' in stack_pre_post\(\); expected them"
    ):
        stack_pre_post(df, "before", "later")
    with pytest.raises(DataError, match=r"^missing column\(s\) 'id' in stack_pre_post\(\);"):
        stack_pre_post(df, "before", "after", person="id")
    with pytest.raises(DataError, match=r"^missing column\(s\) 'arm' in stack_pre_post\(\);"):
        stack_pre_post(df, "before", "after", group="arm")
    with pytest.raises(DataError, match=r"^missing column\(s\) 'pre' in stack_pre_post\(\);"):
        stack_pre_post(df, "pre", "after")


def test_end_to_end_did_is_the_two_by_two_difference_in_means():
    # Participants (p1..p3) before 10, 12, 14 (mean 12), after 15, 19, 17 (mean 17): +5.
    # Comparison (c1..c3) before 11, 13, 9 (mean 11), after 12, 15, 12 (mean 13): +2.
    # p4 has no "before" reading and is left out (else the participants' after-mean would
    # jump). DiD = 5 - 2 = 3 (Angrist and Pischke 2009, section 5.2: (T1 - T0) - (C1 - C0)).
    df = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3", "p4", "c1", "c2", "c3"],
            "group": ["participant"] * 4 + ["comparison"] * 3,
            "pre": [10.0, 12, 14, np.nan, 11, 13, 9],
            "post": [15.0, 19, 17, 100, 12, 15, 12],
        }
    )
    panel = stack_pre_post(df, "pre", "post")
    assert len(panel) == 12
    with pytest.warns(StatisticalWarning, match="only 6 clusters in 'person_id'"):
        res = did(panel, "y", "treated", "post", cluster="person_id")
    assert res.estimate == pytest.approx(3.0, abs=1e-12)
    assert res.n == 12
