"""Distance travelled on multi-area tools."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError
from evalkit.outcomes import distance_travelled

AREAS = ["area_a", "area_b"]
COLUMNS = {"date": "review_date", "order": "review_number"}


@pytest.fixture
def reviews() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["p1", "p1", "p1", "p2", "p2", "p3"],
            "locality_code": ["E1", "E1", "E1", "E2", "E2", "E2"],
            "review_number": [1, 2, 3, 1, 2, 1],
            "review_date": [
                "2024-01-01",
                "2024-03-01",
                "2024-06-29",
                "2024-01-01",
                "2024-04-01",
                "2024-02-01",
            ],
            "area_a": [3, 5, 7, 6, 4, 5],
            "area_b": [4, np.nan, 6, 6, 6, 5],
        }
    )


def test_first_to_latest_by_hand(reviews):
    result = distance_travelled(reviews, areas=AREAS, **COLUMNS)
    people = result.people
    # p1: area_a 3 -> 7 (+4), area_b 4 -> 6 (+2); overall 3.5 -> 6.5 (+3) over 180 days
    assert people.loc["p1", "change"] == pytest.approx(3.0)
    assert people.loc["p1", "days_in_service"] == 180
    assert people.loc["p1", "change_per_90_days"] == pytest.approx(1.5)
    # p2: area_a 6 -> 4 (-2), area_b 6 -> 6; overall -1 over 91 days
    assert people.loc["p2", "change"] == pytest.approx(-1.0)
    assert result.n_people == 2 and result.n_single_review == 1
    assert result.mean_change == pytest.approx(1.0)
    assert result.share_moving_up == 0.5 and result.share_deteriorating == 0.5
    assert result.change_per_90_days == pytest.approx((1.5 + -90 / 91) / 2)
    assert result.areas.loc["area_a", "mean_change"] == pytest.approx(1.0)
    assert result.areas.loc["area_b", "share_moving_up"] == 0.5


def test_order_column_wins_over_row_order(reviews):
    shuffled = reviews.sample(frac=1, random_state=3)
    assert distance_travelled(shuffled, areas=AREAS, **COLUMNS).mean_change == pytest.approx(1.0)


def test_by_group_table(reviews):
    result = distance_travelled(reviews, areas=AREAS, by="locality_code", **COLUMNS)
    assert result.groups.loc["E1", "mean_change"] == pytest.approx(3.0)
    assert result.groups.loc["E2", "n_people"] == 1


def test_summary_plain_english(reviews):
    text = distance_travelled(reviews, areas=AREAS, **COLUMNS).summary()
    assert "per 90 days" in text and "not an impact estimate" in text
    assert "1 people with a single review" in text


def test_bad_input(reviews):
    with pytest.raises(DataError, match=r"missing column.*'area_z'"):
        distance_travelled(reviews, areas=["area_a", "area_z"], **COLUMNS)
    with pytest.raises(ParameterError, match=r"at least one area"):
        distance_travelled(reviews, areas=[], **COLUMNS)
    bad = reviews.assign(area_a=reviews["area_a"].astype(object))
    bad.loc[2, "area_a"] = "good"
    with pytest.raises(DataError, match=r"column 'area_a' in reviews, row 2: value 'good'"):
        distance_travelled(bad, areas=AREAS, **COLUMNS)
    high = reviews.assign(area_b=[4, 11, 6, 6, 6, 5])
    with pytest.raises(DataError, match=r"row 1: value 11.0 is outside the scale; expected 1 to"):
        distance_travelled(high, areas=AREAS, **COLUMNS)
    dates = reviews.assign(
        review_date=["2024-01-01", "soon", "2024-06-29", "2024-01-01", "2024-04-01", "2024-02-01"]
    )
    with pytest.raises(DataError, match=r"review_date.*row 1: value 'soon' is not a date"):
        distance_travelled(dates, areas=AREAS, **COLUMNS)
    with pytest.raises(DataError, match=r"no person in reviews has two or more"):
        distance_travelled(reviews[reviews.review_number == 1], areas=AREAS, **COLUMNS)
    with pytest.raises(DataError, match=r"every reading in the area columns"):
        distance_travelled(reviews.assign(area_a=np.nan, area_b=np.nan), areas=AREAS, **COLUMNS)
