"""The local cost-benefit model: a worked example by hand, the issue's spec, and bad input."""

import copy
import warnings

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.econ import CostBenefitModel
from evalkit.exceptions import ConfigError, EvidenceWarning, ParameterError

OUTCOME = "fewer children's social care interventions"


def issue_spec() -> dict:
    """The spec of issue 4, verbatim."""
    return {
        "price_year": 2024,
        "discount": "standard",
        "horizon_years": 10,
        "cohorts": [{"year": 0, "size": 200}],
        "engagement_rate": 0.75,
        "costs": [{"name": "delivery", "year": 0, "amount": 250000, "optimism_bias": 0.05}],
        "outcomes": [
            {
                "name": OUTCOME,
                "success_rate": 0.40,
                "deadweight": 0.30,
                "optimism_bias": 0.15,
                "lag_years": 1,
                "duration_years": 3,
                "drop_off": 0.20,
                "values": {
                    "fiscal": [{"agency": "Local authority", "amount": 3000, "cashable": True}],
                    "economic": 2000,
                    "social": 3000,
                },
            }
        ],
    }


def hand_spec() -> dict:
    """A small model whose every output is worked out by hand below."""
    return {
        "price_year": 2024,
        "discount": 0.10,
        "horizon_years": 3,
        "cohorts": [{"year": 0, "size": 100}],
        "engagement_rate": 0.5,
        "costs": [
            {
                "name": "staff",
                "year": 0,
                "amount": 20000,
                "optimism_bias": 0.05,
                "agency": "council",
            }
        ],
        "outcomes": [
            {
                "name": "fewer crises",
                "success_rate": 0.4,
                "deadweight": 0.25,
                "optimism_bias": 0.10,
                "lag_years": 1,
                "duration_years": 2,
                "drop_off": 0.5,
                "values": {
                    "fiscal": [
                        {"agency": "Local authority", "amount": 1000, "cashable": True},
                        {"agency": "NHS", "amount": 500, "cashable": False},
                    ],
                    "economic": 200,
                },
            }
        ],
    }


def test_worked_example_by_hand():
    # Independent computation (HMT / New Economy 2014 method, flat 10% for easy arithmetic):
    # net successes = 100 x 0.5 x 0.4 x (1 - 0.25) = 15; after optimism bias x 0.9 = 13.5.
    # Year 1: 13.5 successes; year 2: 13.5 x (1 - 0.5) = 6.75 (lag 1, duration 2, drop-off 50%).
    # PV of success-years = 13.5/1.1 + 6.75/1.21 = 12.272727 + 5.578512 = 17.851240.
    # Fiscal value 1,500 a success-year (LA 1,000 cashable, NHS 500 not): PV fiscal = 26,776.86.
    # Costs 20,000 x 1.05 = 21,000 in year 0. ROI = 26,776.86 / 21,000 = 1.27509.
    # Cumulative net fiscal PV: -21,000; -21,000 + 18,409.09 = -2,590.91; + 8,367.77 = 5,776.86,
    # so payback = 1 + 2,590.91 / 8,367.77 = 1.30963 years.
    r = CostBenefitModel.from_dict(hand_spec()).appraise()
    pv_success_years = 13.5 / 1.1 + 6.75 / 1.21
    assert r.pv_costs == pytest.approx(21000)
    assert r.pv_fiscal == pytest.approx(1500 * pv_success_years)
    assert r.pv_fiscal == pytest.approx(26776.86, abs=0.01)
    assert r.pv_fiscal_cashable == pytest.approx(1000 * pv_success_years)
    assert r.pv_fiscal_non_cashable == pytest.approx(500 * pv_success_years)
    assert r.pv_economic == pytest.approx(200 * pv_success_years)
    assert r.pv_social == 0
    assert r.financial_roi == pytest.approx(1.27509, abs=1e-5)
    assert r.net_present_budget_impact == pytest.approx(26776.86 - 21000, abs=0.01)
    assert r.public_value_roi == pytest.approx(1700 * pv_success_years / 21000)
    assert r.net_present_public_value == pytest.approx(1700 * pv_success_years - 21000)
    assert r.payback_years == pytest.approx(1 + 2590.909 / 8367.769, abs=1e-5)
    assert r.net_successes == pytest.approx(15)
    agencies = r.by_agency.set_index("agency")
    assert agencies.loc["Local authority", "pv_invests"] == pytest.approx(21000)  # "council"
    assert agencies.loc["NHS", "pv_benefits"] == pytest.approx(500 * pv_success_years)
    assert agencies.loc["NHS", "pv_cashable"] == 0
    assert r.by_year["fiscal"].tolist() == pytest.approx([0, 13.5 * 1500, 6.75 * 1500])
    assert r.by_agency_year["pv_fiscal"].sum() == pytest.approx(r.pv_fiscal)


