"""The local cost-benefit model: a worked example by hand, the issue's spec, and bad input."""

import copy
import warnings

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
        "confidence_grade=2",
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
