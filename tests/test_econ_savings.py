"""Cost-savings calculator: gross unless a counterfactual is given; Troubled Families golden."""

import pandas as pd
import pytest

from evalkit.econ import cost_savings, unit_costs
from evalkit.exceptions import DataError, EvidenceWarning, ParameterError

USE = pd.DataFrame(
    {
        "service": ["police call-out", "A&E visit", "social worker visit"],
        "before": [40, 30, 100],
        "after": [20, 24, 70],
    }
)
COSTS = pd.DataFrame(
    {
        "service": ["police call-out", "A&E visit", "social worker visit"],
        "agency": ["Police", "NHS", "council"],
        "unit_cost": [500.0, 150.0, 80.0],
    }
)


def test_troubled_families_phase_1_is_gross():
    # DCLG (2015), The benefits of the Troubled Families programme to the taxpayer: average fiscal
    # benefit GBP 11,200 per family against GBP 5,214 spent, with no counterfactual. Ratio
    # 11200 / 5214 = 2.148: the figure is gross and the calculator must say so.
    table = unit_costs().set_index("name")
    benefit = table.loc["Troubled Families phase 1 fiscal benefit", "amount"]
    spent = table.loc["Troubled Families phase 1 spend", "amount"]
    use = pd.DataFrame({"service": ["all services"], "before": [1], "after": [0]})
    costs = pd.DataFrame(
        {"service": ["all services"], "agency": ["Multiple agencies"], "unit_cost": [benefit]}
    )
    with pytest.warns(EvidenceWarning, match="GROSS"):
        r = cost_savings(use, costs, programme_cost=spent)
    assert r.gross_saving == 11200
    assert r.gross_ratio == pytest.approx(11200 / 5214)
    assert round(r.gross_ratio, 2) == 2.15
    assert r.basis == "gross" and r.net_saving is None and r.net_ratio is None
    assert "NOT an impact estimate" in r.summary()
    assert "£2.15 of gross savings per £1" in r.summary()


def test_gross_by_hand_and_by_agency():
    # Police (40-20) x 500 = 10,000; NHS (30-24) x 150 = 900; LA (100-70) x 80 = 2,400.
    with pytest.warns(EvidenceWarning):
        r = cost_savings(USE, COSTS)
    assert r.gross_saving == pytest.approx(13300)
    by_agency = r.by_agency.set_index("agency")["gross_saving"]
    assert by_agency.to_dict() == {"Local authority": 2400, "NHS": 900, "Police": 10000}


def test_net_with_comparison_group_by_hand():
    # Comparison group use fell 10%: expected after = 0.9 x before.
    # Police (36-20) x 500 = 8,000; NHS (27-24) x 150 = 450; LA (90-70) x 80 = 1,600 -> 10,050.
    r = cost_savings(USE, COSTS, comparison_change=-0.10, programme_cost=5000)
    assert r.net_saving == pytest.approx(10050)
    assert r.net_ratio == pytest.approx(10050 / 5000)
    assert r.basis == "net (comparison group)"
    assert "NET of the counterfactual" in r.summary()


def test_net_with_comparison_change_per_service():
    change = {"police call-out": 0.0, "A&E visit": -0.5, "social worker visit": 0.0}
    r = cost_savings(USE, COSTS, comparison_change=change)
    # Police 10,000; NHS (15-24) x 150 = -1,350; LA 2,400
    assert r.net_saving == pytest.approx(11050)


def test_net_with_deadweight():
    r = cost_savings(USE, COSTS, deadweight=0.4)
    assert r.net_saving == pytest.approx(13300 * 0.6)
    assert r.basis == "net (deadweight)"


def test_bad_input():
    with pytest.raises(ParameterError, match=r"deadweight must lie in \[0.0, 1.0\]; got 1.4"):
        cost_savings(USE, COSTS, deadweight=1.4)
    with pytest.raises(ParameterError, match="either comparison_change or deadweight, not both"):
        cost_savings(USE, COSTS, deadweight=0.1, comparison_change=-0.1)
    bad_agency = COSTS.assign(agency=["Police", "NHS", "Hogwarts"])
    with pytest.raises(ParameterError, match=r"agency'? 'Hogwarts' is not a known agency"):
        cost_savings(USE, bad_agency, deadweight=0.1)
    with pytest.raises(DataError, match=r"service 'A&E visit' in service_use has no unit cost"):
        cost_savings(USE, COSTS.iloc[[0, 2]], deadweight=0.1)
    negative = USE.assign(after=[20, -1, 70])
    with pytest.raises(DataError, match=r"column 'after' in service_use, row 1: value -1"):
        cost_savings(negative, COSTS, deadweight=0.1)
    with pytest.raises(DataError, match=r"missing column\(s\) 'before'"):
        cost_savings(USE.drop(columns="before"), COSTS, deadweight=0.1)
    with pytest.raises(ParameterError, match=r"comparison_change has no value for service"):
        cost_savings(USE, COSTS, comparison_change={"A&E visit": 0.0})


