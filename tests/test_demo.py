"""The demo generator: deterministic, realistic in shape, with the planted effects recoverable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from evalkit import demo
from evalkit.demo import family_support
from evalkit.reference import localities

REQUIRED = {
    "E08000012": "Liverpool",
    "E08000011": "Knowsley",
    "E08000014": "Sefton",
    "E08000015": "Wirral",
    "E10000008": "Devon",
    "E09000028": "Southwark",
    "E06000026": "Plymouth",
}


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(2024)


def test_same_seed_same_data_and_different_seed_differs(data: demo.DemoData) -> None:
    again = demo.generate(2024)
    pd.testing.assert_frame_equal(data.service_users, again.service_users)
    pd.testing.assert_frame_equal(data.reviews, again.reviews)
    other = demo.generate(7)
    assert not data.service_users["wellbeing_start"].equals(other.service_users["wellbeing_start"])


def test_localities_are_real_upper_tier_authorities_including_the_required_ones(data) -> None:
    names = localities().set_index("code")["name"]
    codes = set(data.service_users["locality_code"])
    assert len(codes) >= 12
    assert codes <= set(names.index)
    for code, name in REQUIRED.items():
        assert code in codes and names[code] == name


def test_every_table_has_the_documented_columns(data) -> None:
    people = data.service_users
    for column in (
        "person_id",
        "family_id",
        "group",
        "referral_date",
        "start_date",
        "end_date",
        "age_band",
        "sex",
        "ethnic_group",
        "wellbeing_start",
        "wellbeing_end",
        "stable_housing_before",
        "stable_housing_after",
        "police_callouts_before",
        "ae_attendances_after",
        "social_care_referrals_after",
    ):
        assert column in people.columns
    assert set(people["group"]) == {"participant", "comparison"}
    assert people["wellbeing_start"].between(7, 35).all()
    assert people["wellbeing_end"].dropna().between(7, 35).all()
    assert {f"area_{a}" for a in demo.AREAS} <= set(data.reviews.columns)
    assert data.reviews.filter(like="area_").stack().between(1, 10).all()
    series = data.timeseries
    assert series.groupby("locality_code")["time"].nunique().eq(24).all()
    assert sorted(series.loc[series["programme"], "launch_quarter"].unique()) == [
        "2021Q2",
        "2022Q2",
        "2023Q2",
    ]
    assert set(series.loc[~series["programme"], "locality_code"]) == set(
        family_support.COMPARISON_LOCALITIES
    )
    assert {"what_we_tried", "what_happened", "what_we_learned", "what_we_will_change"} <= set(
        data.reflections.columns
    )


def test_small_locality_is_tiny(data) -> None:
    people = data.service_users
    small = data.truth["small_locality"]
    n = ((people["locality_code"] == small) & (people["group"] == "participant")).sum()
    assert n == data.truth["localities"][small]["n_participants"] < 8


def test_planted_wellbeing_effect_is_recovered_by_difference_in_differences(data) -> None:
    people = data.service_users.dropna(subset=["wellbeing_end"])
    change = (people["wellbeing_end"] - people["wellbeing_start"]).astype(float)
    means = change.groupby([people["locality_code"], people["group"]]).mean().unstack()
    did = means["participant"] - means["comparison"]
    for code, truth in data.truth["localities"].items():
        if truth["n_participants"] < 100:
            continue
        # SE of a difference of two means of change scores with SD ~3.5 and n >= 150 per group
        # is about 3.5 * sqrt(2/150) = 0.40; allow 3 SE.
        assert did[code] == pytest.approx(truth["wellbeing_effect"], abs=1.2), code
    overall_comparison = means["comparison"].mean()
    assert overall_comparison == pytest.approx(data.truth["wellbeing_comparison_change"], abs=0.4)


def test_planted_referral_reduction_shows_after_launch(data) -> None:
    ts = data.timeseries
    liverpool = ts[ts["locality_code"] == "E08000012"]
    rate = liverpool["referrals"] / liverpool["population_0_17"] * 10_000
    before, after = rate[liverpool["post"] == 0].mean(), rate[liverpool["post"] == 1].mean()
    assert after < before
    # A Poisson model of the counts (offset log population, linear time trend, quarter of the
    # year, a step at launch) recovers the planted rate ratio within three standard errors.
    frame = liverpool.assign(q=pd.PeriodIndex(liverpool["quarter"], freq="Q").quarter)
    fit = smf.glm(
        "referrals ~ post + time + C(q)",
        data=frame,
        family=sm.families.Poisson(),
        offset=np.log(frame["population_0_17"]),
    ).fit()
    planted = data.truth["localities"]["E08000012"]["referral_rate_ratio"]  # 0.88
    assert abs(fit.params["post"] - np.log(planted)) < 3 * fit.bse["post"]


def test_write_produces_files_spec_readme_and_truth(tmp_path) -> None:
    spec = demo.write(tmp_path / "demo")
    names = {p.name for p in (tmp_path / "demo").iterdir()}
    assert {
        "service_users.csv",
        "reviews.csv",
        "timeseries.csv",
        "costs.csv",
        "reflections.csv",
        "truth.json",
        "README.md",
        "family-support.yaml",
    } <= names
    assert spec.name == "family-support.yaml"
    truth = json.loads((tmp_path / "demo" / "truth.json").read_text())
    assert truth["localities"]["E08000012"]["name"] == "Liverpool"
    total = sum(p.stat().st_size for p in (tmp_path / "demo").iterdir())
    assert total < 5_000_000  # "a few MB at most"
    readme = (tmp_path / "demo" / "README.md").read_text()
    assert "Liverpool" in readme and "wellbeing effect" in readme


def test_costs_carry_price_year_and_financial_years(data) -> None:
    costs = data.costs
    assert (costs["price_year"] == 2024).all()
    assert costs["financial_year"].str.fullmatch(r"\d{4}/\d{2}").all()
    assert np.all(costs["amount"] > 0)


def test_demo_reflections_exercise_redaction_and_every_role(data) -> None:
    text = data.reflections["what_happened"]
    assert text.str.contains("Sarah Jones").sum() >= 4
    assert text.str.contains("@example.org").any() and text.str.contains("L1 8JQ").any()
    assert data.reflections["role"].nunique() == 5


def test_loaded_demo_reflections_are_redacted_and_shareable(fresh_project) -> None:
    from evalkit.learning import ReflectionStore

    store_path = demo.load_demo_reflections(fresh_project)
    with ReflectionStore(store_path) as store:
        shared = store.shareable()
    assert len(shared) > 0
    for column in ("what_we_tried", "what_happened", "what_we_learned", "what_we_will_change"):
        joined = " ".join(shared[column].astype(str))
        assert "Sarah Jones" not in joined and "07700 900123" not in joined
        assert "sarah.jones@example.org" not in joined and "L1 8JQ" not in joined
    assert not shared["author"].isin(["Alex Morgan", "Priya Shah", "Tom Walsh"]).any()
