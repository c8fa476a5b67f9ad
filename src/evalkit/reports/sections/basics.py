"""The frame of the report: title, summary, methods and caveats, glossary, provenance."""

from __future__ import annotations

from evalkit import narrative
from evalkit.disclosure import get_policy
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings, OutcomeFindings
from evalkit.reports.sections._html import SHARE_DOUBT, esc, key_value_table, para

__all__ = ["glossary", "header", "methods", "provenance_section", "summary", "summary_sentences"]


def header(ctx: ReportContext) -> str:
    """Title, locality, period and what the programme is."""
    spec = ctx.spec
    by = f" Commissioned by {spec.commissioner}." if spec.commissioner else ""
    return (
        f"<h1>{esc(spec.title)}: {esc(ctx.locality_name)}</h1>"
        + para(
            f"Evaluation report for {ctx.locality_name} ({ctx.locality}), reporting period "
            f"{ctx.period}.{by}",
            "note",
        )
        + para(spec.description)
    )


def _impact_claim(of: OutcomeFindings) -> str:
    from evalkit.reports.sections.impact import claim

    return claim(of, evidence=False)[:-1] + f"; evidence level {of.evidence_level} of 5."


def _change_claim(of: OutcomeFindings, policy: object) -> str | None:
    o = of.outcome
    if of.indicator is not None:
        row = of.indicator
        verdict = {"met": "met", "not met": "not met", "cannot tell yet": "too close to tell"}
        target = (
            f", against a target of {100 * o.target:.0f}% "
            f"({verdict[narrative.target_verdict(row)]})"
            if o.target is not None
            else ""
        )
        return (
            f"{o.name}: {100 * row['rate']:.0f}% of the people served after support{target}. On "
            "its own this is not evidence of what the service caused."
        )
    if of.change is not None:
        change = of.change.estimate
        verb = "rose" if change > 0 else "fell" if change < 0 else "did not change"
        amount = f" by {narrative.amount(abs(change), o.unit_words)}" if change else ""
        better = "higher" if o.higher_is_better else "lower"
        when = (
            "between the first and last readings"
            if of.source_kind != "readings" or not (o.before or o.after)
            else f"from {o.before or 'the first'} to {o.after or 'the last'} readings"
        )
        return (
            f"{o.name}: the average {verb}{amount} {when} ({better} is better). On its own "
            "this is change over time, not proof that the service caused it."
        )
    return None


def summary_sentences(ctx: ReportContext, f: Findings) -> list[str]:
    """Five or six plain-English sentences with the key numbers, chosen by the results."""
    out = [
        f"The service worked with {narrative.count_phrase(f.n_served, f.policy)} people in "
        f"{f.locality_name} ({ctx.spec.reporting_period.describe()})."
    ]
    if f.too_few:
        out.append(
            "That is too few to estimate what changed or what the service caused without risking "
            "people's privacy or drawing conclusions from chance, so this report shows only "
            "suppressed counts."
        )
        return out
    impacts = [of for of in f.outcomes.values() if of.impact is not None]
    for of in impacts[:3]:
        out.append(_impact_claim(of))
    if not impacts:
        out.append(
            "The evaluation could not estimate what the service caused for any outcome: what "
            "follows is change over time, which is not evidence of impact."
        )
    for of in f.outcomes.values():
        if len(out) >= 5:
            break
        if of.impact is None and (claim := _change_claim(of, f.policy)):
            out.append(claim)
    if f.spend is not None:
        from evalkit.reports.sections.value import cost_sentence

        out.append(cost_sentence(f))
    if f.cba is not None:
        basis = (
            ""
            if f.value_measured
            else " This rests partly on the programme's assumptions, not only on what was "
            "measured here."
        )
        out.append(narrative.value_sentence(f.cba, f.monte_carlo) + basis)
    return out


