"""The demo's bids and delivery returns agree with the demo's own records: prices from its
recorded costs, commitments in proportion to the people it served, deterministic."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from evalkit.demo import family_support
from evalkit.demo.social_value import OVER_CLAIMS, demo_bids_and_delivery
from evalkit.social_value import check_measures, illustrative_measures, social_value

PEOPLE = ("domestic_abuse_victim_safe", "rough_sleeping_prevented", "child_maltreatment_prevented")


@pytest.fixture(scope="module")
def demo() -> tuple[family_support.DemoData, pd.DataFrame, pd.DataFrame]:
    data = family_support.generate()
    bids, delivery = demo_bids_and_delivery(data.truth, data.costs)
    return data, bids, delivery


def test_same_seed_same_bids_and_returns(demo):
    data, bids, delivery = demo
    again = demo_bids_and_delivery(data.truth, data.costs)
    pd.testing.assert_frame_equal(again[0], bids)
    pd.testing.assert_frame_equal(again[1], delivery)


def test_prices_follow_the_recorded_costs(demo):
    data, bids, _ = demo
    recorded = data.costs.groupby("locality_code")["amount"].sum()
    prices = bids.groupby(["locality_code", "bidder"], sort=False)["price"].first()
    contract = bids.drop_duplicates("locality_code").set_index("locality_code")["bidder"]
    for (code, bidder), price in prices.items():
        if bidder == contract[code]:  # the contract was let at the recorded cost
            assert price == round(recorded[code], -3)
        else:
            assert 0.9 * recorded[code] - 500 <= price <= 1.2 * recorded[code] + 500


def test_commitments_run_over_the_costed_years_in_proportion_to_people_served(demo):
    data, bids, _ = demo
    for code, info in data.truth["localities"].items():
        years = data.costs.loc[data.costs["locality_code"] == code, "financial_year"].nunique()
        mine = bids[bids["locality_code"] == code]
        assert sorted(mine["year"].unique()) == list(range(years))
        per_bid = mine[mine["measure"].isin(PEOPLE)].groupby(["bidder", "measure"])["quantity"]
        # Nobody commits to help more people over the contract than the service served.
        assert per_bid.sum().max() <= info["n_participants"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = social_value(
            bids, check_measures(illustrative_measures()), financial_year="weighted"
        )
    per_pound = values.bids["gross_per_pound"]
    assert per_pound.between(0.2, 5).all(), per_pound.describe()


def test_delivery_returns_follow_the_winning_bid_and_plant_two_over_claims(demo):
    data, bids, delivery = demo
    winners = bids.drop_duplicates("locality_code").set_index("locality_code")["bidder"]
    assert (delivery["provider"] == delivery["locality_code"].map(winners)).all()
    fys = data.costs.groupby("locality_code")["financial_year"].apply(lambda s: sorted(set(s)))
    for code, rows in delivery.groupby("locality_code"):
        assert sorted(set(rows["period"])) == fys[code]
    won = bids[bids["bidder"] == bids["locality_code"].map(winners)]
    pairs = zip(won["locality_code"], won["year"], strict=True)
    won = won.assign(period=[fys[c][y] for c, y in pairs])
    merged = delivery.merge(won, on=["locality_code", "period", "measure"])
    assert len(merged) == len(delivery) and (merged["committed"] == merged["quantity"]).all()
    served = pd.Series({c: t["n_participants"] for c, t in data.truth["localities"].items()})
    people = delivery[delivery["measure"].isin(PEOPLE)]
    claimed = people.groupby(["locality_code", "measure"])["delivered"].sum()
    over = {(c, m) for (c, m), q in claimed.items() if q > served[c]}
    assert over == {(code, measure) for code, (measure, _, _) in OVER_CLAIMS.items()}
