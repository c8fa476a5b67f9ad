"""Who the service reached, and what changed for them (change over time, not impact)."""

from __future__ import annotations

import pandas as pd

from evalkit import narrative
from evalkit.config import OutcomeSpec
from evalkit.disclosure import is_disclosive, protect_count
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings, OutcomeFindings
from evalkit.reports.sections._html import callout, esc, para, protected_table, published_shares

__all__ = ["outcomes", "reach"]


def _percent(shares: pd.Series) -> list[str]:
    """Shares (0-1) as whole percentages for a table; blank where not known."""
    return ["" if pd.isna(v) else f"{100 * v:.0f}" for v in shares]


def _eligible_words(ctx: ReportContext, f: Findings) -> str:
    source = f.eligible_source
    if source == "comparison_group":
        return (
            f"The eligible population is everyone assessed as eligible: the people served plus "
            f"{narrative.count_phrase(f.n_comparison, f.policy)} who were eligible but not served. "
            "A group whose share of those served is well below its share of those eligible may be "
            "missing out."
        )
    if source == "file":
        what = ctx.spec.eligible_population.description or "the population counts in the plan"
        return (
            f"The eligible population comes from {what}. A group whose share of those served is "
            "well below its share of those eligible may be missing out."
        )
    return (
        "The evaluation plan does not say who was eligible (there is no comparison group and no "
        "population count), so this report shows who was served but cannot say whether any "
        "group is missing out."
    )


