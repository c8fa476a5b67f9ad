"""Value for money: costs, who benefits and when, payback, returns with their uncertainty."""

from __future__ import annotations

import math

import pandas as pd

from evalkit import narrative
from evalkit.econ.charts import (
    benefits_by_agency_chart,
    monte_carlo_chart,
    payback_chart,
    tornado_chart,
)
from evalkit.econ.discounting import discount_schedule
from evalkit.plots import figure_html
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings
from evalkit.reports.sections._html import callout, esc, key_value_table, para

__all__ = ["cost_phrase", "cost_sentence", "value_for_money"]


def _headline(f: Findings) -> str:
    r = f.cba
    year = r.price_year
    rows = {
        f"Present value of costs (£, {year} prices)": narrative.money(r.pv_costs),
        f"Present value of savings to public budgets (£, {year} prices)": narrative.money(
            r.pv_fiscal
        ),
        "  of which cashable": narrative.money(r.pv_fiscal_cashable),
        f"Present value of wider economic value (£, {year} prices)": narrative.money(r.pv_economic),
        f"Present value of social value (£, {year} prices)": narrative.money(r.pv_social),
        "Net present budget impact (savings minus costs)": narrative.money(
            r.net_present_budget_impact
        ),
        "Financial return (savings per £1 spent)": f"£{r.financial_roi:.2f}",
        "Public value return (all value per £1 spent)": f"£{r.public_value_roi:.2f}",
        "Payback": narrative.payback_phrase(r.payback_years, r.horizon_years),
        "Basis": r.basis if r.basis != "gross" else "GROSS (no deadweight)",
        "Discounting": r.discount,
    }
    return key_value_table(
        rows, caption=f"Value for money, {year} prices, discounted", cls="provenance money"
    )


def cost_phrase(low: float, high: float) -> str:
    """'about £2,100' or, where one figure would say more than the published count, 'between
    about £3,000 and £3,800' with the ends rounded outwards to two significant figures (see
    :meth:`Findings.unit_costs`)."""
    if low == high:
        return f"about {narrative.money(low)}"

    def outward(value: float, up: bool) -> float:
        step = 10 ** (math.floor(math.log10(value)) - 1)
        return (math.ceil if up else math.floor)(value / step) * step

    return (
        f"between about {narrative.money(outward(low, False))} and "
        f"{narrative.money(outward(high, True))}"
    )


def cost_sentence(f: Findings) -> str:
    """Recorded spending and what it comes to per person served and per household."""
    units = f.unit_costs()
    each = " and ".join(
        f"{cost_phrase(*v)} for each {'person served' if u == 'person' else u}"
        for u, v in units.items()
    )
    prices = (
        f"{f.spend_price_year} prices"
        if f.spend_price_year is not None
        else "as recorded, not adjusted for inflation"
    )
    return f"Recorded spending was {narrative.money(f.spend)} ({prices})" + (
        f": {each}." if each else "."
    )


def _discounting(f: Findings) -> str:
    """The discount rate and convention, in words (the schedule's name and version go to the
    annex)."""
    last = f.cba.horizon_years - 1
    bands = [
        f"{rate:.1%} a year" + (f" for years {lo} to {min(hi, last)}" if hi is not None else "")
        if lo == 0
        else f"then {rate:.1%} from year {lo}"
        for lo, hi, rate in discount_schedule(f.cba.discount).bands
        if lo <= last
    ]
    return (
        f"Future costs and benefits are discounted at {', '.join(bands)}, as the HM Treasury "
        "Green Book sets out: money in the first year counts in full, and each later year's "
        "counts for a little less, because money now is worth more than money later."
    )


def _sources(f: Findings) -> str:
    """Where each outcome's successes come from: the measured impact or the assumptions."""
    rows = {}
    for b in f.benefits:
        if b.measured:
            rows[b.outcome] = (
                f"measured: the impact on {narrative.in_sentence(str(b.measured_by))} "
                f"(evidence level {b.level} of 5), {b.rate:.3f} per person "
                f"(95% interval {b.low:.3f} to {b.high:.3f})"
            )
        else:
            rows[b.outcome] = f"assumed: {b.rate:.3f} per person after deadweight ({b.reason})"
    return key_value_table(rows, caption="Where the benefits come from", cls="provenance")


def _values(f: Findings) -> str:
    """What each success is worth, to whom, whether cashable, and where the values come from."""
    year = f.cba.price_year
    rows = {}
    for outcome in f.cba_spec["outcomes"]:
        values = outcome["values"]
        parts = [
            f"{narrative.money(v['amount'])} to {v['agency']} "
            f"({'cashable' if v.get('cashable', True) else 'not cashable'})"
            for v in values.get("fiscal", [])
        ]
        if values.get("economic"):
            parts.append(f"{narrative.money(values['economic'])} wider economic value")
        if values.get("social"):
            parts.append(f"{narrative.money(values['social'])} social value")
        source = values.get("source") or "no source given in the programme spec"
        rows[outcome["name"]] = f"{'; '.join(parts)}. Source: {source}"
    return key_value_table(
        rows, caption=f"What each success is worth ({year} prices)", cls="provenance"
    )


