"""All localities of a programme side by side, without league tables.

Each locality's findings are computed exactly as its own report computes them
(:func:`evalkit.reports.findings.compute_findings`), so every figure here equals the one in the
locality's report. Funnel plots place each locality's impact estimate against its precision,
with 95% and 99.8% control limits around the programme's pooled estimate (Spiegelhalter 2005,
normal limits): only localities outside the limits differ by more than chance would explain. A
chart in alphabetical order shows each estimate with its interval. Value for money is compared
only where it rests on the locality's measured impact. The programme-wide effect of launch uses
the staggered roll-out (Callaway and Sant'Anna), comparing localities that launched with those
that had not.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evalkit import narrative
from evalkit.config import OutcomeSpec, ProgrammeSpec, load_spec, locate
from evalkit.disclosure import get_policy
from evalkit.exceptions import EvalkitError, StatisticalWarning
from evalkit.intake import load_partition
from evalkit.outcomes.funnel import estimate_limits, estimate_position, pooled_estimate
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings, OutcomeFindings, compute_findings
from evalkit.reports.sections._html import esc, para, protected_table

__all__ = ["Comparison", "comparison_html", "compute_comparison"]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The per-locality findings of a programme and the programme-wide estimates.

    ``findings`` maps each locality code to its :class:`Findings`. ``impacts`` has a row per
    locality and outcome with an impact estimate: ``locality_code``, ``name``, ``outcome``,
    ``people``, ``estimate``, ``low``, ``high`` (as shown: percentage points for yes/no
    outcomes, a ratio for rates), ``y`` and ``se`` (the funnel's scale: the log of a ratio),
    ``verdict`` (better, worse or cannot tell), ``words`` and ``position`` against the pooled
    estimate. ``localities`` has a row per locality with ``served`` and, for ``impact_outcome``
    (the plan's first outcome with an impact estimate), ``impact``, ``impact_low`` and
    ``impact_high``.
    """

    spec: ProgrammeSpec
    findings: dict[str, Findings]
    impacts: pd.DataFrame
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


def _impact_rows(code: str, f: Findings) -> list[dict[str, Any]]:
    """One row per outcome with an impact estimate in this locality's findings."""
    from evalkit.reports.sections.impact import people_behind, verdict

    rows = []
    for of in f.outcomes.values():
        r = of.impact
        if r is None:
            continue
        ratio = r.scale == "rate ratio"
        scale = 100.0 if of.outcome.kind == "binary" else 1.0
        better = (r.estimate > r.no_effect) == of.outcome.higher_is_better
        rows.append(
            {
                "locality_code": code,
                "name": f.locality_name,
                "outcome": of.name,
                "series": of.source_kind == "series",
                "people": people_behind(of),
                "estimate": r.estimate * scale,
                "low": r.ci_low * scale,
                "high": r.ci_high * scale,
                "ratio": ratio,
                "y": float(np.log(r.estimate)) if ratio else r.estimate * scale,
                "se": r.se if ratio else r.se * scale,
                "verdict": "cannot tell"
                if r.crosses_no_effect
                else ("better" if better else "worse"),
                "words": verdict(of),
            }
        )
    return rows


def compute_comparison(spec: ProgrammeSpec) -> Comparison:
    """Every locality's findings, their impact estimates side by side against the programme's
    pooled estimate, and the staggered roll-out estimate."""
    findings = {
        code: compute_findings(
            ReportContext(spec=spec, locality=code, period=spec.reporting_period.label)
        )
        for code in spec.localities
    }
    notes: list[str] = []
    impacts = pd.DataFrame(
        [row for code, f in findings.items() for row in _impact_rows(code, f)],
        columns=[
            "locality_code",
            "name",
            "outcome",
            "series",
            "people",
            "estimate",
            "low",
            "high",
            "ratio",
            "y",
            "se",
            "verdict",
            "words",
        ],
    )
    impacts["position"] = "within"
    for _, group in impacts.groupby("outcome", sort=False):
        ok = group["se"] > 0
        if ok.sum() >= 2:
            target, _ = pooled_estimate(group.loc[ok, "y"], group.loc[ok, "se"])
            for i in group.index[ok]:
                impacts.loc[i, "position"] = estimate_position(
                    impacts.loc[i, "y"], impacts.loc[i, "se"], target
                )
    if impacts.empty:
        notes.append("No outcome in the plan has an impact estimate in any locality.")
    rows = pd.DataFrame(
        {
            "locality_code": list(spec.localities),
            "name": [spec.locality_name(c) for c in spec.localities],
            "served": [f.n_served for f in findings.values()],
        }
    )
    example = next(
        (of for f in findings.values() for of in f.outcomes.values() if of.impact is not None),
        None,
    )
    if example is not None:
        first = impacts[impacts["outcome"] == example.name].set_index("locality_code")
        for col, src in (("impact", "estimate"), ("impact_low", "low"), ("impact_high", "high")):
            rows[col] = rows["locality_code"].map(first[src])
    staggered, staggered_outcome = _staggered(spec, notes)
    return Comparison(
        spec, findings, impacts, rows, example, staggered, staggered_outcome, tuple(notes)
    )


