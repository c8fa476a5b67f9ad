"""Impact against a counterfactual: per outcome, the strongest design the plan and data allow."""

from __future__ import annotations

import pandas as pd

from evalkit import narrative
from evalkit.impact.charts import its_chart
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings, OutcomeFindings
from evalkit.reports.sections._html import callout, esc, para, protected_table

__all__ = ["DESIGN_WORDS", "claim", "impact", "verdict"]

#: What each design compares, in words for readers who are not evaluators.
DESIGN_WORDS = {
    "before_after": "the people served before and after support",
    "comparison_group": "the people served with eligible people who were not served, before and "
    "after (difference-in-differences)",
    "matching": "the people served with similar people who were not served (matching)",
    "time_series": "the locality's figures after launch with their earlier trend (interrupted "
    "time series)",
    "never_treated": "the locality's figures with areas that never had the service, before and "
    "after launch (a controlled time series)",
}


def _scale(of: OutcomeFindings) -> float:
    return 100.0 if of.outcome.kind == "binary" else 1.0


def _what(of: OutcomeFindings) -> str:
    o = of.outcome
    if of.source_kind == "series":
        per = f" per {o.per:,}" if o.population else ""
        return f"the rate of {narrative.in_sentence(o.name)}{per}"
    return (
        f"the share of people with {narrative.in_sentence(o.name)}"
        if o.kind == "binary"
        else o.name.lower()
    )


def _did_chart(of: OutcomeFindings) -> str:
    """Group means before and after, with the served group's path had it changed as the other."""
    pairs = of.pairs.dropna(subset=["before", "after"])
    means = pairs.groupby("group")[["before", "after"]].mean().astype(float) * _scale(of)
    p, c = means.loc["participant"], means.loc["comparison"]
    unit = of.outcome.unit_words if of.outcome.kind != "binary" else "%"
    fig, ax = new_figure(height=3.6)
    x = [0, 1]
    ax.plot(x, c.to_numpy(), "o-", color=PALETTE[1], label="eligible but not served")
    ax.plot(x, p.to_numpy(), "o-", color=PALETTE[0], label="people served")
    counterfactual = p.iloc[0] + (c.iloc[1] - c.iloc[0])
    ax.plot(
        x,
        [p.iloc[0], counterfactual],
        "--",
        color=PALETTE[0],
        alpha=0.6,
        label="people served, had they changed like those not served",
    )
    for xi, v in zip(x, p.to_numpy(), strict=True):
        ax.annotate(f"{v:.1f}", (xi, v), textcoords="offset points", xytext=(0, 8), ha="center")
    for xi, v in zip(x, c.to_numpy(), strict=True):
        ax.annotate(f"{v:.1f}", (xi, v), textcoords="offset points", xytext=(0, -16), ha="center")
    ax.set_xticks(x, ["Before", "After"])
    # the whole scale (or from zero): a cropped axis would exaggerate the change
    if of.outcome.kind == "binary":
        ax.set_ylim(0, 100)
    elif of.outcome.range is not None:
        ax.set_ylim(*of.outcome.range)
    elif min(p.min(), c.min(), counterfactual) >= 0:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(f"{of.name} ({unit})")
    ax.legend(fontsize=9, loc="upper left")
    alt = (
        f"Line chart of {narrative.in_sentence(of.name)}. People served: {p.iloc[0]:.1f} before, "
        f"{p.iloc[1]:.1f} after. Eligible people not served: {c.iloc[0]:.1f} to {c.iloc[1]:.1f}. "
        f"Had the people served changed like those not served they would have ended at "
        f"{counterfactual:.1f}; the difference, {of.impact.estimate * _scale(of):.1f}, is the "
        "estimated impact."
    )
    return figure_html(fig, alt)


def people_behind(of: OutcomeFindings) -> int:
    """People behind an estimate (not observations: a difference-in-differences has two each)."""
    if of.design == "comparison_group" and of.pairs is not None:
        return int(of.pairs.dropna(subset=["before", "after"]).shape[0])
    return int(of.impact.n)


