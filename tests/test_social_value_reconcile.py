"""Delivery claims checked against what the evaluation measured (people served), with the counts
in sentences passing disclosure control."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd

from evalkit.exceptions import EvidenceWarning
from evalkit.social_value import check_claims, delivery_against_commitments

MEASURES = pd.DataFrame(
    {
        "theme": ["Safety", "Housing", "Families", "Children", "Wellbeing"],
        "outcome": [
            "A person helped to safety",
            "A person kept housed for a year",
            "A family helped",
            "A child kept safe",
            "One WELLBY",
        ],
        "measure": ["helped", "housed", "family", "child", "wellby"],
        "unit": ["person", "person-year", "family", "child", "WELLBY"],
        "proxy_value": [1_000, 1_000, 1_000, 1_000, 13_000],
        "price_year": ["2024"] * 4 + ["2019"],
        "source": ["Made up for this test"] * 5,
        "licence": ["none (test)"] * 5,
    }
)


def _delivery(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contract": "C",
            "period": [p for p, _, _ in rows],
            "measure": [m for _, m, _ in rows],
            "committed": [q for _, _, q in rows],
            "delivered": [q for _, _, q in rows],
            "evidence": "evidenced",
        }
    )


def _served(n_2023: int, n_2024: int, households: int | None = None) -> pd.DataFrame:
    """People served: n_2023 starting in June 2023, n_2024 in June 2024."""
    n = n_2023 + n_2024
    starts = [dt.date(2023, 6, 1)] * n_2023 + [dt.date(2024, 6, 1)] * n_2024
    out = pd.DataFrame({"person_id": [f"P{i}" for i in range(n)], "start_date": starts})
    if households:
        out["household_id"] = [f"H{i % households}" for i in range(n)]
    return out


def _check(rows, served, policy="nhs"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)
        delivery = delivery_against_commitments(_delivery(rows), MEASURES)
    return check_claims(delivery, served, area="Testshire", policy=policy)


def test_people_claimed_over_the_contract_are_set_against_people_served_to_date():
    # 300 + 120 claimed to 31 March 2025 = 420 against 200 + 110 = 310 served by then.
    check = _check([("2023/24", "helped", 300), ("2024/25", "helped", 120)], _served(200, 110))
    (row,) = check.table.itertuples()
    assert (row.claimed, row.measured, row.exceeds) == (420, 310, True)
    assert row.up_to == dt.date(2025, 3, 31) and row.period == "to date"
    (flag,) = check.flags()
    # "about" under a rounding policy, even for multiples of 5 (an exact count never shows)
    assert (
        "the provider claims about 420 people for the outcome 'A person helped to safety'" in flag
    )
    assert "the service records about 310 people served in Testshire by then" in flag
    assert "up to 31 March 2025" in flag


def test_claims_within_people_served_are_not_flagged():
    check = _check([("2023/24", "helped", 150), ("2024/25", "helped", 150)], _served(200, 110))
    assert not check.table["exceeds"].any() and check.flags() == []
    assert "Claims within what the evaluation measured: 'A person helped to safety'." in (
        check.summary()
    )


def test_person_years_are_checked_year_by_year_against_people_served_by_each_year_end():
    # 2023/24: 250 person-years against the 200 served by 31 March 2024 -> flagged;
    # 2024/25: 300 against the 310 served by 31 March 2025 -> fine (a person counts once a year).
    check = _check([("2023/24", "housed", 250), ("2024/25", "housed", 300)], _served(200, 110))
    table = check.table.set_index("period")
    assert table.loc["2023/24", ["claimed", "measured", "exceeds"]].tolist() == [250, 200, True]
    assert table.loc["2024/25", ["claimed", "measured", "exceeds"]].tolist() == [300, 310, False]
    (flag,) = check.flags()
    assert "250 person-years" in flag and "in 2023/24, up to 31 March 2024" in flag


def test_families_are_checked_against_households_and_children_are_not_checked():
    check = _check(
        [("2024/25", "family", 120), ("2024/25", "child", 999), ("2024/25", "wellby", 50)],
        _served(200, 110, households=100),
    )
    (row,) = check.table.itertuples()
    assert (row.compared_with, row.claimed, row.measured, row.exceeds) == (
        "households served",
        120,
        100,
        True,
    )
    assert dict(check.unchecked) == {
        "A child kept safe": "the evaluation records the people served, not their children",
        "One WELLBY": "not a count of people",
    }
    no_households = _check([("2024/25", "family", 120)], _served(200, 110))
    assert no_households.table.empty
    assert "does not record which people share a household" in no_households.summary()


def test_small_counts_are_never_shown_in_the_flags():
    # 6 people served and 12 claimed: NHS rules suppress 1-7 and round the rest to 5.
    check = _check([("2024/25", "helped", 12)], _served(0, 6))
    (flag,) = check.flags()
    assert "claims about 10 people" in flag and "records fewer than 8 people served" in flag
    assert " 6 " not in flag and " 12 " not in flag and "%" not in flag
    dfe = _check([("2024/25", "helped", 12)], _served(0, 4), policy="dfe")  # DfE: 1-5, exact
    assert "claims 12 people" in dfe.flags()[0] and "fewer than 6" in dfe.flags()[0]


def test_people_who_started_after_the_period_do_not_count_for_it():
    # 200 started by March 2024; the 110 who started in June 2024 do not count for 2023/24.
    check = _check([("2023/24", "helped", 250)], _served(200, 110))
    assert check.table.iloc[0][["measured", "exceeds"]].tolist() == [200, True]


def test_people_without_start_dates_all_count():
    served = _served(200, 110).drop(columns="start_date")
    check = _check([("2023/24", "helped", 250)], served)
    assert check.table.iloc[0][["measured", "exceeds"]].tolist() == [310, False]
