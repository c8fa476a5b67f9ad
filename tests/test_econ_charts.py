"""Charts: each returns a Figure and alt text stating the key numbers."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
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
from evalkit.exceptions import DataError, ParameterError
from evalkit.plots import PALETTE, figure_html
from test_econ_cba import OUTCOME, hand_spec, issue_spec
from test_econ_sensitivity import _hand_roi


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


# What each chart draws, checked against the numbers worked by hand in test_econ_cba ------------


def _rgba(colour):
    return to_rgba(colour)


def test_benefits_by_agency_draws_stacked_bars_by_hand():
    # hand_spec: 13.5 successes in year 1 and 6.75 in year 2; Local authority 1,000 and NHS 500
    # a success: LA bars 0, 13,500, 6,750; NHS bars 0, 6,750, 3,375 stacked on top of LA's.
    result = CostBenefitModel.from_dict(hand_spec()).appraise()
    fig, alt = benefits_by_agency_chart(result)
    ax = fig.axes[0]
    bars = [(p.get_x() + p.get_width() / 2, p.get_y(), p.get_height()) for p in ax.patches]
    np.testing.assert_allclose(
        bars,
        [(0, 0, 0), (1, 0, 13500), (2, 0, 6750), (0, 0, 0), (1, 13500, 6750), (2, 6750, 3375)],
        atol=1e-9,
    )
    assert [p.get_facecolor() for p in ax.patches] == [_rgba(PALETTE[0])] * 3 + [
        _rgba(PALETTE[1])
    ] * 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Local authority", "NHS"]
    assert ax.get_legend()._loc == 1  # "upper right"
    assert ax.get_title() == "Who benefits, and when"
    assert ax.get_xlabel() == "Year (0 = first year of the programme)"
    assert ax.get_ylabel() == "Fiscal benefit (2024 prices)"
    assert ax.yaxis.get_major_formatter()(-1500, 0) == "-£1,500"  # money axis
    # PV: LA 1000 x 17.851240 = 17,851; NHS 8,926; peak year 1: 13.5 x 1,500 = 20,250.
    assert alt == (
        "Stacked bar chart of fiscal benefits by year and agency, 2024 prices. Present values: "
        "Local authority £17,851; NHS £8,926. Benefits peak in year 1 at £20,250."
    )


def test_benefits_chart_needs_fiscal_values():
    spec = hand_spec()
    spec["outcomes"][0]["values"] = {"economic": 200}
    result = CostBenefitModel.from_dict(spec).appraise()
    with pytest.raises(ParameterError) as err:
        benefits_by_agency_chart(result)
    assert str(err.value) == "the appraisal has no fiscal benefits to chart (no fiscal values)"


def test_payback_chart_draws_the_cumulative_line_and_payback_by_hand():
    # Cumulative net fiscal PV: -21,000; -2,590.91; 5,776.86; payback 1 + 2590.91/8367.77.
    result = CostBenefitModel.from_dict(hand_spec()).appraise()
    payback = 1 + 2590.909 / 8367.769
    fig, alt = payback_chart(result)
    ax = fig.axes[0]
    line, zero, crossing = ax.lines
    np.testing.assert_allclose(
        line.get_xydata(), [[0, -21000], [1, -2590.909], [2, 5776.860]], atol=1e-3
    )
    assert line.get_marker() == "o" and line.get_color() == PALETTE[0]
    assert list(zero.get_ydata()) == [0, 0]
    assert (zero.get_color(), zero.get_linewidth()) == (PALETTE[7], 1)
    assert list(crossing.get_xdata()) == pytest.approx([payback, payback], abs=1e-5)
    assert (crossing.get_color(), crossing.get_linestyle()) == (PALETTE[5], "--")
    (note,) = ax.texts
    assert note.get_text() == "pays back at 1.3 years"
    assert note.xy == pytest.approx((payback, 0), abs=1e-5)
    assert (note.xyann, note.anncoords) == ((5, 10), "offset points")
    assert ax.get_title() == "Payback: discounted fiscal benefits minus costs"
    assert ax.get_xlabel() == "Year (0 = first year of the programme)"
    assert ax.get_ylabel() == "Cumulative net fiscal value, PV (2024 prices)"
    assert ax.yaxis.get_major_formatter()(-1500, 0) == "-£1,500"
    assert alt == (
        "Line chart of cumulative discounted fiscal benefits minus costs by year. It starts at "
        "-£21,000 in year 0 and ends at £5,777 in year 2. It crosses zero (pays back) at 1.3 "
        "years."
    )


def test_payback_chart_without_payback_has_no_marker():
    result = CostBenefitModel.from_dict(issue_spec()).appraise()
    fig, alt = payback_chart(result)
    assert len(fig.axes[0].lines) == 2 and not fig.axes[0].texts
    assert alt.endswith(". It stays below zero: no payback within 10 years.")


def test_tornado_chart_bars_start_at_the_base_by_hand():
    model = CostBenefitModel.from_dict(hand_spec())
    ranges = {
        "engagement_rate": (0.25, 0.75),
        "staff.amount": (10_000, 40_000),
        "fewer crises.deadweight": (0.0, 0.5),
        "fewer crises.drop_off": (0.0, 1.0),
    }
    table = one_way(model, ranges)
    fig, alt = tornado_chart(table)
    ax = fig.axes[0]
    base = _hand_roi()
    # Returns at each end of each range written out by hand (_hand_roi); the bars are drawn
    # smallest swing at the bottom.
    ends = {
        "fewer crises.drop_off": (_hand_roi(drop_off=0), _hand_roi(drop_off=1)),
        "fewer crises.deadweight": (_hand_roi(deadweight=0), _hand_roi(deadweight=0.5)),
        "engagement_rate": (_hand_roi(0.25), _hand_roi(0.75)),
        "staff.amount": (_hand_roi(amount=1e4), _hand_roi(amount=4e4)),
    }
    order = sorted(ends, key=lambda k: abs(ends[k][1] - ends[k][0]))
    assert [t.get_text() for t in ax.get_yticklabels()] == order
    low_bars, high_bars = ax.patches[:4], ax.patches[4:]
    for y, name in enumerate(order):
        for bar, end, colour in ((low_bars[y], ends[name][0], 5), (high_bars[y], ends[name][1], 0)):
            assert bar.get_y() + bar.get_height() / 2 == pytest.approx(y)
            assert bar.get_x() == pytest.approx(base)
            assert bar.get_width() == pytest.approx(end - base)
            assert bar.get_facecolor() == _rgba(PALETTE[colour])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["at low value", "at high value"]
    assert ax.get_legend()._loc == 4  # "lower right"
    (centre,) = ax.lines
    assert list(centre.get_xdata()) == pytest.approx([base, base])
    assert (centre.get_color(), centre.get_linewidth()) == (PALETTE[7], 1)
    assert ax.get_xlabel() == "financial roi"
    assert ax.get_title() == "Which assumptions matter most"
    # height max(3, 0.45 x 4 rows + 1.5) = 3.3 inches
    assert fig.get_size_inches()[1] == pytest.approx(3.3)
    lo, hi = ends["staff.amount"]
    rest = "; ".join(f"{k}: {ends[k][0]:.2f} to {ends[k][1]:.2f}" for k in reversed(order[:-1]))
    assert alt == (
        f"Tornado chart of financial roi (base {base:.2f}) as each assumption moves across its "
        f"range. Largest effect: staff.amount ({lo:.2f} to {hi:.2f}). {rest}"
    )
    # top=3 drops the smallest swing (drop-off); the alt text lists the other two after the
    # largest, in decreasing order of swing
    _, top3 = tornado_chart(table, top=3)
    rest3 = "; ".join(f"{k}: {ends[k][0]:.2f} to {ends[k][1]:.2f}" for k in reversed(order[1:-1]))
    assert top3.endswith(f"Largest effect: staff.amount ({lo:.2f} to {hi:.2f}). {rest3}")
    # top=2 keeps the two largest swings
    _, top2 = tornado_chart(table, top=2)
    assert "Largest effect: staff.amount" in top2 and "drop_off" not in top2


def test_chart_inputs_are_checked_by_name():
    with pytest.raises(DataError, match=r"missing column\(s\) 'swing' in one-way sensitivity"):
        tornado_chart(
            pd.DataFrame({"parameter": ["a"], "base": [1.0]}).assign(
                at_low=1, at_high=1, metric="m"
            )
        )
    model = CostBenefitModel.from_dict(hand_spec())
    mc = monte_carlo(model, {"engagement_rate": stats.uniform(0, 1)}, n=20, seed=1)
    with pytest.raises(DataError, match=r"missing column\(s\) 'irr' in Monte Carlo samples"):
        monte_carlo_chart(mc, metric="irr")


def test_monte_carlo_chart_histogram_and_threshold():
    model = CostBenefitModel.from_dict(hand_spec())
    mc = monte_carlo(model, {"engagement_rate": stats.uniform(0, 1)}, n=200, seed=5)
    for metric, threshold in (("financial_roi", 1.0), ("net_present_budget_impact", 0.0)):
        values = mc.samples[metric].to_numpy()
        fig, alt = monte_carlo_chart(mc, metric=metric)
        ax = fig.axes[0]
        assert len(ax.patches) == 50  # 50 bins
        assert ax.patches[0].get_facecolor() == _rgba(PALETTE[0])
        (line,) = ax.lines
        assert list(line.get_xdata()) == [threshold, threshold]
        assert (line.get_color(), line.get_linestyle()) == (PALETTE[5], "--")
        assert ax.get_xlabel() == metric.replace("_", " ")
        assert ax.get_ylabel() == "Number of draws"
        assert ax.get_title() == "How sure are we? Simulated outcomes"
        low, mid, high = np.percentile(values, [5, 50, 95])
        assert alt == (
            f"Histogram of {metric.replace('_', ' ')} over 200 simulated draws: median "
            f"{mid:.2f}, 90% of draws between {low:.2f} and {high:.2f}; "
            f"{np.mean(values < threshold):.0%} of draws fall below {threshold:g}."
        )
        plt.close(fig)