# Four agencies, the result's text in full, and every input error by name ---------------------

USE4 = pd.DataFrame(
    {
        "service": ["police call-out", "A&E visit", "social worker visit", "school exclusion"],
        "before": [40, 30, 100, 10],
        "after": [20, 24, 70, 8],
    }
)
COSTS4 = pd.DataFrame(
    {
        "service": ["police call-out", "A&E visit", "social worker visit", "school exclusion"],
        "agency": ["Police", "NHS", "council", "DfE"],
        "unit_cost": [500.0, 150.0, 80.0, 300.0],
    }
)
# By hand: Police (40-20) x 500 = 10,000; NHS (30-24) x 150 = 900; Local authority
# (100-70) x 80 = 2,400; DfE (10-8) x 300 = 600; total 13,900.
GROSS_LINE = (
    "Cost of service use fell by £13,900{prices} between before and after (GROSS: the change "
    "among participants, before allowing for what would have happened anyway)."
)
TOP3 = "Largest gross savings: Police £10,000; Local authority £2,400; NHS £900."


def test_gross_summary_lists_the_three_largest_agencies():
    with pytest.warns(EvidenceWarning) as caught:
        r = cost_savings(USE4, COSTS4, price_year="2015/16")
    assert str(caught[0].message) == (
        "no comparison group or deadweight given: the savings are GROSS (a before/after change), "
        "not savings caused by the programme"
    )
    assert (r.price_year, r.counterfactual, r.programme_cost) == ("2015/16", "none", None)
    assert r.method == "service use before minus after, times unit cost by agency"
    assert r.summary() == " ".join(
        [
            GROSS_LINE.format(prices=" in 2015/16 prices"),
            "No comparison group or deadweight was given, so this is NOT an impact estimate and "
            "must not be reported as savings caused by the programme.",
            TOP3,
        ]
    )
    # by agency, in alphabetical order of the canonical names
    assert r.by_agency.to_dict("list") == {
        "agency": ["Department for Education", "Local authority", "NHS", "Police"],
        "gross_saving": [600.0, 2400.0, 900.0, 10000.0],
    }
    assert list(r.by_service.columns) == [
        "service",
        "before",
        "after",
        "agency",
        "unit_cost",
        "gross_saving",
    ]


def test_net_summaries_in_full():
    # Comparison group use fell 10%, so expected after = 0.9 x before:
    # Police (36-20) x 500 = 8,000; NHS (27-24) x 150 = 450; LA (90-70) x 80 = 1,600;
    # DfE (9-8) x 300 = 300; total 10,350; per £5,000 spent: 2.07.
    r = cost_savings(USE4, COSTS4, comparison_change=-0.10, programme_cost=5000)
    assert r.counterfactual == "change in use in a comparison group"
    assert r.method == (
        "service use before minus after, times unit cost by agency, net of change in use in a "
        "comparison group"
    )
    assert r.by_agency["net_saving"].tolist() == pytest.approx([300, 1600, 450, 8000])
    assert r.summary() == " ".join(
        [
            GROSS_LINE.format(prices=""),
            "NET of the counterfactual (change in use in a comparison group): £10,350.",
            "Against a programme cost of £5,000 that is £2.07 of net savings per £1 spent.",
            TOP3,
        ]
    )
    # Deadweight 25%: 13,900 x 0.75 = 10,425; per £10,000 spent: 1.0425.
    r = cost_savings(USE4, COSTS4, deadweight=0.25, programme_cost=10_000)
    assert r.counterfactual == "deadweight 25%"
    assert r.method.endswith(", net of deadweight 25%")
    assert r.summary() == " ".join(
        [
            GROSS_LINE.format(prices=""),
            "NET of the counterfactual (deadweight 25%): £10,425.",
            "Against a programme cost of £10,000 that is £1.04 of net savings per £1 spent.",
            TOP3,
        ]
    )


