"""Who the service reached, and what changed for them (change over time, not impact)."""

from __future__ import annotations

import pandas as pd

from evalkit import narrative
from evalkit.disclosure import is_disclosive, protect_count
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings
from evalkit.reports.sections._html import callout, esc, para, protected_table

__all__ = ["outcomes", "reach"]


def _percent(shares: pd.Series) -> list[str]:
    """Shares (0-1) as whole percentages for a table; blank where not known."""
    return ["" if pd.isna(v) else f"{100 * v:.0f}" for v in shares]


def reach(ctx: ReportContext, f: Findings) -> str:
    """The equity view: who was served against the eligible population, by subgroup."""
    ctx.record("people_served", protect_count(f.n_served, f.policy), label="People served")
    parts = [
        "<h2>Who the service reached</h2>",
        para(
            f"The service worked with {narrative.count_phrase(f.n_served, f.policy)} people in "
            f"{f.locality_name}. The eligible population is everyone assessed as eligible: the "
            f"people served plus {narrative.count_phrase(f.n_comparison, f.policy)} who were "
            "eligible but not served. A group whose share of those served is well below its share "
            "of those eligible may be missing out."
        ),
    ]
    if f.suppressed:
        parts.append(
            callout(
                "So few people used the service here that most figures in this report are suppressed "
                "to protect their privacy."
            )
        )
    for subgroup, rows in f.reach.groupby("subgroup", sort=False):
        table = pd.DataFrame(
            {
                "People served": rows["served"].to_numpy(),
                "Eligible people": rows["eligible"].to_numpy(),
                "Share of those served (%)": _percent(rows["share_served"]),
                "Share of those eligible (%)": _percent(rows["share_eligible"]),
            },
            index=pd.Index(rows["group"], name=str(subgroup)),
        )
        parts.append(f"<h3>By {esc(str(subgroup).lower())}</h3>")
        parts.append(
            protected_table(
                table,
                f.policy,
                counts=["People served", "Eligible people"],
                derived={
                    "Share of those served (%)": ("People served",),
                    "Share of those eligible (%)": ("Eligible people",),
                },
                caption=f"People served and eligible by {str(subgroup).lower()}",
            )
        )
    return "\n".join(parts)


def _indicator_chart(results: pd.DataFrame) -> str:
    fig, ax = new_figure(height=1.2 + 0.8 * len(results))
    y = range(len(results))
    rate, lo, hi = 100 * results["rate"], 100 * results["ci_low"], 100 * results["ci_high"]
    ax.errorbar(
        rate,
        y,
        xerr=[rate - lo, hi - rate],
        fmt="o",
        color=PALETTE[0],
        capsize=4,
        label="after support (95% interval)",
    )
    if results["baseline_rate"].notna().any():
        ax.plot(100 * results["baseline_rate"], y, "s", color=PALETTE[1], label="before support")
    if results["target"].notna().any():
        ax.plot(100 * results["target"], y, "|", color="black", markersize=18, label="target")
    for yi, r in zip(y, rate, strict=True):
        ax.annotate(f"{r:.0f}%", (r, yi), textcoords="offset points", xytext=(0, 8), ha="center")
    ax.set_yticks(list(y), results["indicator"])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of people (%)")
    ax.legend(loc="lower right", fontsize=9)
    alt = (
        "Chart of outcome indicators after support: "
        + "; ".join(
            f"{row.indicator} {100 * row.rate:.0f}% (95% interval {100 * row.ci_low:.0f} to "
            f"{100 * row.ci_high:.0f}), before support "
            + (f"{100 * row.baseline_rate:.0f}%" if pd.notna(row.baseline_rate) else "not known")
            + (f", target {100 * row.target:.0f}%" if pd.notna(row.target) else "")
            for row in results.itertuples()
        )
        + "."
    )
    return figure_html(fig, alt)


def _indicators(f: Findings) -> list[str]:
    results = f.indicators
    table = pd.DataFrame(
        {
            "People with a reading": results["n"].to_numpy(),
            "Met the indicator": results["successes"].to_numpy(),
            "Before (%)": _percent(results["baseline_rate"]),
            "After (%)": _percent(results["rate"]),
            "95% interval (%)": [
                f"{100 * lo:.0f} to {100 * hi:.0f}"
                for lo, hi in zip(results["ci_low"], results["ci_high"], strict=True)
            ],
            "Target (%)": _percent(results["target"]),
            "Target met": results["met"]
            .map({True: "yes", False: "not yet"})
            .fillna("no target")
            .to_numpy(),
        },
        index=pd.Index(results["indicator"], name="Indicator"),
    )
    counted = ("People with a reading", "Met the indicator")
    out = [
        "<h3>Outcome indicators</h3>",
        para(
            "The share of people meeting each indicator before and after support, with a 95% "
            "interval for the share after (Wilson score interval), against the programme's target. "
            "These compare the same people before and after: they show change, not what the "
            "service caused."
        ),
        protected_table(
            table,
            f.policy,
            counts=list(counted),
            derived={
                c: counted for c in ("Before (%)", "After (%)", "95% interval (%)", "Target met")
            },
            caption="Outcome indicators against targets",
        ),
    ]
    if not any(is_disclosive(int(n), f.policy) for n in results["n"]):
        out.append(_indicator_chart(results))
    return out


