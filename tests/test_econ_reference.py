"""The econ reference data: every file has a source record; tables read back as shipped."""

import pytest

import evalkit.econ as econ
from evalkit.econ import agency_name, capital_optimism_bias, confidence_grade_bias
from evalkit.econ.wellbeing import wellby_reference
from evalkit.exceptions import ParameterError
from evalkit.reference import load_yaml, source_of

FILES = [
    "discount_schedules.yaml",
    "optimism_bias.yaml",
    "wellbeing_values.yaml",
    "agencies.yaml",
    "unit_costs.csv",
    "gdp_deflator_2024_100.csv",
]


@pytest.mark.parametrize("name", FILES)
def test_every_file_has_a_source_record(name):
    record = source_of(name)
    assert record["source"] and record["vintage"] and "verified" in record


def test_unverified_items_are_flagged():
    ob = load_yaml("optimism_bias.yaml")
    assert ob["local_cba_confidence_grades"]["verified"] is False
    assert ob["capital_project_upper_bounds"]["verified"] is False
    assert wellby_reference()["convention"]["verified"] is False
    # HMT Wellbeing Guidance for Appraisal (2021): GBP 13,000, range 10,000-16,000, 2019 prices.
    value = wellby_reference()["wellby"]
    assert (value["central"], value["low"], value["high"], value["price_year"]) == (
        13000,
        10000,
        16000,
        2019,
    )


def test_schedules_are_versioned():
    data = load_yaml("discount_schedules.yaml")
    assert data["version"] and data["source"] and data["vintage"]


def test_confidence_grades():
    # HMT and New Economy (2014), as recalled in the reference notes (unverified).
    assert [confidence_grade_bias(g) for g in range(1, 7)] == [0, 0.05, 0.10, 0.15, 0.25, 0.40]
    with pytest.raises(
        ParameterError, match=r"confidence_grade must be a whole number from 1.*got 0"
    ):
        confidence_grade_bias(0)


def test_capital_optimism_bias():
    # Mott MacDonald for HMT: non-standard buildings capex upper bound 51%;
    # applied = 51% x (1 - 0.4) = 30.6%
    assert capital_optimism_bias("non_standard_buildings", mitigated=0.4) == pytest.approx(0.306)
    assert capital_optimism_bias("outsourcing", measure="operating_cost") == 0.41
    with pytest.raises(ParameterError, match="measure 'capex' has no upper bound for category"):
        capital_optimism_bias("outsourcing")
    with pytest.raises(ParameterError, match=r"category must be one of .*got 'bridges'"):
        capital_optimism_bias("bridges")


def test_agency_aliases():
    assert agency_name("council") == "Local authority"
    assert agency_name(" nhs ") == "NHS"
    assert agency_name("DfE") == "Department for Education"


def test_public_api_is_explicit():
    assert all(hasattr(econ, name) for name in econ.__all__)
    assert "rebase" in econ.__all__ and "discount_factors" in econ.__all__


def test_capital_optimism_bias_messages_in_full():
    with pytest.raises(ParameterError) as err:
        capital_optimism_bias("outsourcing")
    assert str(err.value) == (
        "measure 'capex' has no upper bound for category 'outsourcing'; expected one of "
        "'operating_cost'"
    )
    with pytest.raises(ParameterError) as err:
        capital_optimism_bias("outsourcing", measure="operating_cost", mitigated=2)
    assert str(err.value) == "mitigated must lie in [0.0, 1.0]; got 2"
    with pytest.raises(ParameterError) as err:
        capital_optimism_bias("standard_buildings", measure="operating_cost")
    assert str(err.value).endswith("expected one of 'capex', 'works_duration'")


def test_unknown_agency_message_in_full():
    with pytest.raises(ParameterError) as err:
        agency_name("Hogwarts")
    assert str(err.value) == (
        "agency 'Hogwarts' is not a known agency; expected one of 'Local authority', 'NHS', "
        "'Police', 'Criminal justice system', 'DWP', 'HMRC', 'Department for Education', "
        "'Fire and rescue service', 'Housing providers', 'Other public sector', "
        "'Multiple agencies' (aliases such as 'council' or 'DfE' also work)"
    )