def test_issue_spec_by_hand():
    # 200 x 0.75 x 0.40 x 0.70 = 42 net successes; x 0.85 = 35.7 after optimism bias.
    # Years 1, 2, 3 keep 1, 0.8, 0.64 of them; Green Book standard factors 1.035**-t.
    r = CostBenefitModel.from_dict(issue_spec()).appraise()
    pv = 35.7 * (1 / 1.035 + 0.8 / 1.035**2 + 0.64 / 1.035**3)
    assert r.pv_fiscal == pytest.approx(3000 * pv)
    assert r.pv_costs == pytest.approx(262500)
    assert r.financial_roi == pytest.approx(3000 * pv / 262500)
    assert r.payback_years is None  # fiscal return 0.93 < 1
    assert r.net_successes == pytest.approx(42)


def test_summary_states_conventions_and_who_pays():
    r = CostBenefitModel.from_dict(hand_spec()).appraise()
    text = r.summary()
    for phrase in [
        "NET of deadweight",
        "2024 prices",
        "flat rate 10.00%",
        "year 0 is not discounted",
        "Who invests",
        "Local authority £21,000",
        "Who benefits",
        "NHS",
        "non-cashable",
        "£1.28 to public",
        "1.3 years",
    ]:
        assert phrase in text, phrase
    assert r.to_frame().loc[0, "basis"] == "net of deadweight"


def test_gross_when_no_deadweight_warns_and_says_so():
    spec = hand_spec()
    spec["outcomes"][0]["deadweight"] = 0.0
    with pytest.warns(EvidenceWarning, match="GROSS"):
        r = CostBenefitModel.from_dict(spec).appraise()
    assert r.basis == "gross"
    assert "GROSS" in r.summary()


def test_confidence_grade_maps_through_table_and_is_flagged_unverified():
    spec = hand_spec()
    del spec["outcomes"][0]["optimism_bias"]
    spec["outcomes"][0]["confidence_grade"] = 4  # 15% in the shipped (unverified) table
    model = CostBenefitModel.from_dict(spec)
    assert model.parameters()["fewer crises.optimism_bias"] == 0.15
    r = model.appraise()
    assert not r.optimism_bias_verified
    assert "unverified" in r.summary()


def test_later_cohorts_shift_benefits():
    spec = hand_spec()
    spec["horizon_years"] = 4
    spec["cohorts"] = [{"year": 0, "size": 50}, {"year": 1, "size": 50}]
    r = CostBenefitModel.from_dict(spec).appraise()
    # each cohort: 6.75 successes after bias, then half the next year
    assert r.by_year["fiscal"].tolist() == pytest.approx(
        [0, 6.75 * 1500, (6.75 + 3.375) * 1500, 3.375 * 1500]
    )


def test_from_yaml_section(tmp_path):
    path = tmp_path / "programme.yaml"
    path.write_text(yaml.safe_dump({"name": "Early help", "cost_benefit": issue_spec()}))
    model = CostBenefitModel.from_yaml(path, section="cost_benefit")
    assert model.appraise().pv_costs == pytest.approx(262500)
    with pytest.raises(ConfigError, match="has no section 'economics'"):
        CostBenefitModel.from_yaml(path, section="economics")


def test_with_params_matches_new_spec():
    model = CostBenefitModel.from_dict(hand_spec())
    changed = model.with_params({"engagement_rate": 0.25, "staff.amount": 10000})
    r = changed.appraise()
    assert r.pv_costs == pytest.approx(10500)
    assert r.pv_fiscal == pytest.approx(model.appraise().pv_fiscal / 2)


