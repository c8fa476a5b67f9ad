"""Charts and the shared result type on hand-built results: every drawn number and word pinned.

The results are constructed directly (the chart only reads them), so each expected value below
is written out by hand: the alt text, what each plotted artist shows and how, and the plain-English
sentences of :class:`ImpactResult` (``fmt`` gives three significant figures).
"""

from __future__ import annotations

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from evalkit.exceptions import ParameterError
from evalkit.impact import evidence_rating
from evalkit.impact.charts import event_study_chart, its_chart
from evalkit.impact.did import EventStudyResult
from evalkit.impact.its import ITSResult
from evalkit.impact.result import ImpactResult, fmt
from evalkit.impact.staggered import StaggeredResult
from evalkit.plots import PALETTE

TABLE = pd.DataFrame(
    {
        "event_time": [-3, -2, -1, 0, 1, 2],
        "estimate": [0.2, -0.1, 0.0, 1.5, 2.0, 2.5],
        "se": [0.1] * 6,
        "ci_low": [0.0, -0.4, 0.0, 1.0, 1.2, 2.1],
        "ci_high": [0.5, 0.1, 0.0, 1.9, 2.7, 3.0],
    }
)
EVIDENCE = evidence_rating("event_study", comparison_group=True, pre_periods=3)


def _impact(estimate=1.5, se=0.25, low=1.0, high=2.0, scale="difference", evidence=EVIDENCE):
    return ImpactResult(
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=0.01,
        n=60,
        method="hand-made",
        evidence=evidence,
        outcome="calls",
        scale=scale,
    )


def _colour(artist) -> str:
    return to_hex(artist.get_color())


def _hline_vline(ax):
    """The reference lines: drawn first, with axhline then axvline."""
    return ax.lines[0], ax.lines[1]


def _check_event_chart(fig, ax) -> None:
    assert ax.get_xlabel() == "Periods relative to launch"
    assert ax.get_ylabel() == "Effect on calls"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["before launch", "from launch"]
    assert not legend.get_frame_on()
    hline, vline = _hline_vline(ax)
    assert list(hline.get_ydata()) == [0, 0] and list(vline.get_xdata()) == [-0.5, -0.5]
    for line, style in ((hline, "-"), (vline, "--")):
        assert to_hex(line.get_color()) == to_hex("grey")
        assert line.get_linewidth() == 0.8 and line.get_linestyle() == style
    before, after = ax.containers
    for container, colour, times, est, low, high in (
        (before, PALETTE[1], [-3, -2, -1], [0.2, -0.1, 0.0], [0.0, -0.4, 0.0], [0.5, 0.1, 0.0]),
        (after, PALETTE[2], [0, 1, 2], [1.5, 2.0, 2.5], [1.0, 1.2, 2.1], [1.9, 2.7, 3.0]),
    ):
        points, caps, bars = container.lines
        assert list(points.get_xdata()) == times and list(points.get_ydata()) == est
        assert points.get_marker() == "o" and points.get_linestyle() == "None"
        assert _colour(points) == to_hex(colour)
        segments = bars[0].get_segments()
        assert [s[0][1] for s in segments] == pytest.approx(low)
        assert [s[1][1] for s in segments] == pytest.approx(high)
        assert caps[0].get_markersize() == 2 * 3  # capsize 3 points, drawn as markers of 2x
    plt.close(fig)


def test_event_study_chart_by_hand():
    result = EventStudyResult(
        outcome="calls",
        table=TABLE,
        reference=-1,
        pretrend_f=1.2,
        pretrend_df=(2, 40),
        pretrend_p=0.3123,
        n=60,
        method="hand-made",
        evidence=EVIDENCE,
    )
    fig, alt = event_study_chart(result)
    assert alt == (
        "Estimated effect of the service on calls by period relative to launch, with 95% "
        "intervals. Before launch the estimates range from -0.100 to 0.200; from launch they "
        "range from 1.50 to 2.50. Joint test of the pre-launch effects: p = 0.312."
    )
    _check_event_chart(fig, fig.axes[0])
    untested = dataclasses.replace(result, pretrend_p=None)
    _, alt = event_study_chart(untested)
    assert alt.endswith("from launch they range from 1.50 to 2.50.")


