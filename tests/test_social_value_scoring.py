"""Bid scoring: proportional points, lowest-price points, combined scores and the sensitivity of
the ranking to the social value weighting. Golden figures worked by hand in each test."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.exceptions import ParameterError
from evalkit.social_value import (
    SocialValueWeightingWarning,
    combined_scores,
    lowest_price_scores,
    proportional_scores,
    weighting_sensitivity,
)

WEIGHTS = {"price": 0.5, "quality": 0.4, "social_value": 0.1}
BIDS = pd.DataFrame(
    {
        "tender": ["T1", "T1"],
        "bidder": ["A", "B"],
        "price": [1_000_000, 1_250_000],
        "quality": [70, 80],
        "gross_social_value": [100_000, 150_000],
        "net_social_value": [90_000, 60_000],
    }
)


# --- proportional scoring --------------------------------------------------------------------


def test_proportional_scores_by_hand():
    # Best value 200,000 gets the 10 points; 150,000 gets 10 x 150/200 = 7.5; zero gets 0.
    r = proportional_scores({"A": 200_000, "B": 150_000, "C": 0}, 10)
    assert r.points.to_dict() == {"A": 10.0, "B": 7.5, "C": 0.0}
    assert r.best == 200_000 and r.note == ""
    assert "max points x value / best value" in r.summary()
    assert r.to_frame().loc["B", "points"] == 7.5


def test_ties_get_equal_points():
    r = proportional_scores([5, 5, 2.5], 10)
    assert r.points.tolist() == [10.0, 10.0, 5.0]


def test_all_zero_bids_score_zero_with_a_note():
    r = proportional_scores({"A": 0, "B": 0}, 10)
    assert r.points.tolist() == [0.0, 0.0]
    assert "Every bid offers zero" in r.note and "no best bid" in r.summary()


def test_negative_missing_and_bad_max_points_refused():
    with pytest.raises(
        ParameterError, match=r"values\['B'\] is -5.00, negative; expected values >= 0"
    ):
        proportional_scores({"A": 10, "B": -5}, 10)
    with pytest.raises(ParameterError, match=r"values\[1\] is 'lots'; expected a number"):
        proportional_scores([1, "lots"], 10)
    with pytest.raises(ParameterError, match=r"max_points must lie in \(0"):
        proportional_scores([1, 2], 0)
    with pytest.raises(ParameterError, match="at least one bid"):
        proportional_scores([], 10)


@given(
    # Zero or ordinary amounts: subnormal floats (5e-324) lose precision when scaled.
    st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e9)), min_size=1, max_size=12),
    st.floats(0.5, 100),
    st.floats(0.01, 1e3),
)
def test_proportional_properties(values, max_points, scale):
    r = proportional_scores(values, max_points)
    pts = r.points
    assert ((pts >= 0) & (pts <= max_points * (1 + 1e-12))).all()
    if max(values) > 0:
        assert pts.max() == pytest.approx(max_points)
        # Order is kept, and scaling every value by the same factor changes no points.
        assert all(
            pts.iloc[i] <= pts.iloc[j] + 1e-9
            for i in range(len(values))
            for j in range(len(values))
            if values[i] <= values[j]
        )
        scaled = proportional_scores([v * scale for v in values], max_points).points
        assert scaled.tolist() == pytest.approx(pts.tolist(), abs=1e-9)
    else:
        assert (pts == 0).all()


def test_lowest_price_scores_best():
    # 50 x lowest / price: 50 x 1.0m / 1.0m = 50; 50 x 1.0m / 1.25m = 40.
    pts = lowest_price_scores(pd.Series([1_000_000, 1_250_000], index=["A", "B"]), 50)
    assert pts.to_dict() == {"A": 50.0, "B": 40.0}
    with pytest.raises(ParameterError, match=r"prices\['B'\] is 0; expected a price > 0"):
        lowest_price_scores({"A": 1, "B": 0}, 50)


# --- combined scores -------------------------------------------------------------------------


def test_combined_scores_by_hand():
    # Weights price 0.5, quality 0.4, social value 0.1 (out of 100):
    # A: price 50 x 1.0/1.0 = 50; quality 40 x 70/100 = 28; social value 10 x 100k/150k = 6.667
    #    total 84.667
    # B: price 50 x 1.0/1.25 = 40; quality 40 x 80/100 = 32; social value 10 -> total 82.0
    r = combined_scores(BIDS, WEIGHTS)
    t = r.to_frame().set_index("bidder")
    assert t.at["A", "total"] == pytest.approx(50 + 28 + 10 * 100 / 150)
    assert t.at["B", "total"] == pytest.approx(40 + 32 + 10)
    assert t["rank"].to_dict() == {"A": 1, "B": 2}
    text = r.summary()
    assert "A ranks first with 84.7 of 100 points" in text
    assert "lowest price scores best" in text and "gross" in text


def test_combined_scores_on_net_value():
    # Net: A 90k is best -> 10 points; B 60k -> 10 x 60/90 = 6.667. A: 50+28+10 = 88.
    r = combined_scores(BIDS, WEIGHTS, basis="net")
    t = r.table.set_index("bidder")
    assert t.at["A", "total"] == pytest.approx(88.0)
    assert t.at["B", "total"] == pytest.approx(40 + 32 + 10 * 60 / 90)
    assert "on net social value" in r.summary()


def test_ties_share_a_rank_and_tenders_are_scored_separately():
    bids = pd.concat(
        [
            BIDS,
            BIDS.assign(
                tender="T2",
                bidder=["C", "D"],
                price=[1e6, 1e6],
                quality=[50, 50],
                gross_social_value=[1, 1],
            ),
        ]
    )
    t = combined_scores(bids, WEIGHTS).table.set_index("bidder")
    assert t.at["C", "rank"] == t.at["D", "rank"] == 1
    assert t.at["A", "rank"] == 1  # A competes only with B
    assert "C and D tie for first place" in combined_scores(bids, WEIGHTS).summary()


def test_all_zero_social_value_in_combined_scores_is_noted():
    r = combined_scores(BIDS.assign(gross_social_value=[0, 0]), WEIGHTS)
    assert (r.table["social_value_points"] == 0).all()
    assert any("Every bid offers zero" in n for n in r.notes)


def test_weights_must_sum_to_one_naming_them():
    with pytest.raises(ParameterError) as err:
        combined_scores(BIDS, {"price": 0.6, "quality": 0.3, "social_value": 0.2})
    msg = str(err.value)
    assert (
        "weights must sum to 1" in msg and "price 0.6 + quality 0.3 + social_value 0.2 = 1.1" in msg
    )
    with pytest.raises(
        ParameterError,
        match=r"weights must give exactly price, quality, social_value; got \['price', 'quality'\]",
    ):
        combined_scores(BIDS, {"price": 0.6, "quality": 0.4})
    with pytest.raises(
        ParameterError, match=r"weights\['quality'\] must lie in \[0.0, 1.0\]; got -0.1"
    ):
        combined_scores(BIDS, {"price": 1.0, "quality": -0.1, "social_value": 0.1})


def test_weighting_below_ten_per_cent_warns_citing_ppn_002():
    with pytest.warns(SocialValueWeightingWarning) as record:
        r = combined_scores(BIDS, {"price": 0.55, "quality": 0.4, "social_value": 0.05})
    msg = str(record[0].message)
    assert msg in r.summary()  # the report states it too
    assert "5%" in msg and "PPN 002" in msg and "Procurement Act 2023" in msg and "10%" in msg
    with warnings.catch_warnings():
        warnings.simplefilter("error", SocialValueWeightingWarning)
        combined_scores(BIDS, WEIGHTS)  # exactly 10%: no warning


def test_net_basis_refused_when_a_bid_has_no_net_value():
    with pytest.raises(
        ParameterError, match=r"basis='net' needs net_social_value for every bid; 'B'"
    ):
        combined_scores(BIDS.assign(net_social_value=[1.0, None]), WEIGHTS, basis="net")


def test_quality_outside_its_range_is_refused():
    with pytest.raises(
        ParameterError, match=r"quality of 'B' is 120; expected a score from 0 to quality_max=100"
    ):
        combined_scores(BIDS.assign(quality=[70, 120]), WEIGHTS)


# --- sensitivity of the ranking --------------------------------------------------------------


def test_sensitivity_switch_point_by_hand():
    # At social value weight s, price and quality share 1 - s in the ratio 5:4.
    # A - B = 100(1-s)[(5/9)(1 - 0.8) + (4/9)(0.7 - 0.8)] + 100 s (2/3 - 1)
    #       = 100(1-s)(0.06/0.9) - 33.33 s, which is zero at s = 6.667 / 40 = 0.1667.
    # So A leads at 5%, 10%, 15% and B at 20%, 25%, 30% on gross value.
    r = weighting_sensitivity(BIDS, WEIGHTS)
    gross = r.winners[r.winners["basis"] == "gross"].set_index("social_value_weight")["winner"]
    assert gross.to_dict() == {0.05: "A", 0.10: "A", 0.15: "A", 0.2: "B", 0.25: "B", 0.3: "B"}
    # On net value A also offers the most social value, so A leads at every weighting.
    net = r.winners[r.winners["basis"] == "net"]["winner"]
    assert set(net) == {"A"}
    at30 = r.table[(r.table["basis"] == "gross") & (r.table["social_value_weight"] == 0.3)]
    totals = at30.set_index("bidder")["total"]
    assert totals["A"] == pytest.approx(70 * 5 / 9 + 70 * 4 / 9 * 0.7 + 30 * 2 / 3)
    text = r.summary()
    assert (
        "on gross social value: the leading bid changes with the weighting: A at 5% to 15%, B at 20% to 30%"
        in text
    )
    assert "on net social value: A ranks first at every weighting tested (5% to 30%)" in text


def test_sensitivity_skips_net_when_not_assessed():
    r = weighting_sensitivity(BIDS.drop(columns="net_social_value"), WEIGHTS)
    assert set(r.table["basis"]) == {"gross"}
    assert "No net social value for every bid, so net was not tested" in r.summary()


@given(
    st.lists(
        st.tuples(st.floats(1e4, 1e7), st.floats(0, 100), st.floats(0, 1e7)), min_size=1, max_size=6
    ),
    st.floats(0.1, 0.5),
)
@settings(max_examples=40, deadline=None)
def test_combined_score_properties(bids, sv_weight):
    table = pd.DataFrame(bids, columns=["price", "quality", "gross_social_value"])
    table["bidder"] = [f"B{i}" for i in range(len(table))]
    w = {"price": (1 - sv_weight) / 2, "quality": (1 - sv_weight) / 2, "social_value": sv_weight}
    t = combined_scores(table, w).table
    assert ((t["total"] >= 0) & (t["total"] <= 100 + 1e-9)).all()
    cheapest = t["price"] == t["price"].min()
    assert t.loc[cheapest, "price_points"].to_numpy() == pytest.approx(100 * w["price"])
    assert t["rank"].min() == 1 and t.loc[t["total"].idxmax(), "rank"] == 1