def _wellbeing(ctx: ReportContext, f: Findings) -> list[str]:
    es, rc = f.wellbeing, f.reliable
    scale = ctx.spec.wellbeing.scale.upper()
    before = es.mean_difference
    out = ["<h3>Wellbeing</h3>"]
    out.append(
        para(
            f"Average {scale} wellbeing score changed by {before:+.1f} points between the start and the "
            f"end of support for {narrative.count_phrase(es.n, f.policy)} people with both readings: a "
            f"{narrative.size_word(es.estimate)} change (Cohen's d_z = {es.estimate:.2f}, "
            f"{narrative.interval_phrase(es.ci_low, es.ci_high, digits=2)}). This is change over time, "
            "not an estimate of what the service caused; see the impact section for that."
        )
    )
    if rc is not None:
        counts = pd.DataFrame(
            {"People": [rc.recovered, rc.improved, rc.unchanged, rc.deteriorated]},
            index=pd.Index(
                ["Recovered", "Reliably improved", "No reliable change", "Reliably deteriorated"],
                name="Category",
            ),
        )
        if rc.cutoff is None:  # "recovered" needs a clinical cut-off; without one it is empty
            counts = counts.drop(index="Recovered")
        counts["Share (%)"] = _percent(counts["People"] / max(rc.n, 1))
        out.append(
            para(
                f"Reliable change (Jacobson and Truax 1991): a change of more than "
                f"{rc.threshold:.1f} points is larger than measurement error alone would explain "
                f"(reliability {rc.reliability:.2f}, SD {rc.sd:.1f})."
            )
        )
        out.append(
            protected_table(
                counts,
                f.policy,
                counts=["People"],
                derived={"Share (%)": ("People",)},
                caption="Reliable change in wellbeing",
            )
        )
        if not any(is_disclosive(int(v), f.policy) for v in counts["People"] if v):
            fig, ax = new_figure(height=2.6)
            shares = 100 * counts["People"] / max(rc.n, 1)
            colours = {
                "Recovered": PALETTE[2],
                "Reliably improved": PALETTE[0],
                "No reliable change": "#b1b4b6",
                "Reliably deteriorated": PALETTE[5],
            }
            left = 0.0
            for label, share in shares.items():
                colour = colours[label]
                ax.barh([0], [share], left=left, color=colour, label=f"{label} {share:.0f}%")
                left += share
            ax.set_yticks([])
            ax.set_xlim(0, 100)
            ax.set_xlabel("Share of people with both readings (%)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, fontsize=9)
            alt = (
                "Stacked bar of reliable change in wellbeing: "
                + ", ".join(f"{label.lower()} {share:.0f}%" for label, share in shares.items())
                + "."
            )
            out.append(figure_html(fig, alt))
    return out


def _distance(f: Findings) -> list[str]:
    d = f.distance
    areas = d.areas
    table = pd.DataFrame(
        {
            "People": d.n_people,
            "First reading": [f"{v:.1f}" for v in areas["mean_first"]],
            "Latest reading": [f"{v:.1f}" for v in areas["mean_latest"]],
            "Change": [f"{v:+.2f}" for v in areas["mean_change"]],
        },
        index=pd.Index(
            [str(a).removeprefix("area_").replace("_", " ") for a in areas.index], name="Area"
        ),
    )
    fig, ax = new_figure(height=0.45 * len(table) + 1.2)
    y = range(len(table))
    first, latest = areas["mean_first"].to_numpy(), areas["mean_latest"].to_numpy()
    ax.hlines(list(y), first, latest, color="#b1b4b6")
    ax.plot(first, list(y), "o", color=PALETTE[1], label="first reading")
    ax.plot(latest, list(y), "o", color=PALETTE[0], label="latest reading")
    ax.set_yticks(list(y), table.index)
    ax.set_xlabel("Average reading (1 to 10)")
    ax.legend(fontsize=9)
    alt = (
        "Dot chart of average readings per area, first and latest: "
        + "; ".join(
            f"{a} {r['First reading']} to {r['Latest reading']}" for a, r in table.iterrows()
        )
        + "."
    )
    return [
        "<h3>Distance travelled</h3>",
        para(d.summary()),
        protected_table(
            table,
            f.policy,
            counts=["People"],
            derived={c: ("People",) for c in ("First reading", "Latest reading", "Change")},
            caption="Average readings per area, people with at least two reviews",
        ),
        figure_html(fig, alt),
    ]


def outcomes(ctx: ReportContext, f: Findings) -> str:
    """Indicators against targets, wellbeing with reliable change, distance travelled."""
    parts = ["<h2>Outcomes: what changed for people</h2>"]
    if f.too_few:
        parts.append(callout(f.notes[0]))
        return "\n".join(parts)
    if f.indicators is not None:
        parts += _indicators(f)
    if f.wellbeing is not None:
        parts += _wellbeing(ctx, f)
        ctx.record(
            "wellbeing_change",
            round(float(f.wellbeing.mean_difference), 2),
            label="Wellbeing change (points)",
        )
    if f.distance is not None:
        parts += _distance(f)
    return "\n".join(parts)