def test_comparison_change_of_minus_one_is_allowed():
    # -1 means the comparison group stopped using services altogether: expected after = 0.
    r = cost_savings(USE, COSTS, comparison_change=-1.0)
    # net = (0 - after) x unit cost = -(20 x 500 + 24 x 150 + 70 x 80) = -19,200
    assert r.net_saving == pytest.approx(-19200)


@pytest.mark.parametrize(
    ("use", "costs", "kwargs", "error", "message"),
    [
        (
            USE4.drop(columns="after"),
            COSTS4,
            {},
            DataError,
            "missing column(s) 'after' in service_use; expected them among the columns, found: "
            "service, before",
        ),
        (
            USE4,
            COSTS4.drop(columns="agency"),
            {},
            DataError,
            "missing column(s) 'agency' in unit_costs; expected them among the columns, found: "
            "service, unit_cost",
        ),
        (
            USE4.assign(before=[1, None, 3, 4]),
            COSTS4,
            {},
            DataError,
            "column 'before' in service_use, row 1: value is missing",
        ),
        (
            USE4.assign(after=[1, None, 3, 4]),
            COSTS4,
            {},
            DataError,
            "column 'after' in service_use, row 1: value is missing",
        ),
        (
            USE4,
            COSTS4.assign(unit_cost=[1, None, 3, 4]),
            {},
            DataError,
            "column 'unit_cost' in unit_costs, row 1: value is missing",
        ),
        (
            USE4.assign(after=[0, -1, 3, 4]),
            COSTS4,
            {},
            DataError,
            "column 'after' in service_use, row 1: value -1 is negative; expected a count of "
            "service use >= 0",
        ),
        (
            USE4,
            pd.concat([COSTS4, COSTS4.iloc[[1, 2]]]),
            {},
            DataError,
            "unit_costs lists service 'A&E visit' more than once; expected one unit cost per "
            "service",
        ),
        (
            USE4,
            COSTS4.iloc[[0, 2]],
            {},
            DataError,
            "service 'A&E visit' in service_use has no unit cost; expected a row for it in "
            "unit_costs (services there: police call-out, social worker visit)",
        ),
        (
            USE4,
            COSTS4,
            {"comparison_change": -1.5},
            ParameterError,
            "comparison_change must lie in [-1.0, inf]; got -1.5",
        ),
        (
            USE4,
            COSTS4,
            {"comparison_change": {"police call-out": 0.0}},
            ParameterError,
            "comparison_change has no value for service 'A&E visit'; expected one per service",
        ),
        (
            USE4,
            COSTS4,
            {"deadweight": 0.1, "comparison_change": -0.1},
            ParameterError,
            "give either comparison_change or deadweight, not both; got comparison_change=-0.1, "
            "deadweight=0.1",
        ),
        (
            USE4,
            COSTS4,
            {"deadweight": 0.1, "programme_cost": 0},
            ParameterError,
            "programme_cost must lie in (0, inf]; got 0",
        ),
    ],
)
def test_input_errors_in_full(use, costs, kwargs, error, message):
    with pytest.raises(error) as err:
        cost_savings(use, costs, **kwargs)
    assert str(err.value) == message


def test_unknown_agency_names_the_unit_costs_column():
    bad = COSTS4.assign(agency=["Police", "NHS", "council", "Hogwarts"])
    with pytest.raises(ParameterError, match=r"^unit_costs 'agency' 'Hogwarts' is not a known"):
        cost_savings(USE4, bad, deadweight=0.1)


def test_programme_cost_of_one_pound_or_less_is_accepted():
    r = cost_savings(USE, COSTS, deadweight=0.0, programme_cost=0.5)
    assert r.net_ratio == pytest.approx(13300 / 0.5)


def test_missing_unit_cost_lists_the_first_ten_services():
    names = [f"service {k:02d}" for k in range(12)]
    use = pd.DataFrame({"service": ["other"], "before": [2], "after": [1]})
    costs = pd.DataFrame({"service": names, "agency": ["NHS"] * 12, "unit_cost": [1.0] * 12})
    with pytest.raises(DataError) as err:
        cost_savings(use, costs, deadweight=0.1)
    assert str(err.value).endswith(f"(services there: {', '.join(names[:10])})")