def reach(ctx: ReportContext, f: Findings) -> str:
    """The equity view: who was served against the eligible population, by characteristic."""
    ctx.record("people_served", protect_count(f.n_served, f.policy), label="People served")
    launch = f" The service began here on {f.launch:%-d %B %Y}." if f.launch else ""
    parts = [
        "<h2>Who the service reached</h2>",
        para(
            f"The service worked with {narrative.count_phrase(f.n_served, f.policy)} people in "
            f"{f.locality_name}: {ctx.spec.reporting_period.describe()}.{launch} "
            + _eligible_words(ctx, f)
        ),
    ]
    if f.suppressed:
        parts.append(
            callout(
                "So few people used the service here that most figures in this report are suppressed "
                "to protect their privacy."
            )
        )
    with_eligible = f.eligible_source != "none"
    for subgroup, rows in f.reach.groupby("subgroup", sort=False):
        columns = {"People served": rows["served"].to_numpy()}
        shares = {"Share of those served (%)": "People served"}
        if with_eligible:
            columns["Eligible people"] = rows["eligible"].astype(float).to_numpy()
            shares["Share of those eligible (%)"] = "Eligible people"
        table = pd.DataFrame(columns, index=pd.Index(rows["group"], name=str(subgroup)))
        parts.append(f"<h3>By {esc(narrative.in_sentence(str(subgroup)))}</h3>")
        parts.append(
            protected_table(
                table,
                f.policy,
                counts=list(columns),
                shares=shares,
                caption=f"People served{' and eligible' if with_eligible else ''} by "
                f"{narrative.in_sentence(str(subgroup))}",
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


def _indicators(f: Findings, binary: list[OutcomeFindings]) -> list[str]:
    results = pd.DataFrame([o.indicator for o in binary]).reset_index(drop=True)
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
            "Target met": [narrative.target_verdict(r) for r in results.itertuples()],
        },
        index=pd.Index(results["indicator"], name="Indicator"),
    )
    counted = ("People with a reading", "Met the indicator")
    out = [
        "<h3>Outcome indicators</h3>",
        para(
            "The share of people with each outcome after support (and before, where it was "
            "recorded), with a 95% interval for the share after, against the programme's target. "
            "These follow the same people over time: they show change, not what the service "
            "caused."
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


def _occasion(which: str) -> str:
    """'first' -> "each person's first reading"; 'Exit' -> "the reading recorded as 'Exit'"."""
    if which in ("first", "last"):
        return f"each person's {which} reading"
    return f"the reading recorded as {which!r}"


def _numeric(of: OutcomeFindings, policy: object) -> list[str]:
    """A number or score: average change (or level) in its own units, and reliable change."""
    o = of.outcome
    unit = o.unit_words
    out = [f"<h3>{esc(o.name)}</h3>", para(o.definition)]
    if o.range is not None:
        out.append(para(scale_sentence(o)))
    if of.source_kind == "readings":
        out.append(
            para(
                f"Readings compared: {_occasion(o.before or 'first')} with "
                f"{_occasion(o.after or 'last')}."
            )
        )
    if of.change is not None:
        c, es = of.change, of.effect_size
        size = f", a {narrative.size_word(es.estimate)} change" if es is not None else ""
        out.append(
            para(
                f"For {narrative.count_phrase(c.n, policy)} people with a reading before and "
                f"after, the average went from {narrative.amount(c.mean_before, unit)} to "
                f"{narrative.amount(c.mean_after, unit)}: a change of "
                f"{narrative.amount(c.estimate, unit, signed=True)} (95% confidence interval "
                f"{narrative.amount(c.ci_low, unit, signed=True)} to "
                f"{narrative.amount(c.ci_high, unit, signed=True)}){size}. This is change over "
                "time, not an estimate of what the service caused."
            )
        )
    elif of.level is not None:
        lv = of.level
        out.append(
            para(
                f"After support the average was {narrative.amount(lv.estimate, unit)} for "
                f"{narrative.count_phrase(lv.n, policy)} people (95% confidence interval "
                f"{narrative.amount(lv.ci_low, unit)} to {narrative.amount(lv.ci_high, unit)}). "
                "There is no reading from before support to compare with."
            )
        )
    if o.target is not None and (of.change or of.level) is not None:
        out.append(para(_numeric_target(of)))
    if of.reliable is not None:
        out += _reliable(of, policy)
    return out


def _reliable(of: OutcomeFindings, policy: object) -> list[str]:
    rc = of.reliable
    counts = pd.DataFrame(
        {"People": [rc.recovered, rc.improved, rc.unchanged, rc.deteriorated]},
        index=pd.Index(
            ["Recovered", "Reliably improved", "No reliable change", "Reliably deteriorated"],
            name="Category",
        ),
    )
    if rc.cutoff is None:  # "recovered" needs a clinical cut-off; without one it is empty
        counts = counts.drop(index="Recovered")
    out = [
        para(
            f"Reliable change (Jacobson and Truax 1991): a change of more than "
            f"{rc.threshold:.1f} {of.outcome.unit_words} is larger than measurement error alone "
            f"would explain (reliability {rc.reliability:.2f}, SD {rc.sd:.1f})."
        ),
        protected_table(
            counts,
            policy,
            counts=["People"],
            shares={"Share (%)": "People"},
            caption=f"Reliable change in {narrative.in_sentence(of.name)}",
        ),
    ]
    if not any(is_disclosive(int(v), policy) for v in counts["People"] if v):
        fig, ax = new_figure(height=2.6)
        # the chart shows what the table publishes: rounded counts over the rounded total
        published = counts["People"].map(lambda v: protect_count(int(v), policy))
        shares = 100 * published / max(int(published.sum()), 1)
        # labelled as the table gives them: a range where rounding leaves doubt
        texts = published_shares(counts["People"], published, policy)
        words = dict(zip(shares.index, texts, strict=True))
        colours = {
            "Recovered": PALETTE[2],
            "Reliably improved": PALETTE[0],
            "No reliable change": "#b1b4b6",
            "Reliably deteriorated": PALETTE[5],
        }
        left = 0.0
        for label, share in shares.items():
            ax.barh([0], [share], left=left, color=colours[label], label=f"{label} {words[label]}%")
            left += share
        ax.set_yticks([])
        ax.set_xlim(0, 100)
        ax.set_xlabel("Share of people with both readings (%)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, fontsize=9)
        alt = (
            f"Stacked bar of reliable change in {narrative.in_sentence(of.name)}: "
            + ", ".join(f"{label.lower()} {words[label]}%" for label in shares.index)
            + "."
        )
        out.append(figure_html(fig, alt))
    return out


def _numeric_target(of: OutcomeFindings) -> str:
    """The average after support against the target, judged with its 95% interval."""
    from types import SimpleNamespace

    from evalkit.outcomes import mean_level

    o, unit = of.outcome, of.outcome.unit_words
    after = of.pairs.loc[of.pairs["group"] == "participant", "after"]
    level = of.level or mean_level(after, outcome=o.name)
    row = SimpleNamespace(
        target=o.target, ci_low=level.ci_low, ci_high=level.ci_high, polarity=o.polarity
    )
    return (
        f"Target: an average of {narrative.amount(o.target, unit)} after support; "
        f"{narrative.target_verdict(row)} (the average was {narrative.amount(level.estimate, unit)}, "
        f"95% confidence interval {narrative.amount(level.ci_low, unit)} to "
        f"{narrative.amount(level.ci_high, unit)})."
    )


def scale_sentence(o: OutcomeSpec) -> str:
    """'Scores run from 7 to 35; higher is better.' for an outcome with a declared range."""
    low, high = o.range
    return f"Scores run from {low:g} to {high:g}; {'higher' if o.higher_is_better else 'lower'} is better."


def area_labels(columns: list[str]) -> list[str]:
    """Column names as readable labels: a prefix they all share dropped, underscores as spaces."""
    prefix = ""
    if len(columns) > 1:
        first = min(columns)
        last = max(columns)
        shared = next(
            (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first)
        )
        prefix = first[: first.rfind("_", 0, shared) + 1]
    return [c.removeprefix(prefix).replace("_", " ").strip().capitalize() for c in columns]


def _distance(of: OutcomeFindings, policy: object) -> list[str]:
    d = of.distance
    areas = d.areas
    low, high = of.outcome.range or (None, None)
    table = pd.DataFrame(
        {
            "People": d.n_people,
            "First reading": [f"{v:.1f}" for v in areas["mean_first"]],
            "Latest reading": [f"{v:.1f}" for v in areas["mean_latest"]],
            "Change": [f"{v:+.2f}" for v in areas["mean_change"]],
        },
        index=pd.Index(area_labels([str(a) for a in areas.index]), name="Area"),
    )
    fig, ax = new_figure(height=0.45 * len(table) + 1.2)
    y = range(len(table))
    first, latest = areas["mean_first"].to_numpy(), areas["mean_latest"].to_numpy()
    ax.hlines(list(y), first, latest, color="#b1b4b6")
    ax.plot(first, list(y), "o", color=PALETTE[1], label="first reading")
    ax.plot(latest, list(y), "o", color=PALETTE[0], label="latest reading")
    ax.set_yticks(list(y), table.index)
    if low is not None:
        ax.set_xlim(low, high)  # the whole scale: a cropped axis would exaggerate the change
    scale = f" ({low:g} to {high:g})" if low is not None else ""
    ax.set_xlabel(f"Average reading{scale}")
    ax.legend(fontsize=9)
    alt = (
        "Dot chart of average readings per area, first and latest: "
        + "; ".join(
            f"{a} {r['First reading']} to {r['Latest reading']}" for a, r in table.iterrows()
        )
        + "."
    )
    return [
        f"<h3>{esc(of.name)}</h3>",
        para(of.outcome.definition),
        para(scale_sentence(of.outcome)) if low is not None else "",
        para(
            f"Across {narrative.count_phrase(d.n_people, policy)} people with at least two "
            f"readings, the average went from {d.mean_first:.1f} to {d.mean_latest:.1f} "
            f"({d.mean_change:+.2f} points per area). The areas are below. This is distance "
            "travelled, not an estimate of what the service caused."
        ),
        protected_table(
            table,
            policy,
            counts=["People"],
            derived={c: ("People",) for c in ("First reading", "Latest reading", "Change")},
            caption="Average readings per area, people with at least two readings",
        ),
        figure_html(fig, alt),
    ]


def outcomes(ctx: ReportContext, f: Findings) -> str:
    """Each outcome of the plan for the people served: shares against targets, average change
    in the outcome's own units with reliable change, distance travelled (change, not impact)."""
    parts = ["<h2>Outcomes: what changed for people</h2>"]
    if f.too_few:
        parts.append(callout(f.notes[0]))
        return "\n".join(parts)
    people = [o for o in f.outcomes.values() if o.source_kind != "series"]
    binary = [o for o in people if o.indicator is not None]
    if binary:
        parts += _indicators(f, binary)
    for of in people:
        if of.distance is not None:
            parts += _distance(of, f.policy)
        elif of.outcome.kind != "binary" and (of.change or of.level) is not None:
            parts += _numeric(of, f.policy)
            if of.change is not None:
                ctx.record(
                    f"change: {of.name}",
                    round(float(of.change.estimate), 2),
                    label=f"{of.name}: average change ({of.outcome.unit_words})",
                )
    missing = [o for o in people if o.notes and o.indicator is None and o.change is None]
    for of in missing:
        parts.append(para(f"{of.name}: {of.notes[0]}"))
    if len(parts) == 1:
        parts.append(para("The evaluation plan names no outcomes measured for each person."))
    return "\n".join(parts)
