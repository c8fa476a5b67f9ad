"""Charts for value-for-money reports, in the house style (:mod:`evalkit.plots`).

Each function returns ``(figure, alt_text)``; the alt text states the numbers that matter. Show
them with :func:`evalkit.plots.show_figure` or embed them with :func:`evalkit.plots.figure_html`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit._validate import require_columns
from evalkit.econ.cba import CostBenefitResult
from evalkit.econ.sensitivity import MonteCarloResult
from evalkit.exceptions import ParameterError
from evalkit.plots import PALETTE, money_axis, new_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["benefits_by_agency_chart", "monte_carlo_chart", "payback_chart", "tornado_chart"]


def _money(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def benefits_by_agency_chart(result: CostBenefitResult) -> tuple[Figure, str]:
    """Stacked bars of fiscal benefits by year, one colour per agency (real terms, undiscounted)."""
    table = result.by_agency_year
    if table.empty:
        raise ParameterError("the appraisal has no fiscal benefits to chart (no fiscal values)")
    wide = table.pivot_table(index="year", columns="agency", values="fiscal", aggfunc="sum")
    fig, ax = new_figure()
    bottom = np.zeros(len(wide))
    for i, agency in enumerate(wide.columns):
        ax.bar(
            wide.index, wide[agency], bottom=bottom, label=agency, color=PALETTE[i % len(PALETTE)]
        )
        bottom += wide[agency].to_numpy()
    ax.set_xlabel("Year (0 = first year of the programme)")
    ax.set_ylabel(f"Fiscal benefit ({result.price_year} prices)")
    money_axis(ax.yaxis)
    ax.set_title("Who benefits, and when")
    ax.legend(loc="upper right")
    totals = table.groupby("agency")["pv_fiscal"].sum().sort_values(ascending=False)
    peak_year = int(wide.sum(axis=1).idxmax())
    alt = (
        f"Stacked bar chart of fiscal benefits by year and agency, {result.price_year} prices. "
        f"Present values: "
        + "; ".join(f"{a} {_money(v)}" for a, v in totals.items())
        + f". Benefits peak in year {peak_year} at {_money(wide.sum(axis=1).max())}."
    )
    return fig, alt


def payback_chart(result: CostBenefitResult) -> tuple[Figure, str]:
    """Cumulative discounted fiscal benefit minus cost by year, with the payback point."""
    by_year = result.by_year
    fig, ax = new_figure()
    ax.plot(by_year["year"], by_year["cumulative_net_fiscal_pv"], marker="o", color=PALETTE[0])
    ax.axhline(0, color=PALETTE[7], linewidth=1)
    if result.payback_years is not None:
        ax.axvline(result.payback_years, color=PALETTE[5], linestyle="--")
        ax.annotate(
            f"pays back at {result.payback_years:.1f} years",
            (result.payback_years, 0),
            xytext=(5, 10),
            textcoords="offset points",
        )
    ax.set_xlabel("Year (0 = first year of the programme)")
    ax.set_ylabel(f"Cumulative net fiscal value, PV ({result.price_year} prices)")
    money_axis(ax.yaxis)
    ax.set_title("Payback: discounted fiscal benefits minus costs")
    end = float(by_year["cumulative_net_fiscal_pv"].iloc[-1])
    when = (
        f"It crosses zero (pays back) at {result.payback_years:.1f} years"
        if result.payback_years is not None
        else f"It stays below zero: no payback within {result.horizon_years} years"
    )
    alt = (
        f"Line chart of cumulative discounted fiscal benefits minus costs by year. It starts at "
        f"{_money(float(by_year['cumulative_net_fiscal_pv'].iloc[0]))} in year 0 and ends at "
        f"{_money(end)} in year {int(by_year['year'].iloc[-1])}. {when}."
    )
    return fig, alt


def tornado_chart(table: pd.DataFrame, *, top: int = 10) -> tuple[Figure, str]:
    """Tornado chart of a :func:`~evalkit.econ.sensitivity.one_way` table (largest swing on top)."""
    require_columns(
        table,
        ["parameter", "base", "at_low", "at_high", "swing", "metric"],
        source="one-way sensitivity table",
    )
    rows = table.sort_values("swing", ascending=True).tail(top)
    base = float(rows["base"].iloc[0])
    metric = str(rows["metric"].iloc[0])
    fig, ax = new_figure(height=max(3.0, 0.45 * len(rows) + 1.5))
    y = np.arange(len(rows))
    ax.barh(y, rows["at_low"] - base, left=base, color=PALETTE[5], label="at low value")
    ax.barh(y, rows["at_high"] - base, left=base, color=PALETTE[0], label="at high value")
    ax.axvline(base, color=PALETTE[7], linewidth=1)
    ax.set_yticks(y, rows["parameter"])
    ax.set_xlabel(metric.replace("_", " "))
    ax.set_title("Which assumptions matter most")
    ax.legend(loc="lower right")
    first = rows.iloc[-1]
    alt = (
        f"Tornado chart of {metric.replace('_', ' ')} (base {base:.2f}) as each assumption moves "
        f"across its range. Largest effect: {first['parameter']} ({first['at_low']:.2f} to "
        f"{first['at_high']:.2f}). "
        + "; ".join(
            f"{r.parameter}: {r.at_low:.2f} to {r.at_high:.2f}"
            for r in rows.iloc[-2::-1].itertuples()
        )
    )
    return fig, alt


def monte_carlo_chart(
    result: MonteCarloResult, *, metric: str = "financial_roi"
) -> tuple[Figure, str]:
    """Histogram of a Monte Carlo output with the break-even line at 1 (for returns)."""
    require_columns(result.samples, [metric], source="Monte Carlo samples")
    values = result.samples[metric].to_numpy()
    values = values[np.isfinite(values)]
    fig, ax = new_figure()
    ax.hist(values, bins=50, color=PALETTE[0])
    is_return = metric.endswith("roi")
    threshold = 1.0 if is_return else 0.0
    ax.axvline(threshold, color=PALETTE[5], linestyle="--")
    ax.set_xlabel(metric.replace("_", " "))
    ax.set_ylabel("Number of draws")
    ax.set_title("How sure are we? Simulated outcomes")
    low, mid, high = np.percentile(values, [5, 50, 95])
    below = float(np.mean(values < threshold))
    alt = (
        f"Histogram of {metric.replace('_', ' ')} over {result.n:,} simulated draws: median "
        f"{mid:.2f}, 90% of draws between {low:.2f} and {high:.2f}; {below:.0%} of draws fall "
        f"below {threshold:g}."
    )
    return fig, alt