def test_event_study_chart_of_a_staggered_result_uses_its_dynamic_table():
    head = _impact()
    result = StaggeredResult(
        **{f.name: getattr(head, f.name) for f in dataclasses.fields(head)},
        att_gt=pd.DataFrame(),
        dynamic=TABLE,
        groups=pd.DataFrame(),
        dynamic_overall=head,
        group_overall=head,
    )
    fig, alt = event_study_chart(result)
    assert alt.endswith("from launch they range from 1.50 to 2.50.")  # no pre-trend test
    _check_event_chart(fig, fig.axes[0])


def _its_result(observed, fitted, counterfactual, scale="difference") -> ITSResult:
    cf = pd.DataFrame(
        {
            "time": [1.0, 2.0, 3.0, 4.0, 5.0],
            "observed": observed,
            "fitted": fitted,
            "counterfactual": counterfactual,
            "post": [False, False, True, True, True],
        }
    )
    level = _impact(estimate=0.8 if scale == "rate ratio" else -2.0, scale=scale, low=-3, high=-1)
    return ITSResult(
        outcome="calls",
        level_change=level,
        slope_change=None,
        counterfactual=cf,
        coefficients=pd.DataFrame(),
        n=5,
        family="gaussian",
        method="hand-made",
        evidence=EVIDENCE,
    )


def test_its_chart_by_hand():
    result = _its_result(
        [10.0, 11.0, 9.0, 9.5, 10.5], [10.2, 10.8, 9.1, 9.6, 10.1], [10.2, 10.8, 11.4, 12.0, 12.6]
    )
    fig, alt = its_chart(result)
    assert alt == (
        "calls over time with the fitted trend and, from the start of the service, the trend "
        "expected without it. In the last period the fitted value is 10.1 against 12.6 without "
        "the service. Immediate change at the start: -2.00, 95% CI -3.00 to -1.00."
    )
    ax = fig.axes[0]
    observed, fitted, counterfactual, start = ax.lines
    assert list(observed.get_xdata()) == [1, 2, 3, 4, 5]
    assert list(observed.get_ydata()) == [10.0, 11.0, 9.0, 9.5, 10.5]
    assert observed.get_marker() == "o" and observed.get_linestyle() == "None"
    assert observed.get_markersize() == 3 and _colour(observed) == to_hex(PALETTE[0])
    assert list(fitted.get_ydata()) == [10.2, 10.8, 9.1, 9.6, 10.1]
    assert list(fitted.get_xdata()) == [1, 2, 3, 4, 5]
    assert _colour(fitted) == to_hex(PALETTE[2])
    assert list(counterfactual.get_xdata()) == [3, 4, 5]
    assert list(counterfactual.get_ydata()) == [11.4, 12.0, 12.6]
    assert counterfactual.get_linestyle() == "--" and _colour(counterfactual) == to_hex(PALETTE[1])
    assert list(start.get_xdata()) == [3, 3] and start.get_linestyle() == ":"
    assert to_hex(start.get_color()) == to_hex("grey") and start.get_linewidth() == 0.8
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "observed",
        "fitted",
        "without the service (counterfactual)",
    ]
    assert not legend.get_frame_on()
    assert ax.get_xlabel() == "Time" and ax.get_ylabel() == "calls"
    assert ax.get_ylim()[0] == 0  # every value >= 0: the axis starts at zero
    plt.close(fig)
    fig, alt = its_chart(result, label="Police call-outs")
    assert alt.startswith("Police call-outs over time") and fig.axes[0].get_ylabel() == (
        "Police call-outs"
    )
    plt.close(fig)


