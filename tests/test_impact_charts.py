"""Tests for evalkit.impact.charts: charts come with alt text that states their numbers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evalkit.impact import event_study, event_study_chart, its, its_chart
from evalkit.plots import figure_html

FIXTURES = Path(__file__).parent / "fixtures" / "impact"


def test_its_chart_alt_text_states_level_change():
    sicily = pd.read_csv(FIXTURES / "sicily.csv")
    res = its(sicily, "aces", "time", 37, family="quasipoisson", offset="stdpop")
    fig, alt = its_chart(res)
    lc = res.level_change
    assert f"{lc.estimate:.3f}" in alt and "(rate ratio)" in alt
    assert len(fig.axes[0].lines) >= 3
    assert 'alt="aces over time' in figure_html(fig, alt)


def test_event_study_chart_alt_text_states_ranges():
    rng = np.random.default_rng(0)
    rows = [
        {"u": u, "t": t, "g": [np.nan, 5][u % 2], "y": rng.normal() + (u % 2) * (t >= 5)}
        for u in range(20)
        for t in range(10)
    ]
    res = event_study(pd.DataFrame(rows), "y", "u", "t", "g")
    fig, alt = event_study_chart(res)
    post = res.table[res.table["event_time"] >= 0]["estimate"]
    assert "from launch they range from" in alt and "p = " in alt
    assert f"{post.max():.2f}"[:3] in alt
    plt.close(fig)