def next_steps(ctx: ReportContext, f: Findings) -> list[str]:
    """What to consider next, derived from the findings: gaps in the evidence and the data that
    would fill them, results that need a closer look, and questions for the learning cycle."""
    out: list[str] = []
    for of in f.outcomes.values():
        name = narrative.in_sentence(of.name)
        if of.impact is None and of.not_used:
            reasons = "; ".join(sorted({n.reason for n in of.not_used}))
            out.append(f"What the service caused for {name} could not be estimated ({reasons}).")
        elif of.impact is None and of.source_kind != "series" and of.distance is None:
            out.append(
                f"There is no comparison for {name}: readings from similar people not served "
                "would show what the service caused."
            )
    unclear_names = [
        narrative.in_sentence(of.name)
        for of in f.outcomes.values()
        if of.impact is not None and of.impact.crosses_no_effect
    ]
    if unclear_names:
        listed = narrative.joined(unclear_names, "or")
        out.insert(
            0,
            f"We cannot tell whether the service changed {listed} here: that is not the same "
            "as no effect. Questions for the next learning cycle: would more time or more people "
            "show a difference, and what do the people served say changed for them?",
        )
    if f.benefits and not f.value_measured:
        assumed = [narrative.in_sentence(b.outcome) for b in f.benefits if not b.measured]
        out.append(
            "Value for money rests on assumptions for " + ", ".join(assumed) + ": linking each "
            "to an outcome the evaluation measures, with a comparison, would put evidence behind it."
        )
    first = min(ctx.spec.launches.values(), default=None)
    unclear = any(
        of.impact is not None and of.impact.crosses_no_effect for of in f.outcomes.values()
    )
    if f.launch is not None and first is not None and unclear:
        later = (f.launch - first).days // 30
        if later >= 12:
            out.append(
                f"The service started here in {f.launch:%B %Y}, about {later} months after the "
                f"first areas ({first:%B %Y}): where we cannot tell yet, it may be too new here "
                "to show its effect. Compare with the early areas in the next report."
            )
    if f.launch is not None and ctx.spec.reporting_period.end is not None:
        months = (ctx.spec.reporting_period.end - f.launch).days // 30
        if months < 18:
            out.append(
                f"The service had run here for about {months} months by the end of the period: "
                "effects that take longer to show may not be seen yet."
            )
    if f.cba is not None and f.value_measured and f.cba.financial_roi < 1:
        out.append(
            f"The savings to public budgets do not cover the cost here (£{f.cba.financial_roi:.2f} "
            "per £1): the value for money section shows which assumption would have to change, "
            "and by how much, for them to do so."
        )
    helped = [
        narrative.in_sentence(of.name)
        for of in f.outcomes.values()
        if of.impact is not None and not of.impact.crosses_no_effect
    ]
    if helped and len(out) < 5:
        out.append(
            f"The service made a measurable difference to {' and '.join(helped[:2])} here: a question "
            "for the next learning cycle is what made the difference, and whether it can spread "
            "to the areas where we cannot tell yet."
        )
    return out[:5]


def summary(ctx: ReportContext, f: Findings) -> str:
    """The summary section: the key findings and what to consider next."""
    items = "".join(f"<li>{esc(s)}</li>" for s in summary_sentences(ctx, f))
    out = f'<h2>Summary</h2><ul class="summary">{items}</ul>'
    steps = [] if f.too_few else next_steps(ctx, f)
    if steps:
        listed = "".join(f"<li>{esc(s)}</li>" for s in steps)
        out += f'<h3>What to consider next</h3><ul class="next-steps">{listed}</ul>'
    return out


def methods(ctx: ReportContext, f: Findings) -> str:
    """Methods, the assumptions log, data sources with hashes, the disclosure policy, caveats."""
    policy = get_policy(ctx.disclosure_policy)
    assumptions: dict[str, str] = {}
    used = {of.design for of in f.outcomes.values()}
    if "comparison_group" in used:
        assumptions["Comparison group"] = (
            "eligible people who were not served; assumed to have changed as the people served "
            "would have without the service (parallel trends)"
        )
    if "never_treated" in used:
        names = ", ".join(ctx.spec.comparison_localities.values())
        assumptions["Comparison areas"] = (
            f"{names}: areas that never had the service, assumed to share the locality's trend "
            "apart from the service"
        )
    for o in ctx.spec.outcomes:
        if o.reliability is not None:
            assumptions[f"Reliable change: {o.name}"] = f"reliability {o.reliability}"
    if f.cba_spec:
        for outcome in f.cba_spec["outcomes"]:
            name = outcome["name"]
            assumptions[f"Cost-benefit: {name}"] = (
                f"success rate {outcome['success_rate']:.0%}, deadweight {outcome['deadweight']:.0%}, "
                f"benefits from year {outcome.get('lag_years', 0)} for "
                f"{outcome.get('duration_years', 1)} years, drop-off {outcome.get('drop_off', 0):.0%} "
                "a year"
            )
        assumptions["Cost-benefit: engagement rate"] = f"{f.cba_spec['engagement_rate']:.0%}"
        assumptions["Cost-benefit: price year and discounting"] = (
            f"{f.cba_spec['price_year']} prices; {f.cba.discounting if f.cba else ''}"
        )
    for of in f.outcomes.values():
        if of.impact is not None:
            assumptions[f"Estimator: {of.name}"] = of.impact.method
    notes = [*f.notes, *(n for of in f.outcomes.values() for n in of.notes)]
    for i, note in enumerate(notes):
        assumptions["Not estimated" + (f" ({i + 1})" if i else "")] = note
    assumptions["Records covered"] = ctx.spec.reporting_period.describe()
    return (
        "<h2 class='annex'>Annex A. Methods, assumptions and caveats</h2>"
        + para(
            "Every figure in this report was computed by evalkit from the programme's records, "
            "pseudonymised at intake. Each estimate names its method; impact estimates give their "
            "level on the Maryland Scientific Methods Scale (1 weakest, 5 strongest)."
        )
        + key_value_table(assumptions, caption="Assumptions log")
        + para(
            f"Disclosure control: {policy.label}; {policy.describe()} Totals are computed from "
            "unrounded data. Rates and means from suppressed counts are withheld. Percentages "
            "in tables are worked out from the published numbers; where rounding leaves more "
            f"than {SHARE_DOUBT} points of doubt, the range the true percentage lies in is shown "
            "(such as 59\u201395)."
        )
        + para("Caveats: " + "; ".join(_caveats(f)) + ".")
    )