def test_its_chart_axis_not_forced_to_zero_with_negative_or_small_values():
    negative = _its_result([1.0, -1.0, 2.0, 3.0, 2.0], [0.5, 0.5, 2.0, 2.5, 2.5], [0.5] * 5)
    fig, _ = its_chart(negative)
    assert fig.axes[0].get_ylim()[0] < -1
    plt.close(fig)
    small = _its_result([0.5, 0.7, 2.0, 3.0, 2.0], [0.6, 0.6, 2.0, 2.5, 2.5], [0.6] * 5)
    fig, _ = its_chart(small)  # all values >= 0 (some below 1): still from zero
    assert fig.axes[0].get_ylim()[0] == 0
    plt.close(fig)
    ratio = _its_result([0.0, 0.0, 2.0, 3.0, 2.0], [0.0] * 5, [0.0] * 5, scale="rate ratio")
    fig, alt = its_chart(ratio)  # a minimum of exactly 0 still starts from zero
    assert fig.axes[0].get_ylim()[0] == 0
    assert "Immediate change at the start: 0.800 (rate ratio), 95% CI -3.00 to -1.00." in alt
    plt.close(fig)


def test_fmt_three_significant_figures():
    # 0 and non-finite values as they are; otherwise 3 significant figures, thousands commas
    assert [fmt(v) for v in (0, math.inf, 1, 250, 1234.4, 0.012345, -5.5)] == [
        "0",
        "inf",
        "1.00",
        "250",
        "1,234",
        "0.0123",
        "-5.50",
    ]


def test_minimum_detectable_effect_by_hand():
    # Bloom (1995): MDE = (z_{1 - alpha/2} + z_power) SE = (1.959964 + 0.841621) x 0.5 for a 5%
    # test with 80% power; 90% power: 1.959964 + 1.281552; for a rate ratio exp(MDE).
    diff = _impact(se=0.5)
    assert diff.minimum_detectable() == pytest.approx((1.959964 + 0.841621) * 0.5, abs=1e-6)
    assert diff.minimum_detectable(0.9) == pytest.approx((1.959964 + 1.281552) * 0.5, abs=1e-6)
    ninety = dataclasses.replace(diff, ci_level=0.9)  # z_{0.95} = 1.644854
    assert ninety.minimum_detectable() == pytest.approx((1.644854 + 0.841621) * 0.5, abs=1e-6)
    ratio = _impact(estimate=0.8, se=0.1, scale="rate ratio")
    assert ratio.minimum_detectable() == pytest.approx(math.exp(0.2801585), abs=1e-6)
    for bad in (0, 1, 1.5):
        with pytest.raises(ParameterError, match=rf"^power must be between 0 and 1, got {bad}$"):
            diff.minimum_detectable(bad)


def test_effect_sentences_at_no_effect_and_just_above():
    assert _impact(estimate=0.0, low=-1, high=1).effect_sentence() == (
        "The service is estimated to have raised calls by 0 (95% CI -1.00 to 1.00)."
    )
    assert (
        _impact(estimate=0.5, low=0.1, high=0.9)
        .effect_sentence()
        .startswith("The service is estimated to have raised calls by 0.500")
    )
    assert (
        _impact(estimate=-0.5, low=-0.9, high=-0.1)
        .effect_sentence()
        .startswith("The service is estimated to have lowered calls by 0.500")
    )
    same = _impact(estimate=1.0, low=0.9, high=1.1, scale="rate ratio")
    assert same.effect_sentence() == (
        "The service is estimated to have changed the rate of calls by a factor of 1.00 (95% CI "
        "0.900 to 1.10), that is 0% higher."
    )
    up = _impact(estimate=1.005, low=0.9, high=1.1, scale="rate ratio")
    assert up.effect_sentence().endswith("that is 0.500% higher.")
    down = _impact(estimate=0.8, low=0.7, high=0.9, scale="rate ratio")
    assert down.effect_sentence().endswith("that is 20.0% lower.")


def test_level_one_summary_in_full():
    before_after = evidence_rating("before_after")
    result = _impact(estimate=2.0, low=1.0, high=3.0, evidence=before_after)
    assert result.summary() == (
        "calls changed by 2.00 (95% CI 1.00 to 3.00). This is not an impact estimate: with no "
        "comparison group it cannot separate the service's effect from change that would have "
        f"happened anyway. {before_after.summary()} Method: hand-made; n = 60."
    )
    crossing = _impact(estimate=0.5, low=-1.0, high=2.0)
    assert crossing.summary() == (
        f"{crossing.effect_sentence()} {EVIDENCE.summary()} The interval includes no effect, so "
        "we cannot tell whether the service raised or lowered calls. Method: hand-made; n = 60."
    )
    assert np.isfinite(crossing.se)