def _estimates_table(f: Findings, shown: list[OutcomeFindings]) -> str:
    """Impact estimates: people outcomes (counts protected) and series outcomes (periods) apart."""
    out = []
    for series in (False, True):
        group = [of for of in shown if (of.source_kind == "series") == series]
        if not group:
            continue
        counted = "Periods" if series else "People"
        rows = []
        for of in group:
            result, scale = of.impact, _scale(of)
            rows.append(
                {
                    counted: int(of.n if series else people_behind(of)),
                    "Estimate": round(result.estimate * scale, 2),
                    "Measured as": "rate ratio"
                    if result.scale == "rate ratio"
                    else ("percentage points" if scale == 100 else of.outcome.unit_words),
                    "95% interval": f"{result.ci_low * scale:.2f} to {result.ci_high * scale:.2f}",
                    "Smallest effect it could detect": _detectable(of),
                    "Evidence level (1-5)": int(result.evidence.level),
                }
            )
        table = pd.DataFrame(rows, index=pd.Index([of.name for of in group], name="Outcome"))
        what = "areas' figures over time" if series else "people"
        out.append(
            protected_table(
                table,
                f.policy,
                # periods of a series are not people: nothing there to suppress
                counts=[] if series else [counted],
                derived=None
                if series
                else {
                    c: (counted,)
                    for c in ("Estimate", "95% interval", "Smallest effect it could detect")
                },
                caption=f"Impact estimates from {what}, and the strength of the evidence",
            )
        )
    out.append(
        para(
            "The smallest effect it could detect is the effect this comparison would find 8 "
            "times in 10 (Bloom 1995): a real effect smaller than that could easily be missed, "
            'so "we cannot tell" does not mean "no effect".'
        )
    )
    return "\n".join(out)


def _detectable(of: OutcomeFindings) -> str:
    """The minimum detectable effect (80% power), in the units the estimate is shown in."""
    mde = of.impact.minimum_detectable()
    if of.impact.scale == "rate ratio":
        return f"{(mde - 1) * 100:.0f}% either way"
    return f"{mde * _scale(of):.2f}"


def _not_used(of: OutcomeFindings) -> str:
    if not of.not_used:
        return ""
    items = "".join(
        f"<li>{esc(DESIGN_WORDS[n.design][0].upper() + DESIGN_WORDS[n.design][1:])} "
        f"(level {n.level}) was planned but could not be used: {esc(n.reason)}.</li>"
        for n in of.not_used
    )
    return f"<ul class='not-used'>{items}</ul>"


def claim(of: OutcomeFindings, *, evidence: bool = True) -> str:
    """The plain-English claim the outcome's impact estimate supports."""
    unit = "percentage points" if of.outcome.kind == "binary" else of.outcome.unit_words
    against = (
        "in the areas without the service"
        if of.design == "never_treated"
        else "expected from the earlier trend"
    )
    small = abs(of.impact.estimate * _scale(of)) < 1 and of.impact.scale != "rate ratio"
    return narrative.impact_sentence(
        of.impact,
        _what(of),
        unit=unit,
        scale=_scale(of),
        digits=2 if small else 1,
        evidence=evidence,
        compared_with=against,
    )


def verdict(of: OutcomeFindings) -> str:
    """The impact in a few words with its interval: 'lowered by 0.25 (95% interval -0.46 to
    -0.03)', 'we cannot tell (+2.0, 95% interval -8.8 to 12.8)', '12% lower (...)'."""
    r, scale = of.impact, _scale(of)
    if r.scale == "rate ratio":
        figure = narrative.ratio_words(r.estimate)
        interval = narrative.ratio_range(r.ci_low, r.ci_high)
    else:
        unit = "percentage points" if of.outcome.kind == "binary" else of.outcome.unit_words
        digits = 2 if abs(r.estimate * scale) < 1 else 1
        figure = narrative.amount(r.estimate * scale, unit, digits=digits, signed=True)
        interval = (
            f"{narrative.amount(r.ci_low * scale, '', digits=digits)} to "
            f"{narrative.amount(r.ci_high * scale, unit, digits=digits)}"
        )
    if r.crosses_no_effect:
        return f"we cannot tell ({figure}; 95% interval {interval})"
    better = (r.estimate > r.no_effect) == of.outcome.higher_is_better
    return f"{'better' if better else 'worse'}: {figure} (95% interval {interval})"


