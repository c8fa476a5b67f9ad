"""Findings follow the plan: designs chosen per outcome, the eligible population as declared.

On the demo (Family Support) with its spec changed as a user would change it: a matched
comparison, an eligible population from a file, outcomes limited to some designs, readings
compared on named occasions. Planted truths come from ``truth.json`` beside the demo data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evalkit.config import load_spec
from evalkit.exceptions import ConfigError, DataError
from evalkit.intake import prepare
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import compute_findings

LIVERPOOL = "E08000012"


def _edited(spec_path: Path, change) -> Path:
    raw = yaml.safe_load(spec_path.read_text())
    change(raw)
    raw.pop("cost_benefit", None)  # value for money is not what most tests here are about
    raw.pop("sensitivity", None)
    spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return spec_path


def _findings(spec_path: Path, locality: str = LIVERPOOL):
    spec = load_spec(spec_path)
    prepare(spec)
    return compute_findings(ReportContext(spec=spec, locality=locality, period=""))


def test_the_strongest_usable_design_is_chosen_per_outcome(fresh_project: Path) -> None:
    f = _findings(fresh_project)
    truth = json.loads((fresh_project.parent / "truth.json").read_text())["localities"][LIVERPOOL]
    wellbeing = f.outcomes["Wellbeing"]
    assert wellbeing.design == "comparison_group" and wellbeing.evidence_level == 3
    assert wellbeing.impact.ci_low <= truth["wellbeing_effect"] <= wellbeing.impact.ci_high
    housing = f.outcomes["Stable housing"]
    assert housing.impact.ci_low <= truth["housing_effect"] <= housing.impact.ci_high
    referrals = f.outcomes["Referrals to children's social care"]
    assert referrals.design == "never_treated" and referrals.impact.scale == "rate ratio"
    assert referrals.impact.ci_low <= truth["referral_rate_ratio"] <= referrals.impact.ci_high
    # limited by the plan to before/after: change only, never impact
    school = f.outcomes["School attendance of 90% or more"]
    assert school.design == "before_after" and school.impact is None
    assert school.change is not None  # McNemar on the paired yes/no readings
    distance = f.outcomes["Distance travelled"]
    assert distance.distance is not None and distance.impact is None


def test_a_matched_comparison_is_level_2_and_used_when_it_is_the_strongest(fresh_project) -> None:
    def change(raw):
        raw["designs"]["matching"] = {"covariates": ["age_band", "sex", "ethnic_group"]}
        raw["outcomes"][0]["designs"] = ["before_after", "matching"]

    f = _findings(_edited(fresh_project, change))
    housing = f.outcomes["Stable housing"]
    assert housing.design == "matching" and housing.evidence_level == 2
    assert "matching" in housing.impact.method.lower()
    assert f.outcomes["Wellbeing"].design == "comparison_group"  # not limited: still level 3


def test_a_planned_design_that_cannot_be_used_is_named_with_the_reason(fresh_project) -> None:
    def drop_comparison_readings(raw):
        raw["designs"]["time_series"] = True

    spec_path = _edited(fresh_project, drop_comparison_readings)
    data = fresh_project.parent / "service_users.csv"
    people = pd.read_csv(data, dtype=str)
    comparison = people["group"] == "comparison"
    people.loc[comparison & (people["locality_code"] == LIVERPOOL), "wellbeing_end"] = ""
    people.to_csv(data, index=False)
    f = _findings(spec_path)
    wellbeing = f.outcomes["Wellbeing"]
    assert wellbeing.design == "before_after" and wellbeing.impact is None
    (note,) = wellbeing.not_used
    assert note.design == "comparison_group" and note.level == 3
    assert "fewer than 20 people in the comparison group here have a reading" in note.reason


def test_the_eligible_population_can_come_from_a_file(fresh_project: Path) -> None:
    counts = fresh_project.parent / "eligible.csv"
    counts.write_text(
        "locality,characteristic,category,count\n"
        "Liverpool,Sex,Female,5000\nLiverpool,Sex,Male,4000\n"
        "E08000011,Sex,Female,900\nE08000011,Sex,Male,700\n"
    )

    def change(raw):
        raw["eligible"] = {
            "source": "file",
            "file": str(counts.relative_to(fresh_project.parents[3])),
            "description": "the council's count of families eligible for early help",
        }

    f = _findings(_edited(fresh_project, change))
    sex = f.reach[f.reach["subgroup"] == "Sex"].set_index("group")
    assert f.eligible_source == "file"
    assert sex.loc["Female", "eligible"] == 5000 and sex.loc["Male", "eligible"] == 4000
    assert sex.loc["Female", "share_eligible"] == pytest.approx(5000 / 9000)
    age = f.reach[f.reach["subgroup"] == "Age band"]
    assert age["eligible"].isna().all() or (age["eligible"] == 0).all()  # not in the file


def test_without_an_eligible_population_the_reach_table_has_none(fresh_project: Path) -> None:
    def change(raw):
        raw["eligible"] = {"source": "none"}

    f = _findings(_edited(fresh_project, change))
    assert f.eligible_source == "none" and f.reach["eligible"].isna().all()


def test_readings_are_compared_on_named_occasions(fresh_project: Path) -> None:
    def change(raw):
        raw["outcomes"].append(
            {
                "name": "Housing area",
                "definition": "The key worker's rating of housing, first and second review",
                "kind": "scale",
                "source": "reviews",
                "column": "area_housing",
                "before": "1",
                "after": "2",
                "range": [1, 10],
                "designs": ["before_after"],
            }
        )

    f = _findings(_edited(fresh_project, change))
    housing = f.outcomes["Housing area"]
    reviews = pd.read_csv(fresh_project.parent / "reviews.csv")
    mine = reviews[reviews["locality_code"] == LIVERPOOL].pivot_table(
        index="person_id", columns="review_number", values="area_housing"
    )
    both = mine[[1, 2]].dropna()
    assert housing.change.n == len(both)
    assert housing.change.estimate == pytest.approx((both[2] - both[1]).mean())


@pytest.mark.parametrize("code", ["W06000015", "S12000036", "N09000003", "E07000041"])
def test_any_uk_local_authority_code_is_accepted_with_its_name(fresh_project, code) -> None:
    def change(raw):
        raw["localities"] = {LIVERPOOL: None, code: "A council"}
        raw["launches"] = {LIVERPOOL: raw["launches"][LIVERPOOL], code: "2022-04-01"}

    spec = load_spec(_edited(fresh_project, change))
    assert spec.locality_name(code) == "A council" and spec.locality_name(LIVERPOOL) == "Liverpool"


def test_a_code_that_is_no_code_is_refused(fresh_project: Path) -> None:
    def change(raw):
        raw["localities"] = {"not a code!": "Somewhere"}

    with pytest.raises(
        ConfigError, match=r"localities.not a code!: expected an ONS local authority"
    ):
        load_spec(_edited(fresh_project, change))


def _long_wellbeing(spec_path: Path) -> Path:
    """The demo's wellbeing readings as a long questionnaire export, both groups."""
    people = pd.read_csv(spec_path.parent / "service_users.csv")
    long = people.melt(
        id_vars=["person_id"],
        value_vars=["wellbeing_start", "wellbeing_end"],
        var_name="Occasion",
        value_name="Score",
    ).dropna(subset=["Score"])
    long["Occasion"] = long["Occasion"].map({"wellbeing_start": "Start", "wellbeing_end": "end "})
    long["Completed"] = "2024-06-01"
    path = spec_path.parent / "questionnaires.csv"
    long.to_csv(path, index=False)
    return path


