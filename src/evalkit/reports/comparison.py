"""All localities of a programme side by side, without league tables.

Funnel plots place each locality's outcome rate against the number of people it served, with 95%
and 99.8% control limits around the programme-wide rate (Spiegelhalter 2005): only localities
outside the limits differ by more than chance would explain. A ranked chart shows each locality's
impact estimate with its interval, so the reader sees how much the rankings overlap. The
programme-wide effect of launch on referrals uses the staggered roll-out (Callaway and Sant'Anna),
comparing localities that launched with those that had not.
"""

from __future__ import annotations

import dataclasses
import html
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evalkit import narrative
from evalkit.config import OutcomeSpec, ProgrammeSpec, load_spec, locate
from evalkit.disclosure import is_disclosive
from evalkit.exceptions import EvalkitError, StatisticalWarning
from evalkit.intake import load_partition
from evalkit.outcomes.funnel import funnel_limits, funnel_position
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.findings import MIN_FOR_ESTIMATES, OutcomeFindings
from evalkit.reports.sections._html import callout, esc, para, protected_table

__all__ = ["Comparison", "comparison_html", "compute_comparison"]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The per-locality figures of a programme and the programme-wide estimates.

    ``indicator`` is the outcome of the funnel plot (the plan's first yes/no outcome of the
    people served; None without one), ``impact_outcome`` the outcome whose impact is compared
    across localities (the first with a design stronger than before/after in the plan).
    """

    spec: ProgrammeSpec
    indicator: str | None
    target_rate: float
    localities: pd.DataFrame
    impact_outcome: OutcomeFindings | None = None
    staggered: Any = None
    staggered_outcome: OutcomeSpec | None = None
    notes: tuple[str, ...] = ()


def _all(spec: ProgrammeSpec, table: str, codes: list[str]) -> pd.DataFrame:
    return pd.concat([load_partition(spec, table, c) for c in codes], ignore_index=True)


def _staggered(spec: ProgrammeSpec, notes: list[str]) -> tuple[Any, OutcomeSpec | None]:
    from evalkit.impact import staggered_did

    series_outcomes = [o for o in spec.outcomes if spec.outcome_kind(o) == "series"]
    if not spec.designs.staggered or not series_outcomes:
        return None, None
    o = series_outcomes[0]
    codes = [*spec.localities, *spec.comparison_localities]
    series = _all(spec, spec.outcome_source(o), codes)
    if series.empty:
        return None, o
    periods = {p: i for i, p in enumerate(sorted(series["period"].unique()))}
    first = {}
    for code, launch in spec.launches.items():
        after = [i for p, i in periods.items() if p >= pd.Timestamp(launch)]
        first[code] = float(min(after)) if after else np.nan
    rate = series[str(o.after)].astype(float)
    if o.population:
        rate = rate / series[o.population].astype(float) * o.per
    series = series.assign(
        rate=rate,
        time=series["period"].map(periods),
        first=series["locality_code"].map(first).astype("Float64"),
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            result = staggered_did(
                series, "rate", "locality_code", "time", "first", control_group="not_yet_treated"
            )
            return result, o
    except EvalkitError as exc:
        notes.append(
            f"The programme-wide effect on {narrative.in_sentence(o.name)} could not be estimated: {exc}"
        )
        return None, o


def _impact_by_locality(
    spec: ProgrammeSpec, notes: list[str]
) -> tuple[OutcomeFindings | None, list[tuple[float, float, float]]]:
    """Each locality's impact estimate on the first outcome the plan can estimate impact for."""
    from evalkit.reports.context import ReportContext
    from evalkit.reports.findings import outcome_findings

    codes = list(spec.localities)
    example: OutcomeFindings | None = None
    for o in spec.outcomes:
        effects: list[tuple[float, float, float]] = []
        for code in codes:
            ctx = ReportContext(spec=spec, locality=code, period=spec.reporting_period.label)
            people = ctx.table(spec.people_source)
            if (people["group"] == "participant").sum() < MIN_FOR_ESTIMATES:
                effects.append((np.nan, np.nan, np.nan))
                continue
            found = outcome_findings(ctx, o, people)
            if found.impact is None:
                effects.append((np.nan, np.nan, np.nan))
                continue
            example = example or found
            scale = 100.0 if o.kind == "binary" else 1.0
            r = found.impact
            effects.append((r.estimate * scale, r.ci_low * scale, r.ci_high * scale))
        if example is not None:
            return example, effects
    notes.append("No outcome in the plan has an impact estimate in any locality.")
    return None, [(np.nan, np.nan, np.nan)] * len(codes)


