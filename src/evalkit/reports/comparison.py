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
from evalkit.config import ProgrammeSpec, load_spec
from evalkit.disclosure import is_disclosive
from evalkit.exceptions import EvalkitError, StatisticalWarning
from evalkit.intake import load_partition
from evalkit.outcomes.funnel import funnel_limits, funnel_position
from evalkit.plots import PALETTE, figure_html, new_figure
from evalkit.reference import locality_name
from evalkit.reports.findings import MIN_FOR_ESTIMATES
from evalkit.reports.sections._html import callout, esc, para, protected_table

__all__ = ["Comparison", "comparison_html", "compute_comparison"]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The per-locality figures of a programme and the programme-wide estimates."""

    spec: ProgrammeSpec
    indicator: str
    target_rate: float
    localities: pd.DataFrame
    staggered: Any = None
    notes: tuple[str, ...] = ()


def _all(spec: ProgrammeSpec, table: str, codes: list[str]) -> pd.DataFrame:
    return pd.concat([load_partition(spec, table, c) for c in codes], ignore_index=True)


def _staggered(spec: ProgrammeSpec, notes: list[str]) -> Any:
    from evalkit.impact import staggered_did

    codes = [*spec.localities, *spec.comparison_localities]
    series = _all(spec, "timeseries", codes)
    if series.empty:
        return None
    series = series.assign(
        rate=series["referrals"].astype(float) / series["population_0_17"].astype(float) * 10_000,
        first=series["launch_time"].astype("Float64"),
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            return staggered_did(
                series, "rate", "locality_code", "time", "first", control_group="not_yet_treated"
            )
    except EvalkitError as exc:
        notes.append(f"The programme-wide effect on referrals could not be estimated: {exc}")
        return None


def compute_comparison(spec: ProgrammeSpec) -> Comparison:
    """Per-locality indicator rates and wellbeing impact, and the staggered roll-out estimate."""
    from evalkit.impact import did, stack_pre_post
    from evalkit.outcomes import indicator_results

    people = _all(spec, "service_users", spec.localities)
    participants = people[people["group"] == "participant"]
    indicator = spec.indicators[0]
    rates = indicator_results(participants, [indicator], by="locality_code")
    rows = rates[["locality_code", "n", "successes", "rate", "ci_low", "ci_high"]].copy()
    rows["served"] = rows["locality_code"].map(participants["locality_code"].value_counts())
    notes: list[str] = []
    wb = spec.wellbeing
    effects = []
    for code in rows["locality_code"]:
        mine = people[people["locality_code"] == code]
        if wb is None or (mine["group"] == "participant").sum() < MIN_FOR_ESTIMATES:
            effects.append((np.nan, np.nan, np.nan))
            continue
        try:
            r = did(
                stack_pre_post(mine, wb.pre, wb.post), "y", "treated", "post", cluster="person_id"
            )
            effects.append((r.estimate, r.ci_low, r.ci_high))
        except EvalkitError as exc:
            notes.append(f"{locality_name(code)}: {exc}")
            effects.append((np.nan, np.nan, np.nan))
    rows[["impact", "impact_low", "impact_high"]] = effects
    rows["name"] = rows["locality_code"].map(locality_name)
    target = float(rates["successes"].sum() / rates["n"].sum())
    return Comparison(spec, indicator.name, target, rows, _staggered(spec, notes), tuple(notes))


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
        f"Funnel plot of {c.indicator.lower()} against the number of people, one point per "
        f"locality, around the programme rate of {100 * c.target_rate:.0f}% with 95% and 99.8% "
        "limits. "
        + (
            f"Outside the 99.8% limits: {', '.join(outside)}."
            if outside
            else "Every locality lies within the 99.8% limits."
        )
    )
    return figure_html(fig, alt)


def _ranked_chart(rows: pd.DataFrame) -> str:
    ranked = rows.dropna(subset=["impact"]).sort_values("impact")
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
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(y, ranked["name"])
    ax.set_xlabel("Estimated impact on wellbeing (points, 95% interval)")
    alt = (
        "Ranked chart of estimated wellbeing impact by locality with 95% intervals: "
        + "; ".join(
            f"{r.name} {r.impact:.1f} ({r.impact_low:.1f} to {r.impact_high:.1f})"
            for r in ranked.itertuples()
        )
        + "."
    )
    return figure_html(fig, alt)


def comparison_html(spec_path: str, period: str = "") -> str:
    """The whole comparison report as HTML (the notebook displays it)."""
    spec = load_spec(spec_path)
    c = compute_comparison(spec)
    policy = spec.disclosure.policy
    rows = c.localities
    rows["position"] = [funnel_position(r.rate, int(r.n), c.target_rate) for r in rows.itertuples()]
    shown = rows[[not is_disclosive(int(n), policy) for n in rows["n"]]]
    hidden = rows[[is_disclosive(int(n), policy) for n in rows["n"]]]
    parts = [
        f"<h1>{esc(spec.title)}: all localities compared</h1>",
        para(
            f"Reporting period {period or spec.reporting_period}. {len(rows)} localities.", "note"
        ),
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
    parts += [
        "<h2>Impact on wellbeing by locality</h2>",
        para(
            "Each point is a locality's difference-in-differences estimate (people served against "
            "eligible people not served, before and after), with its 95% interval. Where intervals "
            "overlap, the data cannot tell the localities apart."
        ),
        _ranked_chart(rows),
    ]
    if c.staggered is not None:
        parts += [
            "<h2>Programme-wide effect on referrals</h2>",
            para(
                narrative.impact_sentence(
                    c.staggered,
                    "children's social care referrals per 10,000 children per quarter",
                    unit="referrals per 10,000 children",
                )
            ),
            para(
                "Method: Callaway and Sant'Anna (2021) group-time effects of launch, averaged over "
                "localities and quarters after launch, against localities not yet launched."
            ),
        ]
    for note in c.notes:
        parts.append(para(note, "note"))
    policy_name = policy if isinstance(policy, str) else "custom"
    parts.append(f'<p class="note">Disclosure control: {html.escape(policy_name)} policy.</p>')
    return "\n".join(parts)
