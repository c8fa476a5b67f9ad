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


# --- pinned by hand (mutation testing, issue 17) ---------------------------------------------------


@pytest.fixture
def plain() -> pd.DataFrame:
    """Default column names (person_id, date), no order column; areas housing and money."""
    return pd.DataFrame(
        {
            "person_id": ["q1", "q1", "q2", "q2", "q3", "q3", "q4"],
            "team": ["A", "A", "A", "A", "B", "B", "B"],
            "date": [
                "2024-01-01",
                "2024-01-02",
                "2024-01-01",
                "2024-03-31",
                "2024-01-01",
                "2024-07-01",
                "2024-05-01",
            ],
            "housing": [2, 3, 5, 5, 8, 6, 3],
            "money": [3, 4, 5, 5, 8, 7, 3],
        }
    )


def test_default_columns_by_hand(plain):
    # q1: housing 2 -> 3, money 3 -> 4: overall 2.5 -> 3.5, change exactly +1 over 1 day: 90.
    # q2: no change over 90 days (31 + 29 + 30): rate 0.
    # q3: housing 8 -> 6, money 8 -> 7: overall 8 -> 6.5, change -1.5 over 182 days (2024 is a
    #     leap year: 31 + 29 + 31 + 30 + 31 + 30): rate -1.5 x 90 / 182.
    # q4: one review, left out.
    result = distance_travelled(plain, areas=["housing", "money"])
    assert (result.n_people, result.n_single_review) == (3, 1)
    assert result.mean_first == pytest.approx(15.5 / 3)
    assert result.mean_latest == pytest.approx(5.0)
    assert result.mean_change == pytest.approx(-0.5 / 3)
    # a change of exactly +1 counts as moving up, a change of 0 as neither
    assert result.share_moving_up == pytest.approx(1 / 3)
    assert result.share_deteriorating == pytest.approx(1 / 3)
    assert result.change_per_90_days == pytest.approx((90 + 0 - 1.5 * 90 / 182) / 3)
    people = result.people
    assert list(people.index) == ["q1", "q2", "q3", "q4"]
    assert people["days_in_service"].tolist() == [1, 90, 182, 0]
    assert np.isnan(people.loc["q4", "change"]) and np.isnan(people.loc["q4", "change_housing"])
    assert np.isnan(people.loc["q4", "change_per_90_days"])
    # areas: housing +1, 0, -2; money +1, 0, -1
    expected = pd.DataFrame(
        {
            "n": [3, 3],
            "mean_first": [5.0, 16 / 3],
            "mean_latest": [14 / 3, 16 / 3],
            "mean_change": [-1 / 3, 0.0],
            "share_moving_up": [1 / 3, 1 / 3],
            "share_deteriorating": [1 / 3, 1 / 3],
        },
        index=pd.Index(["housing", "money"], name="area"),
    )
    pd.testing.assert_frame_equal(result.areas, expected)
    assert result.groups is None
    assert result.method == (
        "first-to-latest reading per person over 2 areas; overall = mean of areas; rate = "
        "change x 90 / days between first and latest review"
    )
    assert result.summary() == (
        "Across 3 people with at least two reviews, the average reading fell from 5.2 to 5.0 "
        "(-0.17 points per area, +29.75 per 90 days in service). 33% moved up overall and 33% "
        "moved down. The largest average gain was in money (+0.00). 1 people with a single "
        "review are left out. This is distance travelled, not an impact estimate."
    )


def test_group_table_by_hand(plain):
    # team A: q1 (+1, rate 90) and q2 (0, rate 0); team B: q3 (-1.5) (q4 has one review).
    result = distance_travelled(plain, areas=["housing", "money"], by="team")
    expected = pd.DataFrame(
        {
            "n_people": [2, 1],
            "mean_first": [3.75, 8.0],
            "mean_latest": [4.25, 6.5],
            "mean_change": [0.5, -1.5],
            "share_moving_up": [0.5, 0.0],
            "share_deteriorating": [0.0, 1.0],
            "change_per_90_days": [45.0, -1.5 * 90 / 182],
        },
        index=pd.Index(["A", "B"], name="team"),
    )
    pd.testing.assert_frame_equal(result.groups, expected)
    assert result.people["team"].tolist() == ["A", "A", "B", "B"]


def test_summary_when_the_reading_held_and_rose(plain):
    held = distance_travelled(plain[plain.person_id == "q2"], areas=["housing", "money"])
    assert held.summary() == (
        "Across 1 people with at least two reviews, the average reading held from 5.0 to 5.0 "
        "(+0.00 points per area, +0.00 per 90 days in service). 0% moved up overall and 0% "
        "moved down. The largest average gain was in housing (+0.00). This is distance "
        "travelled, not an impact estimate."
    )
    rose = distance_travelled(plain[plain.person_id == "q1"], areas=["housing", "money"])
    assert rose.summary().startswith(
        "Across 1 people with at least two reviews, the average reading rose from 2.5 to 3.5 "
        "(+1.00 points per area, +90.00 per 90 days"
    )


def test_reviews_on_one_day_have_no_rate():
    # r: two reviews the same day (order 1 then 2), change +2, no rate; s: +1 over one day, 90.
    reviews = pd.DataFrame(
        {
            "person_id": ["r", "r", "s", "s"],
            "date": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02"],
            "n": [1, 2, 1, 2],
            "a": [4, 6, 4, 5],
        }
    )
    result = distance_travelled(reviews, areas=["a"], order="n")
    assert result.people["change"].tolist() == [2.0, 1.0]
    assert np.isnan(result.people.loc["r", "change_per_90_days"])
    assert result.change_per_90_days == 90.0


def test_error_messages_in_full(plain):
    with pytest.raises(
        ParameterError, match=r"^areas must name at least one area column; got an empty list$"
    ):
        distance_travelled(plain, areas=[])
    with pytest.raises(DataError, match=r"missing column\(s\) 'rent' in reviews; expected"):
        distance_travelled(plain, areas=["rent"])