def series_whole(of: OutcomeFindings) -> str:
    """The rest of a time series' story: the change of trend and where the series ended up
    against where it was heading without the service (the numbers the chart shows)."""
    its_result = of.series
    cf = its_result.counterfactual
    last = cf.iloc[-1]
    fitted, expected = float(last["fitted"]), float(last["counterfactual"])
    gap = (fitted / expected - 1) * 100 if expected else float("nan")
    controlled = of.design == "never_treated"
    o = of.outcome
    what = f"the rate per {o.per:,}" if o.population else "the count"
    text = (
        f"By the last period, {what} was {fitted:,.1f} against {expected:,.1f} expected "
        f"without the service, {abs(gap):.0f}% {'lower' if gap < 0 else 'higher'}"
        + (" (relative to the areas without it)" if controlled else "")
        + "."
    )
    slope = its_result.slope_change
    if slope is not None:
        # a change of trend is a factor per period: said as a percentage a period
        change = narrative.ratio_words(slope.estimate, digits=1)
        interval = narrative.ratio_range(slope.ci_low, slope.ci_high, digits=1)
        if slope.crosses_no_effect:
            text += (
                f" We cannot tell whether its trend changed after launch (best estimate "
                f"{change} each period; 95% confidence interval {interval})."
            )
        else:
            direction = "downwards" if slope.estimate < 1 else "upwards"
            text += (
                f" After launch its trend bent {direction}, {change} each period (95% "
                f"confidence interval {interval})."
            )
    return text


def _one(of: OutcomeFindings) -> list[str]:
    parts = [f"<h3>{esc(of.name)}</h3>"]
    parts.append(para(f"We compared {DESIGN_WORDS[of.design]}."))
    parts.append(para(f"{claim(of, evidence=False)} Evidence level {of.evidence_level} of 5."))
    parts += [para(caveat) for caveat in of.caveats]
    if of.series is not None:
        parts.append(para(series_whole(of)))
    if of.design == "comparison_group":
        parts.append(_did_chart(of))
    elif of.series is not None:
        fig, alt = its_chart(of.series, label=_what(of).capitalize())
        parts.append(figure_html(fig, alt))
    return [*parts, _not_used(of)]


def impact(ctx: ReportContext, f: Findings) -> str:
    """The impact section: per outcome, the design used, the estimate, its level, what we can
    claim, and the planned designs that could not be used, with the reason."""
    parts = ["<h2>Impact: what the service caused</h2>"]
    if f.too_few:
        ctx.record("not_estimated", "too few people to estimate", label="Not estimated")
        parts.append(callout("We cannot estimate the service's impact here: " + f.notes[0]))
        return "\n".join(parts)
    shown = [of for of in f.outcomes.values() if of.impact is not None]
    change_only = [of for of in f.outcomes.values() if of.impact is None]
    parts.append(
        para(
            "To know what the service caused, we need to know what would have happened without "
            "it. For each outcome we use the strongest comparison the evaluation plan and the data "
            "allow, and say how strong it is on the Maryland Scientific Methods Scale (1 weakest, "
            "5 strongest)."
        )
    )
    for of in shown:
        parts += _one(of)
        ctx.record(
            f"impact: {of.name}",
            round(float(of.impact.estimate * _scale(of)), 3),
            label=f"{of.name}: what the service caused",
            words=verdict(of),
            verdict="cannot tell" if of.impact.crosses_no_effect else verdict(of).split(":", 1)[0],
        )
    if shown:
        best = max(of.evidence_level for of in shown)
        ctx.record("evidence_level", best, label="Strongest evidence level")
        parts.append(_estimates_table(f, shown))
    if change_only:
        parts.append("<h3>Outcomes with no estimate of impact</h3>")
        parts.append(
            para(
                "For these outcomes we can show change for the people served (above) but not what "
                "the service caused:"
            )
        )
        items = []
        for of in change_only:
            reasons = "; ".join(f"{n.reason}" for n in of.not_used) or (
                "the plan has no comparison for it"
            )
            items.append(f"<li>{esc(of.name)}: {esc(reasons)}.</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    if not shown:
        parts.append(
            callout(
                "None of the outcomes has an estimate of impact: the report shows change over "
                "time only, which is not evidence of what the service caused."
            )
        )
        return "\n".join(parts)
    strongest = max(shown, key=lambda of: of.evidence_level)
    parts.append("<h3>What we can and cannot claim</h3>")
    designs = {of.design: of.evidence_level for of in shown}
    items = "".join(
        f"<li>{esc(DESIGN_WORDS[d][0].upper() + DESIGN_WORDS[d][1:])}: "
        f"{esc(narrative.evidence_words(level))}.</li>"
        for d, level in designs.items()
    )
    parts.append(f"<ul class='designs'>{items}</ul>")
    if strongest.impact.evidence.to_raise:
        parts.append(
            para(
                "To strengthen the evidence: " + "; ".join(strongest.impact.evidence.to_raise) + "."
            )
        )
    parts.append(
        para(
            "We can say how large the differences were and how sure we are about them. We cannot "
            "rule out that the people or places compared differed in ways the data do not show, "
            "which would bias the estimates."
        )
    )
    return "\n".join(parts)