def _with_questionnaire(spec_path: Path, after: str) -> Path:
    path = _long_wellbeing(spec_path)

    def change(raw):
        raw["sources"]["questionnaires"] = {
            "kind": "readings",
            "file": str(path.relative_to(spec_path.parents[3])),
            "columns": {"person_id": "person_id", "occasion": "Occasion", "date": "Completed"},
        }
        raw["outcomes"] = [
            {
                "name": "Wellbeing questionnaire",
                "definition": "The wellbeing score on the questionnaire at the start and the end",
                "kind": "scale",
                "source": "questionnaires",
                "column": "Score",
                "before": "Start",
                "after": after,
                "range": [7, 35],
            }
        ]

    return _edited(spec_path, change)


def test_a_comparison_group_with_readings_in_long_form_gives_difference_in_differences(
    fresh_project: Path,
) -> None:
    wide = _findings(fresh_project).outcomes["Wellbeing"].impact
    f = _findings(_with_questionnaire(fresh_project, "End"))
    long = f.outcomes["Wellbeing questionnaire"]
    assert long.design == "comparison_group" and long.evidence_level == 3
    assert long.impact.estimate == pytest.approx(wide.estimate)  # the same readings, long form
    assert long.impact.ci_low == pytest.approx(wide.ci_low)


def test_an_occasion_nobody_has_is_an_error_listing_those_found(fresh_project: Path) -> None:
    spec = load_spec(_with_questionnaire(fresh_project, "Ending"))
    with pytest.raises(DataError) as err:
        prepare(spec)
    message = str(err.value)
    assert "questionnaires.csv: no reading is recorded as 'Ending'" in message
    assert "outcomes[0].after" in message and "'Start', 'end'" in message


