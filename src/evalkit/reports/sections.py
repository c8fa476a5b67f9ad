"""Sections of the per-locality evaluation report, each a function from a context to HTML.

The report notebook only calls these and displays the result, so that every figure is computed
(and tested) in the package. Every table passes through :func:`evalkit.disclosure.protect`; every
piece of text from data is HTML-escaped; every chart carries alt text.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from evalkit.disclosure import get_policy, is_disclosive, protect, protect_count
from evalkit.outcomes import indicator_results
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext

__all__ = ["header", "indicator_table", "provenance_section", "reach", "show", "wellbeing_change"]


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the exported report)."""
    from IPython.display import HTML, display

    display(HTML(fragment))


def _participants(ctx: ReportContext) -> pd.DataFrame:
    people = ctx.table("service_users")
    return people[people["group"] == "participant"]


def header(ctx: ReportContext) -> str:
    """Title, locality, period and what the programme is."""
    spec = ctx.spec
    return (
        f"<h1>{html.escape(spec.title)}: {html.escape(ctx.locality_name)}</h1>"
        f'<p class="note">Evaluation report for {html.escape(ctx.locality_name)} '
        f"({html.escape(ctx.locality)}), reporting period {html.escape(ctx.period)}."
        f"{' Commissioned by ' + html.escape(spec.commissioner) + '.' if spec.commissioner else ''}</p>"
        f"<p>{html.escape(spec.description)}</p>"
    )


def reach(ctx: ReportContext) -> str:
    """How many people the service worked with, by age band, sex and ethnic group."""
    people = _participants(ctx)
    policy = ctx.disclosure_policy
    n = len(people)
    shown = protect_count(n, policy)
    ctx.record("people_served", shown, label="People served")
    parts = [
        "<h2>Who the service reached</h2>",
        f"<p>The service worked with <strong>{html.escape(str(shown))}</strong> people in "
        f"{html.escape(ctx.locality_name)}.</p>",
    ]
    if is_disclosive(n, policy):
        parts.append(
            '<p class="callout">So few people used the service here that most figures in this '
            "report are suppressed to protect their privacy.</p>"
        )
    for column, label in (
        ("age_band", "Age band"),
        ("sex", "Sex"),
        ("ethnic_group", "Ethnic group"),
    ):
        counts = people[column].value_counts().sort_index().rename("People").to_frame()
        counts.index.name = label
        counts.loc["Total"] = counts["People"].sum()
        protected = protect(counts, policy, counts=["People"], totals={"row": "Total"}, warn=False)
        parts.append(f"<h3>By {label.lower()}</h3>" + protected.to_html())
    return "\n".join(parts)


def indicator_table(ctx: ReportContext) -> str:
    """Each outcome indicator for the people served: before, after, interval, target."""
    people = _participants(ctx)
    if not ctx.spec.indicators:
        return ""
    results = indicator_results(people, ctx.spec.indicators)
    table = pd.DataFrame(
        {
            "People with a reading": results["n"].to_numpy(),
            "Met the indicator": results["successes"].to_numpy(),
            "Before (%)": (100 * results["baseline_rate"]).round(0).to_numpy(),
            "After (%)": (100 * results["rate"]).round(0).to_numpy(),
            "95% interval (%)": [
                f"{100 * lo:.0f} to {100 * hi:.0f}"
                for lo, hi in zip(results["ci_low"], results["ci_high"], strict=True)
            ],
            "Target (%)": (100 * results["target"]).round(0).to_numpy(),
        },
        index=pd.Index(results["indicator"], name="Indicator"),
    )
    derived = ("People with a reading", "Met the indicator")
    protected = protect(
        table,
        ctx.disclosure_policy,
        counts=list(derived),
        derived={c: derived for c in ("Before (%)", "After (%)", "95% interval (%)")},
        warn=False,
    )
    for name, row in results.iterrows():
        if not is_disclosive(int(row["n"]), ctx.disclosure_policy):
            ctx.record(
                f"indicator_{name}",
                round(100 * float(row["rate"]), 1),
                label=f"{row['indicator']} (%)",
                unit="%",
            )
    return (
        "<h2>Outcomes</h2>"
        "<p>The share of people meeting each outcome indicator before and after support, with a "
        "95% interval for the share after. These compare the same people before and after: "
        "they show change, not what the service caused.</p>" + protected.to_html()
    )