def _caveats(f: Findings) -> list[str]:
    """The caveats that apply to this report's findings."""
    used = {of.design for of in f.outcomes.values() if of.design}
    out = []
    if "comparison_group" in used or "matching" in used:
        out.append(
            "the people compared with those served may differ from them in ways the data do not "
            "record"
        )
    if "never_treated" in used or "time_series" in used:
        out.append(
            "other changes in the area at the same time as the launch would bias the estimates"
        )
    if used == {"before_after"}:
        out.append(
            "with no comparison, change over time cannot be told apart from the service's effect"
        )
    if f.cba is not None:
        out.append("the cost-benefit success rates and values are assumptions, not measurements")
    out.append("small numbers give wide intervals")
    return out


_GLOSSARY = {
    "Confidence interval": "the range of values the data are consistent with; a 95% interval "
    "would contain the true value in 95 of 100 repeated studies.",
    "Comparison group": "people who were eligible but not served, used to estimate what would "
    "have happened without the service.",
    "Difference-in-differences": "the change for people served minus the change for the "
    "comparison group over the same time.",
    "Interrupted time series": "a comparison of a series after a change with the trend it was "
    "following before.",
    "Maryland Scientific Methods Scale": "a 1 to 5 rating of how well a design rules out other "
    "explanations: 1 before/after only, 3 a comparison group before and after, 5 randomised.",
    "Effect size (d_z)": "the average change divided by how much changes vary between people; "
    "about 0.2 is small, 0.5 moderate, 0.8 large.",
    "Reliable change": "a change in a person's score bigger than measurement error alone would "
    "explain (Jacobson and Truax 1991).",
    "Deadweight": "outcomes that would have happened anyway, without the service.",
    "Optimism bias": "the tendency to overstate benefits and understate costs; benefits are "
    "reduced and costs raised to allow for it.",
    "Present value": "future money expressed in today's terms by discounting, as the HM Treasury "
    "Green Book sets out.",
    "Financial return": "savings to public budgets for each £1 spent; below £1, the savings do "
    "not cover the cost.",
    "Gross and net": "gross figures include what would have happened anyway; net figures do not.",
    "Suppressed (*)": "a count too small to publish without risk of identifying someone.",
}


def _terms_used(f: Findings) -> set[str]:
    """The glossary terms that this report's findings use."""
    used = {of.design for of in f.outcomes.values()}
    terms = {"Confidence interval", "Maryland Scientific Methods Scale", "Suppressed (*)"}
    if used & {"comparison_group", "matching"}:
        terms.add("Comparison group")
    if "comparison_group" in used:
        terms.add("Difference-in-differences")
    if used & {"time_series", "never_treated"}:
        terms.add("Interrupted time series")
    if any(of.effect_size is not None for of in f.outcomes.values()):
        terms.add("Effect size (d_z)")
    if any(of.reliable is not None for of in f.outcomes.values()):
        terms.add("Reliable change")
    if f.cba is not None:
        terms |= {
            "Deadweight",
            "Optimism bias",
            "Present value",
            "Financial return",
            "Gross and net",
        }
    return terms


def glossary(f: Findings | None = None) -> str:
    """Plain-English meanings of the terms the report uses (every term without ``f``)."""
    terms = _terms_used(f) if f is not None else set(_GLOSSARY)
    items = "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in _GLOSSARY.items() if k in terms
    )
    return f"<h2 class='annex'>Annex B. Glossary</h2><dl>{items}</dl>"


def _in_project(ctx: ReportContext, value: object) -> object:
    """A path inside the project shown relative to it: no machine paths in a report."""
    text = str(value)
    root = str(ctx.spec.project_root)
    if text.startswith(root):
        return text[len(root) :].lstrip("/\\") or "."
    return value


def provenance_section(ctx: ReportContext) -> str:
    """Where this report came from: versions, commit, data hashes, parameters, policy."""
    prov = ctx.provenance()
    dirty = prov["git_dirty"]
    rows = {
        "evalkit version": prov["evalkit_version"],
        "Git commit": prov["git_commit"],
        "Working tree changed since commit": "unknown"
        if dirty is None
        else ("yes: uncommitted changes" if dirty else "no"),
        "Generated": prov["generated_at"],
        "Disclosure policy": prov["disclosure_policy"],
        "Programme spec": _in_project(ctx, prov["spec"]),
    }
    rows |= {f"Parameter {k}": _in_project(ctx, v) for k, v in prov["parameters"].items()}
    rows |= {f"Data file {k} (SHA-256 fingerprint)": v for k, v in prov["data_sha256"].items()}
    return "<h2 class='annex'>Annex C. How this report was made</h2>" + key_value_table(
        rows, caption="Versions, parameters and fingerprints of the data used"
    )