def test_value_for_money_takes_its_successes_from_the_measured_impact(fresh_project) -> None:
    spec = load_spec(fresh_project)
    prepare(spec)
    f = compute_findings(ReportContext(spec=spec, locality=LIVERPOOL, period=""))
    (benefit,) = f.benefits
    impact = f.outcomes["Children's social care referrals of the family"].impact
    assert benefit.measured and benefit.level == 3 and f.value_measured
    # referrals avoided per person: minus the difference-in-differences (lower is better)
    assert benefit.rate == pytest.approx(-impact.estimate)
    assert (benefit.low, benefit.high) == pytest.approx((-impact.ci_high, -impact.ci_low))
    (used,) = f.cba_spec["outcomes"]
    assert used["success_rate"] == pytest.approx(benefit.rate) and used["deadweight"] == 0
    assert all(c["optimism_bias"] == 0 for c in f.cba_spec["costs"])  # recorded spend
    # the Monte Carlo draws the success rate within the impact's interval
    draws = f.monte_carlo.samples
    assert f.tornado is not None and not draws.empty


def test_without_a_measured_impact_the_assumption_stands_and_is_named(fresh_project) -> None:
    raw = yaml.safe_load(fresh_project.read_text())
    referrals = next(o for o in raw["outcomes"] if o["name"].endswith("of the family"))
    referrals["designs"] = ["before_after"]  # no comparison for it: no impact to measure
    fresh_project.write_text(yaml.safe_dump(raw, sort_keys=False))
    f = _findings(fresh_project)
    (benefit,) = f.benefits
    assert not benefit.measured and not f.value_measured
    assert benefit.rate == pytest.approx(0.40 * (1 - 0.30))  # the spec's assumption
    assert "no estimate of impact on children's social care referrals" in benefit.reason


def test_recorded_spending_is_reported_without_a_cost_benefit_section(fresh_project) -> None:
    # A user trial: a costs source and no cost_benefit section gave no spending at all.
    from evalkit.reports.sections.value import cost_sentence, value_for_money

    spec_path = _edited(fresh_project, lambda raw: None)  # cost_benefit removed
    f = _findings(spec_path)
    assert f.cba is None
    # independently: the Liverpool rows of the demo's costs file, summed
    costs = pd.read_csv(fresh_project.parent / "costs.csv")
    spend = float(costs.loc[costs["locality_code"] == LIVERPOOL, "amount"].sum())
    assert f.spend == pytest.approx(spend)
    sentence = cost_sentence(f)
    assert sentence.startswith(f"Recorded spending was £{spend:,.0f} (as recorded, not adjusted")
    assert "for each person served" in sentence
    spec = load_spec(spec_path)
    page = value_for_money(ReportContext(spec=spec, locality=LIVERPOOL, period=""), f)
    assert "Recorded spending was" in page
    assert "does not say what each outcome is worth" in page


def test_a_matched_comparison_says_which_served_people_it_left_out(fresh_project) -> None:
    import html

    from evalkit.reports.sections.impact import _one

    def change(raw):
        raw["designs"]["matching"] = {"covariates": ["age_band", "sex", "ethnic_group"]}
        raw["outcomes"][0]["designs"] = ["before_after", "matching"]

    spec_path = _edited(fresh_project, change)
    data = fresh_project.parent / "service_users.csv"
    people = pd.read_csv(data, dtype=str)
    here = people["locality_code"] == LIVERPOOL
    # no one in the comparison group here is aged 16-24: they become 25-34
    people.loc[here & (people["group"] == "comparison") & (people["age_band"] == "16-24"),
               "age_band"] = "25-34"  # fmt: skip
    people.to_csv(data, index=False)
    # served people aged 16-24 here with everything the matched comparison needs
    needed = ["age_band", "sex", "ethnic_group", "stable_housing_before", "stable_housing_after"]
    young = people[here & (people["group"] == "participant") & (people["age_band"] == "16-24")]
    expected = int(young[needed].notna().all(axis=1).sum())
    assert expected > 0
    f = _findings(spec_path)
    housing = f.outcomes["Stable housing"]
    assert housing.design == "matching"  # no longer lost to a false "perfect separation"
    assert housing.impact.off_support == {"age_band": ["16-24"]}
    assert housing.impact.n_off_support == expected
    sentence = (
        "Served people whose age band is '16-24' had no one comparable in the comparison group, "
        "so the matched comparison leaves them out."
    )
    assert housing.caveats == (sentence,)
    assert sentence in html.unescape("".join(_one(housing)))
    assert "common support" in housing.impact.method and str(expected) not in sentence


def test_a_failed_matching_names_the_characteristics_in_plain_words() -> None:
    from evalkit.reports.findings import plain_reason

    note = (
        "Stable housing could not be estimated: the propensity model of match() could not be "
        "fitted: served and unserved people barely overlap on the covariates ['age_band', 'x']"
    )
    assert plain_reason(note, ["age band", "sex", "their reading before the service"]) == (
        "too few people in the comparison group are like those served on age band, sex and "
        "their reading before the service"
    )
    assert plain_reason(note) == (
        "the people served and those not served differ too much on the matching "
        "characteristics to be compared like with like"
    )