def compute_comparison(spec: ProgrammeSpec) -> Comparison:
    """Per-locality outcome rates and impact estimates, and the staggered roll-out estimate."""
    from evalkit.outcomes import Indicator, indicator_results

    people = _all(spec, spec.people_source, list(spec.localities))
    participants = people[people["group"] == "participant"]
    notes: list[str] = []
    binary = [o for o in spec.outcomes if o.kind == "binary" and spec.outcome_kind(o) == "people"]
    served = participants["locality_code"].value_counts()
    if binary:
        o = binary[0]
        indicator = Indicator(
            name=o.name, definition=o.definition, column=str(o.after), polarity=o.polarity
        )
        have = participants.dropna(subset=[str(o.after)])
        rates = indicator_results(have, [indicator], by="locality_code")
        rows = rates[["locality_code", "n", "successes", "rate", "ci_low", "ci_high"]].copy()
        target = float(rates["successes"].sum() / rates["n"].sum())
    else:
        rows = pd.DataFrame({"locality_code": list(spec.localities)})
        target = float("nan")
    rows["served"] = rows["locality_code"].map(served).fillna(0).astype(int)
    example, effects = _impact_by_locality(spec, notes)
    order = {code: i for i, code in enumerate(spec.localities)}
    impact = pd.DataFrame(effects, columns=["impact", "impact_low", "impact_high"])
    impact["locality_code"] = list(spec.localities)
    rows = rows.merge(impact, on="locality_code", how="left")
    rows = rows.sort_values("locality_code", key=lambda c: c.map(order)).reset_index(drop=True)
    rows["name"] = rows["locality_code"].map(spec.locality_name)
    staggered, staggered_outcome = _staggered(spec, notes)
    return Comparison(
        spec,
        binary[0].name if binary else None,
        target,
        rows,
        example,
        staggered,
        staggered_outcome,
        tuple(notes),
    )


def _funnel_chart(c: Comparison, shown: pd.DataFrame) -> str:
    grid = np.unique(
        np.linspace(max(1, shown["n"].min() * 0.8), shown["n"].max() * 1.1, 200).round()
    )
    limits = funnel_limits(c.target_rate, grid)
    fig, ax = new_figure(height=4.5)
    for level, style in ((0.95, "--"), (0.998, ":")):
        for side in ("lower", "upper"):
            ax.plot(
                limits["n"],
                100 * limits[f"{side}_{level:g}"],
                style,
                color="grey",
                label=f"{100 * level:g}% limits" if side == "lower" else None,
            )
    ax.axhline(100 * c.target_rate, color="black", linewidth=0.8, label="programme rate")
    ax.scatter(shown["n"], 100 * shown["rate"], color=PALETTE[0], zorder=3)
    for row in shown.itertuples():
        ax.annotate(
            row.name, (row.n, 100 * row.rate), textcoords="offset points", xytext=(4, 4), fontsize=8
        )
    ax.set_xlabel("People with a reading")
    ax.set_ylabel(f"{c.indicator} (%)")
    ax.legend(fontsize=9)
    outside = [f"{r.name} ({r.position})" for r in shown.itertuples() if r.position != "within"]
    alt = (
        f"Funnel plot of {narrative.in_sentence(c.indicator)} against the number of people, one point per "
        f"locality, around the programme rate of {100 * c.target_rate:.0f}% with 95% and 99.8% "
        "limits. "
        + (
            f"Outside the 99.8% limits: {', '.join(outside)}."
            if outside
            else "Every locality lies within the 99.8% limits."
        )
    )
    return figure_html(fig, alt)


def _impact_chart(rows: pd.DataFrame, label: str, *, ratio: bool = False) -> str:
    """Each locality's impact estimate with its interval, in alphabetical order (not ranked)."""
    ranked = rows.dropna(subset=["impact"]).sort_values("name", ascending=False)
    fig, ax = new_figure(height=0.35 * len(ranked) + 1.5)
    y = np.arange(len(ranked))
    ax.errorbar(
        ranked["impact"],
        y,
        xerr=[ranked["impact"] - ranked["impact_low"], ranked["impact_high"] - ranked["impact"]],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
    )
    ax.axvline(1 if ratio else 0, color="grey", linewidth=0.8)  # no effect
    ax.set_yticks(y, ranked["name"])
    scale = " as a rate ratio" if ratio else ""
    ax.set_xlabel(f"Estimated impact on {label}{scale} (95% interval)")
    digits = 2 if ratio else 1
    alt = (
        f"Chart of estimated impact on {label} by locality, in alphabetical order, with 95% "
        "intervals: "
        + "; ".join(
            f"{r.name} {r.impact:.{digits}f} ({r.impact_low:.{digits}f} to "
            f"{r.impact_high:.{digits}f})"
            for r in ranked.iloc[::-1].itertuples()
        )
        + "."
    )
    return figure_html(fig, alt)


