"""Charts for impact results in the house style, each returned with alt text stating its numbers.

Use with :func:`evalkit.plots.show_figure` in a notebook::

    fig, alt = its_chart(result)
    show_figure(fig, alt)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.impact.did import EventStudyResult
from evalkit.impact.its import ITSResult
from evalkit.impact.result import fmt
from evalkit.impact.staggered import StaggeredResult
from evalkit.plots import PALETTE, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["event_study_chart", "its_chart"]


def event_study_chart(result: EventStudyResult | StaggeredResult) -> tuple[Figure, str]:
    """Effects by period relative to launch with 95% intervals, launch marked.

    Works for :func:`~evalkit.impact.event_study` (its ``table``) and for
    :func:`~evalkit.impact.staggered_did` (its ``dynamic`` aggregation).
    """
    table = result.table if isinstance(result, EventStudyResult) else result.dynamic
    fig, ax = new_figure()
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=0.8)
    before = table["event_time"] < 0
    for mask, colour, label in (
        (before, PALETTE[1], "before launch"),
        (~before, PALETTE[2], "from launch"),
    ):
        part = table[mask]
        ax.errorbar(
            part["event_time"],
            part["estimate"],
            yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
            fmt="o",
            color=colour,
            capsize=3,
            label=label,
        )
    ax.set_xlabel("Periods relative to launch")
    ax.set_ylabel(f"Effect on {result.outcome}")
    ax.legend(frameon=False)
    pre, post = table[before], table[~before]
    alt = (
        f"Estimated effect of the service on {result.outcome} by period relative to launch, "
        f"with 95% intervals. Before launch the estimates range from {fmt(pre['estimate'].min())} "
        f"to {fmt(pre['estimate'].max())}; from launch they range from "
        f"{fmt(post['estimate'].min())} to {fmt(post['estimate'].max())}."
    )
    if isinstance(result, EventStudyResult) and result.pretrend_p is not None:
        alt += f" Joint test of the pre-launch effects: p = {result.pretrend_p:.3f}."
    return fig, alt


def its_chart(result: ITSResult, label: str | None = None) -> tuple[Figure, str]:
    """Observed series, fitted segmented trend, and the counterfactual after the start.

    ``label`` names the series in words (default: the result's outcome column).
    """
    label = label or result.outcome
    cf = result.counterfactual
    fig, ax = new_figure()
    ax.plot(cf["time"], cf["observed"], "o", color=PALETTE[0], markersize=3, label="observed")
    ax.plot(cf["time"], cf["fitted"], color=PALETTE[2], label="fitted")
    post = cf[cf["post"]]
    ax.plot(
        post["time"],
        post["counterfactual"],
        "--",
        color=PALETTE[1],
        label="without the service (counterfactual)",
    )
    ax.axvline(post["time"].iloc[0], color="grey", linestyle=":", linewidth=0.8)
    if cf[["observed", "fitted", "counterfactual"]].min().min() >= 0:
        ax.set_ylim(bottom=0)  # from zero: a cropped axis would exaggerate the change
    ax.set_xlabel("Time")
    ax.set_ylabel(label)
    ax.legend(frameon=False)
    lc = result.level_change
    last = post.iloc[-1]
    alt = (
        f"{label} over time with the fitted trend and, from the start of the service, "
        f"the trend expected without it. In the last period the fitted value is "
        f"{fmt(last['fitted'])} against {fmt(last['counterfactual'])} without the service. "
        f"Immediate change at the start: {fmt(lc.estimate)}"
        f"{' (rate ratio)' if lc.scale == 'rate ratio' else ''}, 95% CI {fmt(lc.ci_low)} to "
        f"{fmt(lc.ci_high)}."
    )
    return fig, alt
