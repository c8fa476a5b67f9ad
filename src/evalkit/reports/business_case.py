"""The business case before the service: the spec's cost-benefit assumptions appraised alone.

Before any outcome data exist, a commissioner weighing a proposed service has only its
assumptions: who it will reach, how often it will succeed, what would have happened anyway, how
long the benefit lasts, what each success is worth and what the service costs. This module
appraises them with the local cost-benefit model (:class:`~evalkit.econ.CostBenefitModel`, HM
Treasury and New Economy 2014) exactly as the spec's ``cost_benefit:`` section states them:

- optimism bias stays in, as the Green Book applies it to forecasts: each cost is raised by its
  share and each outcome's successes are cut by its share (the locality reports drop it from
  spending already recorded; a business case is all forecast);
- the Monte Carlo range draws each parameter of the spec's ``sensitivity: ranges`` uniformly
  within its range (``draws`` and ``seed`` from the spec), as the locality reports do;
- switching values (Brent's method, :func:`~evalkit.econ.switching_values`) are said in words:
  "the service pays for itself to public budgets as long as ...";
- the assumptions that most need evidence are those whose range moves the return most (the
  tornado order of :func:`~evalkit.econ.one_way`).

An outcome's ``measured_by`` link is dropped: nothing has been measured yet, so every success is
an assumption and the appraisal is net of deadweight (gross when every deadweight is 0).

:func:`business_case_html` is the page the notebook ``notebooks/business_case.ipynb`` shows;
:func:`write_business_case` runs that notebook in the project's kernel, as ``evalkit run`` runs
reports, and writes ``reports/<programme>/business_case.html``.

References
----------
HM Treasury (2022), *The Green Book: central government guidance on appraisal and evaluation*,
section on optimism bias. HM Treasury, Public Service Transformation Network and New Economy
(2014), *Supporting public service transformation: cost benefit analysis guidance for local
partnerships*.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from pathlib import Path

import pandas as pd

from evalkit import narrative
from evalkit.config import ProgrammeSpec, load_spec, locate
from evalkit.econ import (
    CostBenefitModel,
    CostBenefitResult,
    MonteCarloResult,
    benefits_by_agency_chart,
    monte_carlo,
    monte_carlo_chart,
    one_way,
    payback_chart,
    switching_values,
    tornado_chart,
)
from evalkit.exceptions import ConfigError, EvidenceWarning, PipelineError
from evalkit.plots import figure_html
from evalkit.reports.sections._html import callout, esc, key_value_table, para
from evalkit.reports.sections.value import parameter_label

__all__ = [
    "NOTEBOOK",
    "BusinessCase",
    "appraise_business_case",
    "business_case_html",
    "business_case_model",
    "switching_sentence",
    "write_business_case",
]

#: The business case notebook, relative to the project folder.
NOTEBOOK = Path("notebooks/business_case.ipynb")


@dataclasses.dataclass(frozen=True)
class BusinessCase:
    """The appraisal of a proposed service from its assumptions alone.

    ``result`` is the central appraisal; ``monte_carlo`` and ``tornado`` (None without
    sensitivity ranges) its uncertainty; ``switching`` the switching value of each uncertain
    assumption and of each outcome's success rate (financial return = £1 per £1).
    """

    spec: ProgrammeSpec
    model: CostBenefitModel
    result: CostBenefitResult
    monte_carlo: MonteCarloResult | None
    tornado: pd.DataFrame | None
    switching: pd.DataFrame


def _require_cost_benefit(spec: ProgrammeSpec) -> None:
    if spec.cost_benefit is None:
        raise ConfigError(
            f"{spec.source}: cost_benefit: the spec has none; expected a cost_benefit section "
            "(cohorts, costs, outcomes and what each success is worth) for the business case"
        )


def business_case_model(spec: ProgrammeSpec) -> CostBenefitModel:
    """The spec's cost-benefit model as the business case appraises it (no measured links)."""
    _require_cost_benefit(spec)
    data = spec.cost_benefit.model_dump(exclude_none=True)  # type: ignore[union-attr]
    for outcome in data["outcomes"]:
        outcome.pop("measured_by", None)  # nothing is measured before the service
    return CostBenefitModel.from_dict(data, source=f"{spec.source} [cost_benefit]")