def _funnel_section(c: Comparison, policy: Any) -> list[str]:
    rows = c.localities
    rows["position"] = [funnel_position(r.rate, int(r.n), c.target_rate) for r in rows.itertuples()]
    shown = rows[[not is_disclosive(int(n), policy) for n in rows["n"]]]
    hidden = rows[[is_disclosive(int(n), policy) for n in rows["n"]]]
    parts = [
        "<h2>Why no league table</h2>",
        para(
            "Ranking localities by their rates invites reading chance as performance. The funnel "
            "plot shows each locality against the number of people behind its rate: limits are "
            "wide for small numbers and narrow for large ones. Only a locality outside the 99.8% "
            "limits differs from the programme rate by more than chance would easily explain."
        ),
        f"<h2>{esc(c.indicator)}: funnel plot</h2>",
        _funnel_chart(c, shown),
    ]
    if not hidden.empty:
        parts.append(
            callout(
                "Not shown, because too few people had a reading to publish: "
                + ", ".join(hidden["name"])
                + "."
            )
        )
    table = pd.DataFrame(
        {
            "People served": rows["served"].to_numpy(),
            "People with a reading": rows["n"].to_numpy(),
            f"{c.indicator} (%)": [f"{100 * v:.0f}" for v in rows["rate"]],
            "95% interval (%)": [
                f"{100 * lo:.0f} to {100 * hi:.0f}"
                for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "Against the programme rate": rows["position"]
            .map(
                {
                    "within": "within chance",
                    "above": "above (99.8% limits)",
                    "below": "below (99.8% limits)",
                }
            )
            .to_numpy(),
        },
        index=pd.Index(rows["name"], name="Locality"),
    )
    counted = ("People served", "People with a reading")
    parts.append(
        protected_table(
            table.sort_index(),
            policy,
            counts=list(counted),
            derived={col: counted for col in table.columns if col not in counted},
            caption=f"{c.indicator} by locality (alphabetical, not ranked)",
        )
    )
    return parts


def comparison_html(spec_path: str, period: str = "") -> str:
    """The whole comparison report as HTML (the notebook displays it); ``spec_path`` relative to
    the project folder or absolute (see :func:`evalkit.config.locate`)."""
    from evalkit.reports.sections.impact import DESIGN_WORDS, _what

    spec = load_spec(locate(spec_path))
    c = compute_comparison(spec)
    policy = spec.disclosure.policy
    parts = [
        f"<h1>{esc(spec.title)}: all localities compared</h1>",
        para(
            f"Reporting period {period or spec.reporting_period.label}: "
            f"{spec.reporting_period.describe()}. {len(c.localities)} localities.",
            "note",
        ),
    ]
    if c.indicator is not None:
        parts += _funnel_section(c, policy)
    if c.impact_outcome is not None:
        of = c.impact_outcome
        label = _what(of)
        parts += [
            f"<h2>Impact on {esc(narrative.in_sentence(of.name))} by locality</h2>",
            para(
                f"Each point is a locality's estimate of what the service caused, comparing "
                f"{DESIGN_WORDS[of.design]}, with its 95% interval, in alphabetical order rather "
                "than ranked. An interval that does not cross the line of no effect is evidence "
                "of an effect in that locality; to say whether two localities differ, their "
                "difference needs an interval of its own, which overlapping bars do not give."
            ),
            _impact_chart(c.localities, label, ratio=of.impact.scale == "rate ratio"),
        ]
    if c.staggered is not None and c.staggered_outcome is not None:
        o = c.staggered_outcome
        per = f" per {o.per:,}" if o.population else ""
        parts += [
            f"<h2>Programme-wide effect on {esc(narrative.in_sentence(o.name))}</h2>",
            para(
                narrative.impact_sentence(
                    c.staggered,
                    f"{narrative.in_sentence(o.name)}{per}",
                    unit=f"{o.unit_words}{per}",
                )
            ),
            para(
                "Method: Callaway and Sant'Anna (2021) group-time effects of launch, averaged over "
                "localities and periods after launch, against localities not yet launched."
            ),
        ]
    for note in c.notes:
        parts.append(para(note, "note"))
    policy_name = policy if isinstance(policy, str) else "custom"
    parts.append(f'<p class="note">Disclosure control: {html.escape(policy_name)} policy.</p>')
    return "\n".join(parts)