# Bad input ----------------------------------------------------------------------------------
def _bad(mutate, *fragments):
    spec = hand_spec()
    mutate(spec)
    with pytest.raises(ConfigError) as info:
        CostBenefitModel.from_dict(spec)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_rate_above_one():
    _bad(
        lambda s: s.update(engagement_rate=1.5), "engagement_rate", "1.5", "less than or equal to 1"
    )


def test_negative_rate():
    _bad(
        lambda s: s["outcomes"][0].update(deadweight=-0.1),
        "outcomes.0.deadweight",
        "-0.1",
        "greater than or equal to 0",
    )


def test_negative_cohort_size():
    _bad(lambda s: s["cohorts"][0].update(size=-5), "cohorts.0.size", "-5")


def test_unknown_schedule():
    _bad(lambda s: s.update(discount="steep"), "discount", "'steep'", "'standard'")


def test_discount_rate_out_of_range():
    _bad(lambda s: s.update(discount=3.5), "discount", "3.5", "[0.0, 1.0]")


def test_unknown_agency():
    _bad(
        lambda s: s["outcomes"][0]["values"]["fiscal"][0].update(agency="Ministry of Magic"),
        "outcomes.0.values.fiscal.0.agency",
        "'Ministry of Magic'",
        "'Local authority'",
    )


def test_price_year_without_deflator():
    _bad(lambda s: s.update(price_year=1980), "price_year", "1980", "1990-2024")


def test_horizon_shorter_than_benefit_profile():
    _bad(
        lambda s: s.update(horizon_years=2),
        "horizon_years=2",
        "'fewer crises'",
        "until year 2",
        "expected horizon_years >= 3",
    )


def test_cost_beyond_horizon():
    _bad(lambda s: s["costs"][0].update(year=5), "costs.0", "year 5", "horizon_years=3")


def test_misspelt_field_names_its_path():
    def misspell(s):
        s["outcomes"][0]["succes_rate"] = s["outcomes"][0].pop("success_rate")

    _bad(misspell, "outcomes.0.succes_rate", "unexpected field", "outcomes.0.success_rate")


def test_both_bias_and_grade():
    _bad(
        lambda s: s["outcomes"][0].update(confidence_grade=2),
        "exactly one of optimism_bias",
        "got both (optimism_bias 0.1, confidence_grade 2)",
    )


def test_grade_out_of_table():
    def grade7(s):
        del s["costs"][0]["optimism_bias"]
        s["costs"][0]["confidence_grade"] = 7

    _bad(grade7, "costs.0", "confidence_grade", "got 7")


def test_duplicate_names():
    _bad(lambda s: s["costs"][0].update(name="fewer crises"), "unique", "'fewer crises'")


def test_not_a_mapping():
    with pytest.raises(ConfigError, match="must be a mapping"):
        CostBenefitModel.from_dict(["price_year", 2024])


def test_unknown_parameter_key():
    model = CostBenefitModel.from_dict(hand_spec())
    with pytest.raises(ParameterError, match=r"unknown model parameter 'fewer crises.succes_rate'"):
        model.with_params({"fewer crises.succes_rate": 0.1})


