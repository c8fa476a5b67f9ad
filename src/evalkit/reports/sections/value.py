"""Value for money: costs, who benefits and when, payback, returns with their uncertainty."""

from __future__ import annotations

import pandas as pd

from evalkit import narrative
from evalkit.econ.charts import (
    benefits_by_agency_chart,
    monte_carlo_chart,
    payback_chart,
    tornado_chart,
)
from evalkit.plots import figure_html
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import Findings
from evalkit.reports.sections._html import callout, esc, key_value_table, para

__all__ = ["value_for_money"]


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
        "Payback": (
            f"{r.payback_years:.1f} years"
            if r.payback_years is not None
            else f"not within {r.horizon_years} years"
        ),
        "Basis": "net of deadweight" if r.basis != "gross" else "GROSS (no deadweight)",
        "Discounting": r.discount,
    }
    return key_value_table(
        rows, caption=f"Value for money, {year} prices, discounted", cls="provenance money"
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
        parts.append(
            callout(
                "Value for money is not estimated here: "
                + (f.notes[0] if f.too_few and f.notes else "the spec has no cost-benefit inputs.")
            )
        )
        return "\n".join(parts)
    r = f.cba
    ctx.record("financial_roi", round(float(r.financial_roi), 2), label="Financial return per £1")
    parts.append(para(narrative.value_sentence(r, f.monte_carlo)))
    parts.append(
        para(
            "Costs are this locality's recorded spending. The benefits follow the local cost-benefit "
            "model (HM Treasury and New Economy, 2014): people engaged, times the share who achieve each "
            "outcome, less those who would have achieved it anyway (deadweight), reduced for optimism "
            "bias, valued per success and spread over the years the benefit lasts. The success rates "
            "and values are the programme's assumptions (listed under Methods), not measurements from "
            "this locality."
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
        parts.append(para(f.monte_carlo.summary()))
        fig, alt = monte_carlo_chart(f.monte_carlo)
        parts.append(figure_html(fig, alt))
    if f.tornado is not None and not f.tornado.empty:
        parts.append("<h3>Which assumptions matter most</h3>")
        fig, alt = tornado_chart(f.tornado)
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