def appraise_business_case(spec: ProgrammeSpec) -> BusinessCase:
    """Appraise the spec's assumptions: central case, Monte Carlo, tornado and switching values."""
    from scipy import stats

    model = business_case_model(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)  # the page says so when gross
        result = model.appraise()
        known = model.parameters()
        ranges = {k: v for k, v in spec.sensitivity.ranges.items() if k in known}
        rates = [k for k in known if k.endswith(".success_rate")]
        keys = list(dict.fromkeys([*ranges, *rates]))
        switching = switching_values(model, keys, metric="financial_roi")
        mc = tornado = None
        if ranges:
            tornado = one_way(model, ranges, metric="financial_roi")
            draws = {k: stats.uniform(lo, hi - lo) for k, (lo, hi) in ranges.items()}
            mc = monte_carlo(model, draws, n=spec.sensitivity.draws, seed=spec.sensitivity.seed)
    return BusinessCase(spec, model, result, mc, tornado, switching)


# -- words ---------------------------------------------------------------------------------


def _value(key: str, value: float) -> str:
    """A parameter's value as a reader meets it: shares as percentages, amounts in pounds."""
    return narrative.money(value) if key.endswith(".amount") else f"{value:.0%}"


def switching_sentence(key: str, base: float, switching: float, base_roi: float) -> str:
    """A switching value in words, e.g. 'The service pays for itself to public budgets as long as
    the success rate for housing is at least 31% (the business case assumes 40%).'

    The direction follows from the model: the return rises with the parameter when the base
    return and the base value lie on the same side of break-even and the switching value.
    """
    label = parameter_label(key)
    if math.isnan(switching):
        return (
            f"No value of {label} alone would change whether the service pays for itself to "
            "public budgets."
        )
    rises = (base_roi - 1.0) * (base - switching) > 0
    bound = "at least" if rises else "at most"
    assumed = f"(the business case assumes {_value(key, base)})"
    if base_roi >= 1:
        return (
            f"The service pays for itself to public budgets as long as {label} is {bound} "
            f"{_value(key, switching)} {assumed}."
        )
    return (
        f"The service would pay for itself to public budgets only if {label} were {bound} "
        f"{_value(key, switching)} {assumed}."
    )


def _years(n: int) -> str:
    return f"{n} year" + ("" if n == 1 else "s")