def parameter_label(key: str) -> str:
    """A model parameter key in words: 'housing.success_rate' -> 'the success rate for housing'."""
    outcome, _, name = key.rpartition(".")
    words = name.replace("_", " ")
    return f"the {words} for {outcome}" if outcome else f"the {words}"


def _switching(f: Findings) -> str:
    items = []
    for row in f.switching.itertuples():
        label = parameter_label(str(row.parameter))
        value = getattr(row, "switching_value", float("nan"))
        if pd.notna(value):
            items.append(
                f"Every £1 would return £1 if {label} were {value:.2f} instead of "
                f"{row.base_value:.2f}."
            )
        else:
            items.append(f"No plausible value of {label} alone brings the return to £1.")
    return "<ul>" + "".join(f"<li>{esc(text)}</li>" for text in items) + "</ul>"


def value_for_money(ctx: ReportContext, f: Findings) -> str:
    """Costs, benefits by agency and year, payback, returns with Monte Carlo range, switching values."""
    parts = ["<h2>Value for money</h2>"]
    if f.cba is None:
        if f.spend is not None:
            parts.append(para(cost_sentence(f)))
        if f.too_few and f.notes:
            why = f.notes[0]
        elif ctx.spec.cost_benefit is None:
            why = (
                "the evaluation plan does not say what each outcome is worth, and to whom, so "
                "spending can be set against the people served but not against what the service "
                "achieved."
            )
        else:
            why = "there is no recorded spending for this locality."
        parts.append(callout("Value for money is not estimated here: " + why))
        return "\n".join(parts)
    r = f.cba
    if f.value_measured:
        # Only a figure built from this locality's measured impact may sit beside the others on
        # the index; one from programme-wide assumptions would only rank costs per person.
        ctx.record(
            "financial_roi", round(float(r.financial_roi), 2), label="Financial return per £1"
        )
    parts.append(para(narrative.value_sentence(r, f.monte_carlo)))
    parts.append(para(cost_sentence(f)))
    parts.append(para(_discounting(f)))
    parts.append(
        para(
            "Costs are this locality's recorded spending (no optimism bias is added to money "
            "already spent). The benefits follow the local cost-benefit model (HM Treasury and "
            "New Economy, 2014): people engaged, times the successes each outcome brings per "
            "person, valued per success and spread over the years the benefit lasts. Where the "
            "evaluation measured the service's impact on an outcome, the successes come from "
            "that estimate and its interval; elsewhere they are the programme's assumptions, "
            "reduced for deadweight and optimism bias. The table below says which is which."
        )
    )
    parts.append(_sources(f))
    parts.append(_values(f))
    weak = [b for b in f.benefits if b.measured and b.crosses_no_effect]
    if weak:
        names = ", ".join(narrative.in_sentence(b.measured_by or b.outcome) for b in weak)
        parts.append(
            callout(
                f"The measured impact on {names} cannot be told apart from no effect, so "
                "neither can the value for money that rests on it."
            )
        )
    if not any(b.measured for b in f.benefits):
        parts.append(
            callout(
                "None of these benefits was measured here: the return shows what the "
                "programme's assumptions imply at this locality's costs, not how well the "
                "service did."
            )
        )
    parts.append(_headline(f))
    if r.basis == "gross":
        parts.append(
            callout(
                "These are GROSS figures: they include outcomes that would have "
                "happened anyway, so they overstate what the programme achieved."
            )
        )
    fig, alt = benefits_by_agency_chart(r)
    parts.append("<h3>Who benefits, and when</h3>" + figure_html(fig, alt))
    fig, alt = payback_chart(r)
    parts.append("<h3>Payback</h3>" + figure_html(fig, alt))
    if f.monte_carlo is not None:
        parts.append("<h3>How sure are we?</h3>")
        mc = f.monte_carlo
        parts.append(
            para(
                f"In {mc.n:,} simulations, each drawing the uncertain inputs from their ranges, "
                f"the financial return had a median of £{mc.financial_roi_median:.2f} per £1, "
                f"and 90% of results lay between £{mc.financial_roi_ci_low:.2f} and "
                f"£{mc.financial_roi_ci_high:.2f}. In {mc.prob_roi_below_1:.0%} of them public "
                "budgets got back less than they spent. The ranges cover only the inputs given "
                "one, not doubts about the model itself."
            )
        )
        fig, alt = monte_carlo_chart(f.monte_carlo)
        parts.append(figure_html(fig, alt))
    if f.tornado is not None and not f.tornado.empty:
        parts.append("<h3>Which assumptions matter most</h3>")
        labelled = f.tornado.assign(parameter=f.tornado["parameter"].map(parameter_label))
        fig, alt = tornado_chart(labelled)
        parts.append(figure_html(fig, alt))
    if f.switching is not None and not f.switching.empty:
        parts.append("<h3>Switching values</h3>")
        parts.append(
            para(
                "How far each assumption would have to move, alone, for every £1 spent to "
                "return exactly £1 to public budgets:"
            )
        )
        parts.append(_switching(f))
    return "\n".join(parts)
