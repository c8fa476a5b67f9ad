"""Charts for the social value report, in the house style (:mod:`evalkit.plots`).

Each function returns ``(figure, alt_text)``; the alt text states the numbers that matter. Show
them with :func:`evalkit.plots.show_figure` or embed them with :func:`evalkit.plots.figure_html`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.plots import PALETTE, new_figure
from evalkit.social_value.scoring import BidScores, WeightingSensitivity
from evalkit.social_value.value import SocialValueResult, money

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["bid_value_chart", "delivery_chart", "score_chart", "sensitivity_chart"]


def _millions(x: float, _pos: object = None) -> str:
    return f"{x / 1e6:,.1f}"


def bid_value_chart(values: SocialValueResult, tender: str) -> tuple[Figure, str]:
    """Gross and (where assessed) net social value of each bid in a tender, as bars."""
    bids = values.bids[values.bids["tender"] == tender]
    fig, ax = new_figure(height=1.2 + 0.8 * len(bids))
    y = np.arange(len(bids))
    show_net = bool(bids["net_available"].all())
    height = 0.38 if show_net else 0.6
    ax.barh(y, bids["gross_social_value"], height, color=PALETTE[0], label="Gross")
    if show_net:
        ax.barh(y + height, bids["net_social_value"], height, color=PALETTE[1], label="Net")
    for i, row in enumerate(bids.itertuples()):
        ax.annotate(
            money(row.gross_social_value),
            (row.gross_social_value, i),
            xytext=(3, -4),
            textcoords="offset points",
        )
        if show_net:
            ax.annotate(
                money(row.net_social_value),
                (row.net_social_value, i + height),
                xytext=(3, -4),
                textcoords="offset points",
            )
    ax.set_yticks(y + (height / 2 if show_net else 0), bids["bidder"])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_millions)
    ax.set_xlabel(f"Social value committed, £ million ({values.price_year} prices)")
    ax.set_title("Social value committed by each bid")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlim(0, float(bids["gross_social_value"].max()) * 1.3 or 1)
    figures = "; ".join(
        f"{r.bidder}: gross {money(r.gross_social_value)}"
        + (f", net {money(r.net_social_value)}" if show_net else "")
        for r in bids.itertuples()
    )
    label = (
        "gross and net of deadweight, displacement and attribution"
        if show_net
        else "gross only (net not assessed)"
    )
    alt = (
        f"Bar chart of the social value each bid in {tender} commits, {values.price_year} "
        f"prices, {label}. {figures}."
    )
    return fig, alt


def score_chart(scores: BidScores, tender: str) -> tuple[Figure, str]:
    """Points for price, quality and social value of each bid, stacked to the total."""
    table = scores.table[scores.table["tender"] == tender].sort_values("rank")
    fig, ax = new_figure(height=1.2 + 0.7 * len(table))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    parts = (
        ("price_points", "Price"),
        ("quality_points", "Quality"),
        ("social_value_points", "Social value"),
    )
    for i, (col, label) in enumerate(parts):
        ax.barh(y, table[col], left=left, color=PALETTE[i], label=label)
        left += table[col].to_numpy()
    for i, total in enumerate(table["total"]):
        ax.annotate(f"{total:.1f}", (total, i), xytext=(3, -4), textcoords="offset points")
    ax.set_yticks(y, table["bidder"])
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("Points out of 100")
    ax.set_title(f"Combined score ({scores.basis} social value)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figures = "; ".join(
        f"{r.rank}. {r.bidder} {r.total:.1f} (price {r.price_points:.1f}, quality "
        f"{r.quality_points:.1f}, social value {r.social_value_points:.1f})"
        for r in table.itertuples()
    )
    alt = (
        f"Stacked bar chart of combined scores out of 100 in {tender}, weights price "
        f"{scores.price_weight:.0%}, quality {scores.quality_weight:.0%}, social value "
        f"{scores.social_value_weight:.0%} on {scores.basis} value. {figures}."
    )
    return fig, alt


def sensitivity_chart(sensitivity: WeightingSensitivity, tender: str) -> tuple[Figure, str]:
    """Each bid's total score against the social value weighting (solid gross, dashed net)."""
    table = sensitivity.table[sensitivity.table["tender"] == tender]
    fig, ax = new_figure()
    styles = {"gross": ("-", "o"), "net": ("--", "s")}
    for i, (bidder, rows) in enumerate(table.groupby("bidder", sort=False)):
        for basis, part in rows.groupby("basis", sort=False):
            line, marker = styles[basis]
            ax.plot(
                100 * part["social_value_weight"],
                part["total"],
                line,
                marker=marker,
                color=PALETTE[i % len(PALETTE)],
                label=f"{bidder} ({basis})",
            )
    ax.set_xlabel("Social value weighting, % of the total score")
    ax.set_ylabel("Total score out of 100")
    ax.set_title("How the ranking moves with the social value weighting")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    winners = sensitivity.winners[sensitivity.winners["tender"] == tender]
    text = "; ".join(
        f"{r.social_value_weight:.0%} {r.basis}: {r.winner}" for r in winners.itertuples()
    )
    alt = (
        f"Line chart of each bid's total score in {tender} as the social value weighting rises, "
        f"solid lines on gross and dashed on net social value. Leading bid at each weighting: "
        f"{text}."
    )
    return fig, alt


def delivery_chart(by_period: pd.DataFrame, contract: str, price_year: str) -> tuple[Figure, str]:
    """Committed against counted (evidenced) gross value by period for one contract."""
    rows = by_period[by_period["contract"] == contract]
    fig, ax = new_figure()
    x = np.arange(len(rows))
    ax.bar(x - 0.2, rows["gross_committed_value"], 0.4, color=PALETTE[0], label="Committed")
    ax.bar(x + 0.2, rows["gross_counted_value"], 0.4, color=PALETTE[2], label="Delivered (counted)")
    for i, r in enumerate(rows.itertuples()):
        ax.annotate(
            money(r.gross_committed_value),
            (i - 0.2, r.gross_committed_value),
            ha="center",
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
        )
        ax.annotate(
            money(r.gross_counted_value),
            (i + 0.2, r.gross_counted_value),
            ha="center",
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xticks(x, rows["period"])
    ax.yaxis.set_major_formatter(_millions)
    ax.set_ylabel(f"Gross social value, £ million ({price_year} prices)")
    ax.set_title("Social value committed and delivered")
    ax.legend(loc="upper left")
    text = "; ".join(
        f"{r.period}: committed {money(r.gross_committed_value)}, counted as delivered "
        f"{money(r.gross_counted_value)}"
        for r in rows.itertuples()
    )
    alt = (
        f"Bar chart of gross social value committed and delivered for {contract}, "
        f"{price_year} prices. {text}."
    )
    return fig, alt