def _table(frame: pd.DataFrame, caption: str) -> str:
    """A small table of assumptions or money (no counts of people), escaped."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in [frame.index.name or "", *frame])
    body = "".join(
        f'<tr><th scope="row">{esc(i)}</th>' + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    )
    return (
        f'<table class="money"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


# -- the page ------------------------------------------------------------------------------


def _in_brief(bc: BusinessCase) -> list[str]:
    r, cb = bc.result, bc.spec.cost_benefit
    people = sum(c.size for c in cb.cohorts)  # type: ignore[union-attr]
    out = [
        f"The service would work with {people:,.0f} people over "
        f"{_years(len({c.year for c in cb.cohorts}))}. It would cost "  # type: ignore[union-attr]
        f"{narrative.money(r.pv_costs)} in today's money, with an allowance for optimism.",
        f"Each £1 spent would return £{r.financial_roi:.2f} to public budgets. Counting wider "
        f"value as well, each £1 would return £{r.public_value_roi:.2f}.",
    ]
    if bc.monte_carlo is not None:
        mc = bc.monte_carlo
        out.append(
            f"In simulations, 90% of results lay between £{mc.financial_roi_ci_low:.2f} and "
            f"£{mc.financial_roi_ci_high:.2f} per £1. In {mc.prob_roi_below_1:.0%} of them "
            "public budgets got back less than they spent."
        )
    if bc.tornado is not None and not bc.tornado.empty:
        top = bc.tornado.iloc[0]
        row = bc.switching[bc.switching["parameter"] == top["parameter"]]
        if not row.empty:
            out.append(
                switching_sentence(
                    str(top["parameter"]),
                    float(row["base_value"].iloc[0]),
                    float(row["switching_value"].iloc[0]),
                    r.financial_roi,
                )
            )
        out.append(f"The assumption that most needs evidence is {parameter_label(top.parameter)}.")
    return out


def _optimism(bc: BusinessCase) -> str:
    cb = bc.spec.cost_benefit
    costs = sorted({c.bias for c in cb.costs})  # type: ignore[union-attr]
    benefits = sorted({o.bias for o in cb.outcomes})  # type: ignore[union-attr]
    shares = lambda xs: " to ".join(dict.fromkeys([f"{xs[0]:.0%}", f"{xs[-1]:.0%}"]))  # noqa: E731
    text = (
        "Forecasts tend to be too hopeful. So, as the HM Treasury Green Book asks, this case "
        f"adds {shares(costs)} to the costs and takes {shares(benefits)} off the benefits. "
        "This allowance is called optimism bias. It should shrink as evidence builds up."
    )
    if not bc.result.optimism_bias_verified:
        text += (
            " Some allowances come from confidence grades. The shares for those grades are "
            "not yet checked against the guidance, so check them before relying on them."
        )
    return text


def _costs(bc: BusinessCase) -> str:
    cb, factors = bc.spec.cost_benefit, bc.model.factors
    rows = {}
    for c in cb.costs:  # type: ignore[union-attr]
        raised = c.amount * (1 + c.bias)
        rows[c.name] = {
            "Year": c.year,
            "Paid by": c.agency or "not stated",
            "Forecast cost (£)": narrative.money(c.amount),
            "Optimism allowance": f"{c.bias:.0%}",
            "With the allowance (£)": narrative.money(raised),
            "In today's money (£)": narrative.money(raised * factors[c.year]),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("Cost")
    return _table(frame, f"What the service would cost ({bc.result.price_year} prices)")


def _who_benefits(bc: BusinessCase) -> str:
    agencies = bc.result.by_agency
    frame = pd.DataFrame(
        {
            "Pays (£)": agencies["pv_invests"].map(narrative.money).to_numpy(),
            "Saves (£)": agencies["pv_benefits"].map(narrative.money).to_numpy(),
            "Of which cashable (£)": agencies["pv_cashable"].map(narrative.money).to_numpy(),
            "Net (£)": agencies["pv_net"].map(narrative.money).to_numpy(),
        },
        index=pd.Index(agencies["agency"], name="Organisation"),
    )
    return _table(
        frame, f"Who pays and who saves, in today's money ({bc.result.price_year} prices)"
    )


def _assumptions(bc: BusinessCase) -> str:
    cb = bc.spec.cost_benefit
    rows = {}
    for o in cb.outcomes:  # type: ignore[union-attr]
        worth = [f"{narrative.money(v.amount)} to {v.agency}" for v in o.values.fiscal]
        if o.values.economic:
            worth.append(f"{narrative.money(o.values.economic)} wider economic value")
        if o.values.social:
            worth.append(f"{narrative.money(o.values.social)} social value")
        rows[o.name] = {
            "Success rate": f"{o.success_rate:.0%}",
            "Would happen anyway": f"{o.deadweight:.0%}",
            "Optimism allowance": f"{o.bias:.0%}",
            "Starts after": _years(o.lag_years),
            "Lasts": _years(o.duration_years),
            "Fades each year": f"{o.drop_off:.0%}",
            "Worth per success each year": "; ".join(worth) or "not valued",
            "Source of the values": o.values.source or "none given",
        }
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("Outcome")
    return _table(frame, f"The assumptions behind each benefit ({bc.result.price_year} prices)")


def _headline(bc: BusinessCase) -> str:
    r = bc.result
    return key_value_table(
        {
            "Cost, in today's money": narrative.money(r.pv_costs),
            "Savings to public budgets, in today's money": narrative.money(r.pv_fiscal),
            "  of which cashable": narrative.money(r.pv_fiscal_cashable),
            "Wider economic value": narrative.money(r.pv_economic),
            "Social value": narrative.money(r.pv_social),
            "Net present value to public budgets (savings minus cost)": narrative.money(
                r.net_present_budget_impact
            ),
            "Net present value to society (all value minus cost)": narrative.money(
                r.net_present_public_value
            ),
            "Return to public budgets per £1": f"£{r.financial_roi:.2f}",
            "Return counting all value per £1": f"£{r.public_value_roi:.2f}",
            "Pays back": narrative.payback_phrase(r.payback_years, r.horizon_years),
        },
        caption=f"The business case in figures ({r.price_year} prices, discounted)",
        cls="provenance money",
    )


def _switching(bc: BusinessCase) -> str:
    sentences = [
        switching_sentence(
            str(s.parameter), s.base_value, s.switching_value, bc.result.financial_roi
        )
        for s in bc.switching.itertuples()
    ]
    return "<ul>" + "".join(f"<li>{esc(t)}</li>" for t in sentences) + "</ul>"


def _evidence(bc: BusinessCase) -> list[str]:
    if bc.tornado is None or bc.tornado.empty:
        return [
            para(
                "The spec gives no plausible range for any assumption, so this case cannot say "
                "which matters most. Add ranges under sensitivity in the spec."
            )
        ]
    items = [
        f"{parameter_label(str(t.parameter)).capitalize()}: from {_value(t.parameter, t.low_value)} "
        f"to {_value(t.parameter, t.high_value)}, the return moves from £{t.at_low:.2f} to "
        f"£{t.at_high:.2f} per £1."
        for t in bc.tornado.itertuples()
    ]
    labelled = bc.tornado.assign(parameter=bc.tornado["parameter"].map(parameter_label))
    fig, alt = tornado_chart(labelled)
    return [
        para(
            "Each assumption was moved across its plausible range, one at a time. Those that "
            "move the return most come first. They are where evidence is most needed: a "
            "pilot, a published study or the provider's own records."
        ),
        "<ol>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ol>",
        figure_html(fig, alt),
    ]


def _annex(bc: BusinessCase) -> list[str]:
    from evalkit import __version__
    from evalkit._io import file_sha256

    r = bc.result
    rows = {
        "Method": r.method,
        "Discounting": r.discounting,
        "Basis": r.basis,
        "Monte Carlo": bc.monte_carlo.method if bc.monte_carlo is not None else "not run",
        "Programme spec": Path(str(bc.spec.source)).name,
        "Programme spec (SHA-256 fingerprint)": file_sha256(bc.spec.source)
        if bc.spec.source is not None
        else "not known",
        "evalkit version": __version__,
        "Generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return [
        "<h2 class='annex'>Annex. How this business case was made</h2>",
        para(
            "References: HM Treasury (2022), The Green Book; HM Treasury, Public Service "
            "Transformation Network and New Economy (2014), Supporting public service "
            "transformation: cost benefit analysis guidance for local partnerships."
        ),
        key_value_table(rows, caption="Method, versions and fingerprints"),
    ]


def business_case_html(spec_path: str) -> str:
    """The whole business case as HTML (the notebook shows it); ``spec_path`` relative to the
    project folder or absolute (see :func:`evalkit.config.locate`)."""
    spec = load_spec(locate(spec_path))
    bc = appraise_business_case(spec)
    r = bc.result
    parts = [
        f"<h1>Business case: {esc(spec.title)}</h1>",
        para(
            f"An appraisal of the proposed service from its assumptions alone, before any "
            f"outcome data. Money in {r.price_year} prices.",
            "note",
        ),
        "<h2>In brief</h2>",
        '<ul class="summary">' + "".join(f"<li>{esc(t)}</li>" for t in _in_brief(bc)) + "</ul>",
        "<h2>What this is</h2>",
        para(
            "This is a forecast. Every figure comes from the assumptions in the programme's "
            "plan, not from data about the service. It follows the local cost-benefit model "
            "(HM Treasury and New Economy, 2014). Take the people expected to use the service. "
            "Count those who engage and the share who succeed. Take off the share who would "
            "have succeeded anyway. Then value each success, year by year, for as long as the "
            "benefit lasts."
        ),
        para(_optimism(bc)),
    ]
    if r.basis == "gross":
        parts.append(
            callout(
                "No share is taken off for what would have happened anyway, so these figures "
                "overstate what the service would achieve."
            )
        )
    parts += ["<h2>Costs</h2>", _costs(bc), _headline(bc)]
    fig, alt = benefits_by_agency_chart(r)
    parts += [
        "<h2>Who benefits, and when</h2>",
        _who_benefits(bc),
        figure_html(fig, alt),
    ]
    fig, alt = payback_chart(r)
    parts += ["<h3>Payback</h3>", figure_html(fig, alt)]
    if bc.monte_carlo is not None:
        mc = bc.monte_carlo
        fig, alt = monte_carlo_chart(mc)
        parts += [
            "<h2>How sure can we be?</h2>",
            para(
                f"In {mc.n:,} simulations, each drawing the uncertain assumptions from their "
                f"ranges, the return to public budgets had a median of "
                f"£{mc.financial_roi_median:.2f} per £1. 90% of results lay between "
                f"£{mc.financial_roi_ci_low:.2f} and £{mc.financial_roi_ci_high:.2f}. In "
                f"{mc.prob_roi_below_1:.0%} of them public budgets got back less than they "
                "spent. The ranges cover only the assumptions given one, not doubts about the "
                "model itself."
            ),
            figure_html(fig, alt),
        ]
    parts += [
        "<h2>When would it pay for itself?</h2>",
        para("How far each assumption could move, alone, before the answer changes:"),
        _switching(bc),
        "<h2>Which assumptions most need evidence</h2>",
        *_evidence(bc),
        "<h2>The assumptions</h2>",
        _assumptions(bc),
        para(
            "Once the service runs, the evaluation report for each area compares these "
            "assumptions with what was measured."
        ),
        *_annex(bc),
    ]
    return "\n".join(parts)


# -- running the notebook ------------------------------------------------------------------


def write_business_case(
    spec_path: str | Path, output: str | Path | None = None, *, pdf: bool = False
) -> Path:
    """Run ``notebooks/business_case.ipynb`` for a spec and write its HTML page; return its path.

    The notebook runs as ``evalkit run`` runs reports (papermill, in a kernel evalkit starts,
    stopped after the spec's ``timeout_seconds``) and the page is written atomically, by
    default to ``reports/<programme>/business_case.html`` (``pdf``: a PDF beside it, printed by
    headless Chromium). A spec without ``cost_benefit`` is a :class:`ConfigError`; a notebook
    that fails is a :class:`PipelineError` naming the cell, with the executed notebook kept
    under ``_failed/`` and any previous page left in place.
    """
    from evalkit.intake.partitions import ALL_LOCALITIES
    from evalkit.reports.execute import execute_job
    from evalkit.reports.pdf import check_pdf_support, write_pdfs
    from evalkit.reports.plan import Job, preflight

    spec = load_spec(spec_path)
    _require_cost_benefit(spec)
    if pdf:
        check_pdf_support()
    folder = spec.output_folder
    html_path = Path(output) if output is not None else folder / "business_case.html"
    job = Job(
        programme=spec.programme,
        report="business_case",
        title="Business case",
        locality=ALL_LOCALITIES,
        locality_name=spec.title,
        notebook=spec.path(NOTEBOOK),
        parameters={"spec_path": str(Path(str(spec.source)).resolve())},
        html_path=html_path.resolve(),
        failed_path=folder / "_failed" / "business_case" / f"{ALL_LOCALITIES}.ipynb",
        log_path=folder / "_logs" / "business_case" / f"{ALL_LOCALITIES}.log",
        kernel=spec.kernel,
        timeout=spec.timeout_seconds,
        cwd=spec.project_root,
    )
    preflight([job])
    html_path.parent.mkdir(parents=True, exist_ok=True)
    outcome = execute_job(job)
    if outcome.status != "ok":
        kept = f"; notebook kept: {outcome.failed_notebook}" if outcome.failed_notebook else ""
        raise PipelineError(
            f"the business case failed at cell {outcome.cell}: {outcome.error}{kept}"
        )
    if pdf:
        write_pdfs([job.html_path], force=True)
    return job.html_path