def test_spec_is_not_mutated():
    spec = hand_spec()
    before = copy.deepcopy(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CostBenefitModel.from_dict(spec).appraise()
    assert spec == before


# Properties of the model (Hypothesis) ---------------------------------------------------------
_MODEL = CostBenefitModel.from_dict(hand_spec())
shares = st.floats(0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(shares, shares)
def test_fiscal_value_is_proportional_to_engagement(a, b):
    out = _MODEL.evaluate({"engagement_rate": [a, b]})
    base = _MODEL.evaluate({"engagement_rate": 1.0})["pv_fiscal"][0]
    assert out["pv_fiscal"] == pytest.approx([a * base, b * base], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(shares, shares)
def test_more_deadweight_never_raises_the_return(d1, d2):
    lo, hi = sorted([d1, d2])
    roi = _MODEL.evaluate({"fewer crises.deadweight": [lo, hi]})["financial_roi"]
    assert roi[0] >= roi[1] - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 1e7))
def test_roi_times_costs_is_pv_fiscal(amount):
    out = _MODEL.evaluate({"staff.amount": amount})
    assert out["financial_roi"][0] * out["pv_costs"][0] == pytest.approx(out["pv_fiscal"][0])
    assert out["net_present_budget_impact"][0] == pytest.approx(
        out["pv_fiscal"][0] - out["pv_costs"][0]
    )


def test_successes_measured_against_a_comparison_are_net_without_deadweight() -> None:
    # A success rate taken from a difference-in-differences is already net of what would have
    # happened anyway: deadweight 0 must not label the result GROSS.
    import warnings

    from evalkit.econ import CostBenefitModel

    spec = {
        "price_year": 2024,
        "discount": "standard",
        "horizon_years": 3,
        "cohorts": [{"year": 0, "size": 100}],
        "engagement_rate": 1.0,
        "costs": [{"name": "delivery", "year": 0, "amount": 10000, "optimism_bias": 0.0}],
        "outcomes": [
            {
                "name": "referrals avoided",
                "success_rate": 0.15,
                "deadweight": 0.0,
                "optimism_bias": 0.0,
                "measured_by": "Social care referrals",
                "values": {"fiscal": [{"agency": "Local authority", "amount": 1000}]},
            }
        ],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no EvidenceWarning about gross figures
        r = CostBenefitModel.from_dict(spec).appraise()
    assert r.basis == "net of a measured counterfactual"
    assert r.pv_fiscal == pytest.approx(100 * 0.15 * 1000)  # year 0, undiscounted


# The appraisal's text and tables in full, worked by hand -------------------------------------

PV_SUCCESS_YEARS = 13.5 / 1.1 + 6.75 / 1.21  # 17.851240, as in test_worked_example_by_hand


def test_summary_in_full_by_hand():
    # PV fiscal 1,500 x 17.851240 = 26,776.86 (LA 17,851.24 cashable; NHS 8,925.62 not);
    # ROI 26,776.86 / 21,000 = 1.275; economic 200 x 17.851240 = 3,570.25; public value
    # return 1,700 x 17.851240 / 21,000 = 1.445; net public value 30,347.11 - 21,000 = 9,347.11.
    r = CostBenefitModel.from_dict(hand_spec()).appraise()
    assert r.summary() == "\n".join(
        [
            "Cost-benefit appraisal over 3 years (years 0-2), money in 2024 prices. Discounted "
            "with the flat rate 10.00%: 10.00% from year 0; year 0 is not discounted and each "
            "year's rate applies to the step into that year.",
            "Basis: NET of deadweight: benefits count only the successes that would not have "
            "happened anyway, as estimated by the deadweight shares given.",
            "Who invests (present value of costs, after the optimism-bias uplift): Local "
            "authority £21,000; total £21,000.",
            "Who benefits (present value of fiscal savings, after the optimism-bias reduction): "
            "Local authority £17,851 (cashable £17,851); NHS £8,926 (cashable £0); total "
            "£26,777, of which £17,851 cashable and £8,926 non-cashable.",
            "Financial return: each £1 spent returns £1.28 to public budgets; net present budget "
            "impact £5,777.",
            "Public value return (fiscal + economic £3,570 + social £0): £1.45 per £1; net "
            "present public value £9,347.",
            "The public budgets get their money back after 1.3 years (counting discounted fiscal "
            "benefits against costs, year 0 = the first year).",
            "Net successes across outcomes: 15.0.",
            "Optimism bias shares were given directly in the spec.",
            "This is one central estimate; use monte_carlo() and one_way() for its uncertainty.",
        ]
    )
    assert r.method == (
        "HMT / New Economy (2014) local cost-benefit model: cohort x engagement x success x "
        "(1 - deadweight) x (1 - optimism bias) x value, with lag, duration and drop-off; "
        "flat rate 10.00%"
    )
    assert (r.discount, r.price_year, r.horizon_years) == ("flat 10.00%", "2024", 3)


def test_gross_graded_summary_without_fiscal_values_or_investor():
    # Deadweight 0, confidence grade 2 (5% in the shipped, unverified table), only economic 200
    # and social 100 a success, cost with no agency. Successes 100 x 0.5 x 0.4 x 0.95 = 19 in
    # year 1, 9.5 in year 2: PV 19/1.1 + 9.5/1.21 = 25.123967; economic 5,024.79, social
    # 2,512.40; public value return 7,537.19 / 21,000 = 0.359; net -13,462.81.
    spec = hand_spec()
    del spec["costs"][0]["agency"]
    outcome = spec["outcomes"][0]
    outcome.update(deadweight=0.0, values={"economic": 200, "social": 100}, confidence_grade=2)
    del outcome["optimism_bias"]
    with pytest.warns(EvidenceWarning) as caught:
        r = CostBenefitModel.from_dict(spec).appraise()
    assert str(caught[0].message) == (
        "every outcome has deadweight 0: the benefits are GROSS (they include what would have "
        "happened anyway), not the programme's impact"
    )
    lines = r.summary().split("\n")
    assert lines[1:] == [
        "Basis: GROSS: no deadweight was given, so these benefits include what would have "
        "happened anyway and are not the programme's impact.",
        "Who invests (present value of costs, after the optimism-bias uplift): investor not "
        "stated (add agency: to the cost) £21,000; total £21,000.",
        "Who benefits (present value of fiscal savings, after the optimism-bias reduction): no "
        "agency (no fiscal values given); total £0, of which £0 cashable and £0 non-cashable.",
        "Financial return: each £1 spent returns £0.00 to public budgets; net present budget "
        "impact -£21,000.",
        "Public value return (fiscal + economic £5,025 + social £2,512): £0.36 per £1; net "
        "present public value -£13,463.",
        "The fiscal benefits do not pay back the costs within the 3-year horizon.",
        "Net successes across outcomes: 20.0.",
        "Optimism bias was set from confidence grades whose percentages are unverified (HMT and "
        "New Economy 2014); check them before publishing.",
        "This is one central estimate; use monte_carlo() and one_way() for its uncertainty.",
    ]
    assert r.optimism_bias_verified is False
    assert r.pv_social == pytest.approx(100 * (19 / 1.1 + 9.5 / 1.21))


def test_tables_by_year_agency_and_outcome_by_hand():
    r = CostBenefitModel.from_dict(hand_spec()).appraise()
    d = [1, 1 / 1.1, 1 / 1.21]
    by_year = r.by_year
    assert list(by_year.columns) == [
        "year",
        "discount_factor",
        "costs",
        "fiscal",
        "cashable",
        "economic",
        "social",
        "non_cashable",
        "pv_costs",
        "pv_fiscal",
        "pv_economic",
        "pv_social",
        "cumulative_net_fiscal_pv",
    ]
    expected = {
        "year": [0, 1, 2],
        "discount_factor": d,
        "costs": [21000, 0, 0],
        "fiscal": [0, 13.5 * 1500, 6.75 * 1500],
        "cashable": [0, 13.5 * 1000, 6.75 * 1000],
        "economic": [0, 13.5 * 200, 6.75 * 200],
        "social": [0, 0, 0],
        "non_cashable": [0, 13.5 * 500, 6.75 * 500],
        "pv_costs": [21000, 0, 0],
        "pv_fiscal": [0, 20250 / 1.1, 10125 / 1.21],
        "pv_economic": [0, 2700 / 1.1, 1350 / 1.21],
        "pv_social": [0, 0, 0],
        "cumulative_net_fiscal_pv": [-21000, -21000 + 20250 / 1.1, -21000 + 26776.8595],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(by_year[column], values, atol=1e-4, err_msg=column)
    agency = r.by_agency.set_index("agency")
    assert list(agency.columns) == [
        "pv_invests",
        "pv_benefits",
        "pv_cashable",
        "pv_non_cashable",
        "pv_net",
    ]
    la, nhs = 1000 * PV_SUCCESS_YEARS, 500 * PV_SUCCESS_YEARS
    np.testing.assert_allclose(agency.loc["Local authority"], [21000, la, la, 0, la - 21000])
    np.testing.assert_allclose(agency.loc["NHS"], [0, nhs, 0, nhs, nhs])
    outcome = r.by_outcome.iloc[0]
    assert outcome["outcome"] == "fewer crises"
    assert outcome["optimism_bias"] == 0.1
    assert outcome["net_successes"] == pytest.approx(15)
    assert outcome["pv_fiscal"] == pytest.approx(1500 * PV_SUCCESS_YEARS)
    assert outcome["pv_economic"] == pytest.approx(200 * PV_SUCCESS_YEARS)
    assert outcome["pv_social"] == 0
    ay = r.by_agency_year
    assert list(ay.columns) == ["year", "agency", "fiscal", "pv_fiscal"]
    assert ay["agency"].tolist() == ["Local authority"] * 3 + ["NHS"] * 3
    np.testing.assert_allclose(ay["fiscal"], [0, 13500, 6750, 0, 6750, 3375])
    np.testing.assert_allclose(
        ay["pv_fiscal"], [0, 13500 / 1.1, 6750 / 1.21, 0, 6750 / 1.1, 3375 / 1.21]
    )


def test_two_cohorts_count_in_the_cohort_sizes():
    # Two cohorts in year 0 (60 + 40 = 100 people) give the same appraisal as one of 100.
    spec = hand_spec()
    spec["cohorts"] = [{"year": 0, "size": 60}, {"year": 0, "size": 40}]
    r = CostBenefitModel.from_dict(spec).appraise()
    assert r.pv_fiscal == pytest.approx(1500 * PV_SUCCESS_YEARS)
    assert r.net_successes == pytest.approx(15)


def test_draw_errors_in_full():
    model = CostBenefitModel.from_dict(hand_spec())
    cases = [
        (
            {"engagement_rate": [0.5, 1.5, 2.0]},
            "parameter 'engagement_rate' has 2 value(s) outside [0.0, 1.0], e.g. "
            "np.float64(1.5); expected a share between 0 and 1 (truncate its distribution)",
        ),
        (
            {"staff.amount": [-1.0]},
            "parameter 'staff.amount' has 1 value(s) outside [0.0, inf], e.g. np.float64(-1.0); "
            "expected a non-negative amount (truncate its distribution)",
        ),
        (
            {"staff.amount": [0.0]},
            "present value of costs is 0 in at least one draw; expected costs above 0 for a "
            "return on investment (check the cost amounts)",
        ),
        (
            {"staff.amount": [1.0, 2.0], "engagement_rate": [0.1, 0.2, 0.3]},
            "parameter 'staff.amount' has 2 draws; expected 1 or 3 like the others",
        ),
    ]
    for overrides, message in cases:
        with pytest.raises(ParameterError) as err:
            model.evaluate(overrides)
        assert str(err.value) == message
    assert model.parameter_bounds("staff.amount") == (0.0, np.inf)
    assert model.parameter_bounds("fewer crises.drop_off") == (0.0, 1.0)
    with pytest.raises(ParameterError) as err:
        model.parameter_bounds("x")
    assert str(err.value) == (
        "unknown model parameter 'x'; expected one of 'engagement_rate', "
        "'fewer crises.success_rate', 'fewer crises.deadweight', 'fewer crises.optimism_bias', "
        "'fewer crises.drop_off', 'staff.amount', 'staff.optimism_bias'"
    )


def test_with_params_replaces_a_graded_bias_by_a_share():
    spec = hand_spec()
    del spec["outcomes"][0]["optimism_bias"]
    spec["outcomes"][0]["confidence_grade"] = 4  # 15% (unverified table)
    model = CostBenefitModel.from_dict(spec).with_params({"fewer crises.optimism_bias": 0.1})
    # back to hand_spec's 10%: the worked example's PV fiscal
    assert model.appraise().pv_fiscal == pytest.approx(1500 * PV_SUCCESS_YEARS)
    assert model.appraise().optimism_bias_verified


def test_yaml_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_yaml(tmp_path / "missing.yaml")
    assert str(err.value) == (
        f"cannot read cost-benefit spec {str(tmp_path / 'missing.yaml')!r}: "
        "No such file or directory"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match=r"^'.*bad\.yaml' is not valid YAML: "):
        CostBenefitModel.from_yaml(bad)
    spec = hand_spec()
    spec["engagement_rate"] = 1.5
    path = tmp_path / "programme.yaml"
    path.write_text(yaml.safe_dump({"cost_benefit": spec}))
    with pytest.raises(ConfigError, match=r"^.*programme\.yaml \[cost_benefit\]: engagement_rate"):
        CostBenefitModel.from_yaml(path, section="cost_benefit")
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ConfigError, match=r"^.*programme\.yaml: engagement_rate"):
        CostBenefitModel.from_yaml(path)
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    assert str(err.value).startswith("cost_benefit spec: engagement_rate")


def test_spec_error_messages_in_full():
    spec = hand_spec()
    spec["costs"][0]["amount"] = 0
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    # a rule about the whole spec has no field path, and the spec itself is not echoed
    assert str(err.value) == (
        "cost_benefit spec: costs must add up to more than 0 for a return on investment"
    )
    spec = hand_spec()
    spec["cohort"] = 1
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    assert str(err.value) == "cost_benefit spec: cohort: unexpected field (misspelt?) (got 1)"
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(["price_year", 2024])
    assert str(err.value) == "cost_benefit spec must be a mapping of fields; got list"


def test_spec_errors_show_three_problems_and_cut_long_values():
    spec = hand_spec()
    spec.update(price_year=1980, discount="steep", horizon_years=0, engagement_rate=2)
    spec["costs"][0]["name"] = "x" * 250
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    message = str(err.value)
    assert message.count("; ") >= 2 and message.endswith(" (and 2 more problem(s))")
    assert message.startswith("cost_benefit spec: price_year: price_year '1980' has no GDP")
    assert "Value error" not in message
    # a 250-character name is shown as its first 60 characters, whose repr (62 characters with
    # its quotes) is cut to 57 characters + "...": the quote and 56 letters
    spec = hand_spec()
    spec["costs"][0]["name"] = "x" * 250
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    assert str(err.value) == (
        "cost_benefit spec: costs.0.name: String should have at most 200 characters "
        "(got '" + "x" * 56 + "...)"
    )
    # a value shown in exactly 60 characters (58 letters and two quotes) is not cut
    spec = hand_spec()
    spec["costs"][0]["agency"] = "z" * 58
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_dict(spec)
    assert str(err.value).endswith("(got '" + "z" * 58 + "')")


def test_discounting_lists_only_the_bands_inside_the_horizon():
    # 31 years are years 0-30: only the Green Book's 3.5% band is used.
    spec = issue_spec()
    spec["horizon_years"] = 31
    r = CostBenefitModel.from_dict(spec).appraise()
    assert r.discounting == (
        "Discounted with the Green Book standard (STPR 3.5% declining), version "
        "green-book-2022+feb-2026-sensitivity: 3.50% for years 0-30; year 0 is not discounted "
        "and each year's rate applies to the step into that year."
    )
    assert r.summary().startswith(
        "Cost-benefit appraisal over 31 years (years 0-30), money in 2024 prices. Discounted"
    )


def test_missing_yaml_section_message_in_full(tmp_path):
    path = tmp_path / "programme.yaml"
    path.write_text(yaml.safe_dump({"name": "Early help"}))
    with pytest.raises(ConfigError) as err:
        CostBenefitModel.from_yaml(path, section="cost_benefit")
    assert str(err.value) == f"{str(path)!r} has no section 'cost_benefit'"


def test_payback_in_year_zero():
    # The measured-outcome spec: cost 10,000 and fiscal benefit 100 x 0.15 x 1,000 = 15,000,
    # both in year 0 (undiscounted), so the cumulative net fiscal value is already 5,000 >= 0
    # at year 0: payback after 0 years.
    spec = {
        "price_year": 2024,
        "horizon_years": 2,
        "cohorts": [{"year": 0, "size": 100}],
        "engagement_rate": 1.0,
        "costs": [{"name": "delivery", "year": 0, "amount": 10000, "optimism_bias": 0.0}],
        "outcomes": [
            {
                "name": "referrals avoided",
                "success_rate": 0.15,
                "deadweight": 0.1,
                "optimism_bias": 0.0,
                "values": {"fiscal": [{"agency": "Local authority", "amount": 1000}]},
            }
        ],
    }
    r = CostBenefitModel.from_dict(spec).appraise()
    # 100 x 0.15 x 0.9 x 1,000 = 13,500 in year 0 against 10,000
    assert r.by_year["cumulative_net_fiscal_pv"].tolist() == pytest.approx([3500, 3500])
    assert r.payback_years == 0.0
