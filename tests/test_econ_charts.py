"""Charts: each returns a Figure and alt text stating the key numbers."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from scipy import stats

from evalkit.econ import (
    CostBenefitModel,
    benefits_by_agency_chart,
    monte_carlo,
    monte_carlo_chart,
    one_way,
    payback_chart,
    tornado_chart,
)
from evalkit.plots import figure_html
from test_econ_cba import OUTCOME, hand_spec, issue_spec


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_benefits_by_agency():
    result = CostBenefitModel.from_dict(hand_spec()).appraise()
    fig, alt = benefits_by_agency_chart(result)
    assert isinstance(fig, Figure)
    assert "Local authority £17,851" in alt and "NHS £8,926" in alt and "year 1" in alt
    assert "<img" in figure_html(fig, alt)


def test_payback_chart_states_payback():
    result = CostBenefitModel.from_dict(hand_spec()).appraise()
    _, alt = payback_chart(result)
    assert "-£21,000 in year 0" in alt and "1.3 years" in alt
    never = CostBenefitModel.from_dict(issue_spec()).appraise()
    _, alt = payback_chart(never)
    assert "no payback within 10 years" in alt


def test_tornado_chart():
    model = CostBenefitModel.from_dict(issue_spec())
    table = one_way(model, {"engagement_rate": (0.5, 0.9), "delivery.amount": (2e5, 3e5)})
    fig, alt = tornado_chart(table)
    assert isinstance(fig, Figure)
    assert "Largest effect: engagement_rate (0.62 to 1.12)" in alt
    assert "delivery.amount: 1.17 to 0.78" in alt


def test_monte_carlo_chart():
    model = CostBenefitModel.from_dict(issue_spec())
    mc = monte_carlo(model, {f"{OUTCOME}.success_rate": stats.uniform(0.3, 0.2)}, n=500, seed=3)
    fig, alt = monte_carlo_chart(mc)
    assert isinstance(fig, Figure)
    assert "500 simulated draws" in alt
    assert f"{mc.prob_roi_below_1:.0%} of draws fall below 1" in alt