def _funnel_chart(label: str, group: pd.DataFrame, *, ratio: bool) -> str:
    """Each locality's estimate against its precision, with limits around the pooled estimate."""
    target, _ = pooled_estimate(group["y"], group["se"])
    precision = 1 / group["se"]
    grid = np.linspace(precision.min() * 0.8, precision.max() * 1.1, 200)
    limits = estimate_limits(target, 1 / grid)
    show = np.exp if ratio else (lambda v: v)
    fig, ax = new_figure(height=4.5)
    for level, style in ((0.95, "--"), (0.998, ":")):
        for side in ("lower", "upper"):
            ax.plot(
                grid,
                show(limits[f"{side}_{level:g}"]),
                style,
                color="grey",
                label=f"{100 * level:g}% limits" if side == "lower" else None,
            )
    ax.axhline(show(target), color="black", linewidth=0.8, label="programme estimate")
    ax.axhline(1 if ratio else 0, color="grey", linewidth=0.6, alpha=0.5)
    ax.scatter(precision, show(group["y"]), color=PALETTE[0], zorder=3)
    for row, x in zip(group.itertuples(), precision, strict=True):
        ax.annotate(
            row.name, (x, show(row.y)), textcoords="offset points", xytext=(4, 4), fontsize=8
        )
    ax.set_xlabel("How precise the locality's estimate is (more people, further right)")
    ax.set_ylabel(f"Impact on {label}" + (" (ratio)" if ratio else ""))
    ax.legend(fontsize=9)
    outside = [f"{r.name} ({r.position})" for r in group.itertuples() if r.position != "within"]
    alt = (
        f"Funnel plot of each locality's estimated impact on {label} against its precision, "
        f"around the programme estimate of {show(target):.2f} with 95% and 99.8% limits. "
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


_POSITION_WORDS = {
    "within": "within what chance would explain",
    "above": "above the programme (99.8% limits)",
    "below": "below the programme (99.8% limits)",
}


def _outcome_section(c: Comparison, outcome: str, group: pd.DataFrame, policy: Any) -> list[str]:
    """One outcome's impact by locality: funnel, intervals in alphabetical order, and a table."""
    from evalkit.reports.sections.impact import DESIGN_WORDS, _what

    of = next(
        f.outcomes[outcome]
        for f in c.findings.values()
        if outcome in f.outcomes and f.outcomes[outcome].impact is not None
    )
    label = _what(of)
    ratio = bool(group["ratio"].iloc[0])
    designs = sorted(
        {
            DESIGN_WORDS[f.outcomes[outcome].design]
            for f in c.findings.values()
            if outcome in f.outcomes and f.outcomes[outcome].impact is not None
        }
    )
    parts = [
        f"<h2>Impact on {esc(narrative.in_sentence(outcome))} by locality</h2>",
        para(
            f"Each locality's estimate of what the service caused, comparing "
            f"{' or '.join(designs)}."
        ),
    ]
    if len(group) >= 2:
        parts.append(_funnel_chart(label, group, ratio=ratio))
    chart_rows = group.rename(
        columns={"estimate": "impact", "low": "impact_low", "high": "impact_high"}
    )
    parts.append(_impact_chart(chart_rows, label, ratio=ratio))
    counted = "Periods" if group["series"].iloc[0] else "People"
    table = pd.DataFrame(
        {
            counted: group["people"].astype(int).to_numpy(),
            "What we can say": group["words"].to_numpy(),
            "Against the programme": group["position"].map(_POSITION_WORDS).to_numpy(),
        },
        index=pd.Index(group["name"], name="Locality"),
    )
    parts.append(
        protected_table(
            table.sort_index(),
            policy,
            counts=[] if counted == "Periods" else [counted],
            derived=None if counted == "Periods" else {"What we can say": (counted,)},
            caption=f"Impact on {narrative.in_sentence(outcome)} by locality "
            "(alphabetical, not ranked)",
        )
    )
    return parts


def _value_section(c: Comparison, policy: Any) -> list[str]:
    """Value for money side by side, only where it rests on the locality's measured impact."""
    from evalkit.reports.sections.value import cost_phrase

    rows, assumed = [], []
    for code, f in c.findings.items():
        if f.cba is None:
            continue
        if not f.value_measured:
            assumed.append(f.locality_name)
            continue
        mc = f.monte_carlo
        units = f.unit_costs()
        rows.append(
            {
                "Locality": f.locality_name,
                "Savings to public budgets per £1": f"£{f.cba.financial_roi:.2f}",
                "90% of simulations": f"£{mc.financial_roi_ci_low:.2f} to "
                f"£{mc.financial_roi_ci_high:.2f}"
                if mc is not None
                else "not simulated",
                "All value per £1": f"£{f.cba.public_value_roi:.2f}",
                "Cost per person served": cost_phrase(*units["person"])
                if "person" in units
                else "not published",
                "Savings cover the cost": "yes" if f.cba.financial_roi >= 1 else "no",
                "_code": code,
            }
        )
    parts = ["<h2>Value for money by locality</h2>"]
    if not rows:
        parts.append(
            para(
                "No locality's value for money rests on its own measured impact, so none is "
                "compared here: figures built from the programme's assumptions would only "
                "compare costs per person."
            )
        )
        return parts
    covered = sum(r["Savings cover the cost"] == "yes" for r in rows)
    parts.append(
        para(
            f"Where value for money rests on the locality's own measured impact, the savings to "
            f"public budgets covered the cost in {covered} of {len(rows)} localities. Where the "
            "measured impact cannot be told apart from no effect, neither can the value for "
            "money that rests on it: see each locality's report."
        )
    )
    table = pd.DataFrame(rows).drop(columns="_code").set_index("Locality").sort_index()
    parts.append(
        protected_table(
            table,
            policy,
            counts=[],
            caption="Value for money, discounted, in the model's price year (alphabetical, "
            "not ranked)",
        )
    )
    if assumed:
        parts.append(
            para(
                "Not compared, because their value for money rests partly on the programme's "
                "assumptions rather than on measured impact: " + ", ".join(sorted(assumed)) + "."
            )
        )
    return parts


def summary_sentences(c: Comparison) -> list[str]:
    """The comparison's headline: per outcome, where the service made things better, worse or
    cannot be told; localities that stand out; launch waves; value for money."""
    out = []
    for outcome, group in c.impacts.groupby("outcome", sort=False):
        out.append(narrative.tally_sentence(outcome, group["verdict"].tolist()))
        outside = group[group["position"] != "within"]
        if not outside.empty:
            out.append(
                f"On {narrative.in_sentence(outcome)}, "
                + ", ".join(f"{r.name} ({r.position} the others)" for r in outside.itertuples())
                + " differed from the programme's estimate by more than chance would explain."
            )
    launches = {code: c.spec.launches.get(code) for code in c.findings}
    waves = sorted({d for d in launches.values() if d is not None})
    if len(waves) >= 2 and not c.impacts.empty:
        first = [code for code, d in launches.items() if d == waves[0]]
        later = [code for code, d in launches.items() if d is not None and d != waves[0]]

        def share(codes: list[str]) -> str:
            mine = c.impacts[c.impacts["locality_code"].isin(codes)]
            return f"{(mine['verdict'] == 'better').sum()} of {len(mine)}"

        out.append(
            f"Where the service started first ({waves[0]:%B %Y}), {share(first)} estimates show "
            f"it made things better. Where it started later, {share(later)} do."
        )
    too_few = [f.locality_name for f in c.findings.values() if f.too_few]
    if too_few:
        out.append(
            "Too few people to estimate what changed in: " + ", ".join(sorted(too_few)) + "."
        )
    return out


def comparison_html(spec_path: str, period: str = "") -> str:
    """The whole comparison report as HTML (the notebook displays it); ``spec_path`` relative to
    the project folder or absolute (see :func:`evalkit.config.locate`)."""
    spec = load_spec(locate(spec_path))
    c = compute_comparison(spec)
    policy = spec.disclosure.policy
    parts = [
        f"<h1>{esc(spec.title)}: all localities compared</h1>",
        para(
            f"Reporting period {period or spec.reporting_period.label}: "
            f"{spec.reporting_period.describe()}. {len(c.findings)} localities.",
            "note",
        ),
        "<h2>Summary</h2>",
        '<ul class="summary">'
        + "".join(f"<li>{esc(t)}</li>" for t in summary_sentences(c))
        + "</ul>",
        "<h2>Why no league table</h2>",
        para(
            "Ranking localities invites reading chance as performance. Each funnel plot shows a "
            "locality's estimate against how precise it is: the limits are wide where few people "
            "were served and narrow where many were. Only a locality outside the 99.8% limits "
            "differs from the programme's estimate by more than chance would easily explain. "
            "Two localities whose intervals overlap may still differ, and two that do not "
            "overlap are not ranked by it: comparing two localities needs an interval for their "
            "difference."
        ),
    ]
    for outcome, group in c.impacts.groupby("outcome", sort=False):
        parts += _outcome_section(c, str(outcome), group, policy)
    parts += _value_section(c, policy)
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
                "This compares each area, period by period after it started, with the areas "
                "that had not started yet (Callaway and Sant'Anna 2021)."
            ),
        ]
    for note in c.notes:
        parts.append(para(note, "note"))
    parts.append(
        para(
            f"Disclosure control: {get_policy(policy).label}; {get_policy(policy).describe()}",
            "note",
        )
    )
    return "\n".join(parts)
