"""Impact against a counterfactual: the strongest design the data allow, with its evidence level."""

from __future__ import annotations

import pandas as pd

from evalkit import narrative
from evalkit.impact.charts import its_chart
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings
from evalkit.reports.sections._html import callout, para, protected_table

__all__ = ["impact"]


def _did_chart(ctx: ReportContext, f: Findings) -> str:
    """Group means before and after, with the participants' path had they changed as the comparison."""
    wb = ctx.spec.wellbeing
    people = ctx.table("service_users").dropna(subset=[wb.pre, wb.post])
    means = people.groupby("group")[[wb.pre, wb.post]].mean().astype(float)
    p, c = means.loc["participant"], means.loc["comparison"]
    fig, ax = new_figure(height=3.6)
    x = [0, 1]
    ax.plot(x, c.to_numpy(), "o-", color=PALETTE[1], label="eligible but not served (comparison)")
    ax.plot(x, p.to_numpy(), "o-", color=PALETTE[0], label="people served")
    counterfactual = p.iloc[0] + (c.iloc[1] - c.iloc[0])
    ax.plot(
        x,
        [p.iloc[0], counterfactual],
        "--",
        color=PALETTE[0],
        alpha=0.6,
        label="people served, had they changed like the comparison group",
    )
    for xi, v in zip(x, p.to_numpy(), strict=True):
        ax.annotate(f"{v:.1f}", (xi, v), textcoords="offset points", xytext=(0, 8), ha="center")
    for xi, v in zip(x, c.to_numpy(), strict=True):
        ax.annotate(f"{v:.1f}", (xi, v), textcoords="offset points", xytext=(0, -16), ha="center")
    ax.set_xticks(x, ["Start", "End"])
    ax.set_ylabel(f"Average {wb.scale.upper()} score")
    ax.legend(fontsize=9, loc="upper left")
    alt = (
        f"Line chart of average wellbeing. People served: {p.iloc[0]:.1f} at the start, "
        f"{p.iloc[1]:.1f} at the end. Comparison group: {c.iloc[0]:.1f} to {c.iloc[1]:.1f}. Had "
        f"people served changed like the comparison group they would have ended at "
        f"{counterfactual:.1f}; the difference, {f.impact.estimate:.1f} points, is the estimated impact."
    )
    return figure_html(fig, alt)


def _estimates_table(f: Findings) -> str:
    rows, names = [], []
    its_level = f.its.level_change if f.its is not None else None
    for label, result, scale in (
        ("Wellbeing score (points)", f.impact, 1),
        ("Stable housing (percentage points)", f.impact_housing, 100),
        ("Referrals at launch (rate ratio)", its_level, 1),
    ):
        if result is None:
            continue
        names.append(label)
        rows.append(
            {
                "People or periods": int(result.n),
                "Estimate": round(result.estimate * scale, 2),
                "95% interval": f"{result.ci_low * scale:.2f} to {result.ci_high * scale:.2f}",
                "Evidence level (Maryland, 1-5)": int(result.evidence.level),
                "Method": result.method.split(";")[0],
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(names, name="Outcome"))
    return protected_table(
        table,
        f.policy,
        counts=["People or periods"],
        derived={"Estimate": ("People or periods",), "95% interval": ("People or periods",)},
        caption="Impact estimates and the strength of the evidence",
    )


def impact(ctx: ReportContext, f: Findings) -> str:
    """The impact section: estimates, intervals, Maryland level in words, what we can claim."""
    parts = ["<h2>Impact: what the service caused</h2>"]
    if f.too_few or (f.impact is None and f.its is None):
        parts.append(
            callout(
                "We cannot estimate the service's impact here: "
                + (f.notes[0] if f.notes else "there is no comparison group or time series.")
            )
        )
        return "\n".join(parts)
    parts.append(
        para(
            "To know what the service caused, we need to know what would have happened without it. "
            "We compare the people served with people who were eligible but not served, before and "
            "after (difference-in-differences), and look at the locality's referrals against their "
            "earlier trend (interrupted time series)."
        )
    )
    if f.impact is not None:
        ctx.record(
            "wellbeing_impact",
            round(float(f.impact.estimate), 2),
            label="Wellbeing impact (points)",
        )
        ctx.record("evidence_level", int(f.impact.evidence.level), label="Evidence level")
        parts.append("<h3>Wellbeing</h3>")
        parts.append(para(narrative.impact_sentence(f.impact, "wellbeing", unit="points")))
        parts.append(_did_chart(ctx, f))
    if f.impact_housing is not None:
        parts.append("<h3>Stable housing</h3>")
        parts.append(
            para(
                narrative.impact_sentence(
                    f.impact_housing,
                    "the share of people in stable housing",
                    unit="percentage points",
                    scale=100,
                )
            )
        )
    if f.its is not None:
        parts.append("<h3>Referrals to children's social care</h3>")
        parts.append(
            para(
                narrative.impact_sentence(
                    f.its.level_change, "the rate of referrals after launch", digits=2
                )
            )
        )
        fig, alt = its_chart(f.its)
        parts.append(figure_html(fig, alt))
    parts.append(_estimates_table(f))
    parts.append("<h3>What we can and cannot claim</h3>")
    level = f.impact.evidence if f.impact is not None else f.its.level_change.evidence
    parts.append(para(level.summary()))
    parts.append(
        para(
            "We can say how large the differences were and how sure we are about them. We cannot rule "
            "out that the people served differed from the comparison group in ways the data do not "
            "show (for example motivation), which would bias the estimates."
        )
    )
    return "\n".join(parts)