def wellbeing_change(ctx: ReportContext) -> str:
    """Average wellbeing at the start and end of support, for people with both readings."""
    spec = ctx.spec.wellbeing
    if spec is None:
        return ""
    people = _participants(ctx)
    both = people[[spec.pre, spec.post]].dropna().astype(float)
    n = len(both)
    policy = ctx.disclosure_policy
    parts = ["<h2>Wellbeing</h2>"]
    if n == 0 or is_disclosive(n, policy):
        threshold = get_policy(policy).high
        parts.append(
            f"<p>Too few people ({html.escape(str(protect_count(n, policy)))}) had wellbeing readings "
            f"at both the start and the end to publish their average: figures from {threshold} "
            "or fewer people could identify them.</p>"
        )
        return "\n".join(parts)
    start, end = both[spec.pre].mean(), both[spec.post].mean()
    fig, ax = new_figure(height=3.2)
    bars = ax.bar(
        ["Start of support", "End of support"], [start, end], color=[PALETTE[4], PALETTE[0]]
    )
    ax.bar_label(bars, labels=[f"{start:.1f}", f"{end:.1f}"], padding=3)
    ax.set_ylabel(f"Average {spec.scale.upper()} score")
    ax.set_ylim(0, max(start, end) * 1.2)
    ax.set_title(f"Average wellbeing, {protect_count(n, policy)} people with both readings")
    alt = (
        f"Bar chart: average wellbeing score rose from {start:.1f} at the start of support to "
        f"{end:.1f} at the end, for {protect_count(n, policy)} people with both readings."
        if end >= start
        else f"Bar chart: average wellbeing score fell from {start:.1f} to {end:.1f}."
    )
    ctx.record("wellbeing_change", round(float(end - start), 2), label="Wellbeing change (points)")
    parts.append(figure_html(fig, alt))
    parts.append(
        f"<p>Average wellbeing moved from {start:.1f} to {end:.1f} points, a change of "
        f"{end - start:+.1f}. This is change over time for the same people, not an estimate of "
        "what the service caused: wellbeing can change without any service.</p>"
    )
    return "\n".join(parts)


def _rows(items: dict[str, Any]) -> str:
    return "".join(
        f'<tr><th scope="row">{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>'
        for k, v in items.items()
    )


def provenance_section(ctx: ReportContext) -> str:
    """Where this report came from: versions, commit, data hashes, parameters, policy."""
    prov = ctx.provenance()
    data = {name: sha[:16] + "…" for name, sha in prov.pop("data_sha256").items()}
    params = prov.pop("parameters")
    dirty = prov["git_dirty"]
    prov["git_dirty"] = (
        "unknown" if dirty is None else ("yes: uncommitted changes" if dirty else "no")
    )
    labels = {
        "evalkit_version": "evalkit version",
        "git_commit": "Git commit",
        "git_dirty": "Working tree changed since commit",
        "generated_at": "Generated",
        "disclosure_policy": "Disclosure policy",
        "spec": "Programme spec",
    }
    rows = {labels[k]: v for k, v in prov.items() if k in labels}
    rows |= {f"Parameter {k}": v for k, v in params.items()}
    rows |= {f"Data file {k} (SHA-256)": v for k, v in data.items()}
    return (
        "<h2>Provenance</h2>"
        '<table class="provenance"><caption>How this report was made</caption>'
        f"<tbody>{_rows(rows)}</tbody></table>"
    )
