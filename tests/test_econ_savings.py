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
