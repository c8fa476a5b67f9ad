"""Assumed against measured: the business case's assumptions beside what this locality's data show.

The business case (:mod:`evalkit.reports.business_case`) rests on the spec's ``cost_benefit:``
assumptions. Once the evaluation has measured an outcome that a cost-benefit outcome is linked to
(``measured_by``), this section sets the assumption beside the measurement, each with its
interval, and says what the difference does to the return.

Every number comes from :class:`~evalkit.reports.findings.Findings`, the one source of the impact
and value sections: the measured rate and its 95% interval are the
:class:`~evalkit.reports.findings.BenefitSource` the value-for-money model used (the impact
estimate, signed so that a success counts up, clipped to [0, 1]); the measured return is
``findings.cba``; the cost per person is :meth:`~evalkit.reports.findings.Findings.unit_costs`
(over the published count). The return at the assumed rate is the same locality model
(``findings.cba_spec``) with the business case's success rate, deadweight and optimism bias put
back for that one outcome, as the report would count it had nothing been measured::

    assumed net rate = success_rate x (1 - deadweight)
    return at the assumed rate = CostBenefitModel(cba_spec).with_params(
        {o.success_rate: s, o.deadweight: d, o.optimism_bias: b}).appraise().financial_roi
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from evalkit import narrative
from evalkit.econ import CostBenefitModel
from evalkit.exceptions import EvidenceWarning
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import BenefitSource, Findings
from evalkit.reports.sections._html import para, protected_table
from evalkit.reports.sections.value import cost_phrase

__all__ = ["assumed_against_measured", "assumed_return"]

HEADING = "<h2>The business case against what was measured</h2>"


def assumed_return(f: Findings, outcome: Any) -> tuple[float, float, float]:
    """The locality's financial return with ``outcome``'s business-case rates put back, and at
    the ends of its measured interval: (at the assumed rate, at the low end, at the high end).

    ``outcome`` is the spec's :class:`~evalkit.econ.cba_spec.OutcomeSpec`.
    """
    model = CostBenefitModel.from_dict(f.cba_spec)  # type: ignore[arg-type]
    key = f"{outcome.name}.success_rate"
    source = next(b for b in f.benefits if b.outcome == outcome.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)
        assumed = model.with_params(
            {
                key: outcome.success_rate,
                f"{outcome.name}.deadweight": outcome.deadweight,
                f"{outcome.name}.optimism_bias": outcome.bias,
            }
        ).evaluate()["financial_roi"][0]
        ends = model.evaluate({key: [source.low, source.high]})["financial_roi"]
    return float(assumed), float(ends[0]), float(ends[1])


def _years(n: int) -> str:
    return f"{n} year" + ("" if n == 1 else "s")


def _rate(value: float, binary: bool, *, unit: bool = True) -> str:
    """A rate as the impact section shows its estimate: to two decimals, in percentage points
    (per 100 people) for a yes/no outcome, else per person (referrals, episodes)."""
    number = f"{value * 100:.2f}" if binary else f"{value:.2f}"
    return number + ("" if not unit else " in 100" if binary else " per person")


def _rate_row(f: Findings, outcome: Any, b: BenefitSource) -> dict[str, str]:
    assumed_net = outcome.success_rate * (1 - outcome.deadweight)
    found = f.outcomes.get(b.measured_by or "")
    binary = found is None or found.outcome.kind == "binary"
    business = (
        f"{_rate(assumed_net, binary)} ({outcome.success_rate:.0%} succeed, and "
        f"{outcome.deadweight:.0%} of them would have anyway)"
    )
    if not b.measured:
        return {
            "Business case": business,
            "Measured here (95% interval)": f"not measured here: {b.reason}",
            "What it means": "The return above still rests on this assumption.",
        }
    at_assumed, at_low, at_high = assumed_return(f, outcome)
    measured = f.cba.financial_roi
    if b.low is not None and b.high is not None and b.low <= assumed_net <= b.high:
        compared = "The assumed rate lies within the measured interval"
    else:
        compared = (
            f"The measured rate is {'lower' if b.rate < assumed_net else 'higher'} than assumed"
        )
    verb = "falls" if measured < at_assumed else "rises" if measured > at_assumed else "stays"
    return {
        "Business case": business,
        "Measured here (95% interval)": (
            f"{_rate(b.rate, binary)} ({_rate(b.low, binary, unit=False)} to "
            f"{_rate(b.high, binary, unit=False)})"
        ),
        "What it means": (
            f"{compared}: the return per £1 {verb} from £{at_assumed:.2f} at the assumed rate "
            f"to £{measured:.2f} at the measured rate (£{at_low:.2f} to £{at_high:.2f} across "
            "its interval)."
        )
        + (
            " The measured effect cannot be told apart from no effect."
            if b.crosses_no_effect
            else ""
        ),
    }


def _rows(ctx: ReportContext, f: Findings) -> dict[str, dict[str, str]]:
    cb = ctx.spec.cost_benefit
    sources = {b.outcome: b for b in f.benefits}
    rows: dict[str, dict[str, str]] = {}
    for o in cb.outcomes:  # type: ignore[union-attr]
        b = sources[o.name]
        rows[f"Success rate, net of what would have happened anyway: {o.name}"] = _rate_row(f, o, b)
        if b.measured:
            rows[f"What would have happened anyway: {o.name}"] = {
                "Business case": f"{o.deadweight:.0%} of successes",
                "Measured here (95% interval)": "measured by the comparison, within the rate above",
                "What it means": "The measured rate is already net of it: nothing more is taken "
                "off.",
            }
        rows[f"How long the benefit lasts: {o.name}"] = {
            "Business case": f"{_years(o.duration_years)}, starting {_years(o.lag_years)} after "
            f"support, fading {o.drop_off:.0%} a year",
            "Measured here (95% interval)": "not measured: the data show outcomes at the end of "
            "support, not how long they last",
            "What it means": "The return above still rests on this assumption.",
        }
    planned = sum(c.amount for c in cb.costs) / sum(c.size for c in cb.cohorts)  # type: ignore[union-attr]
    per_person = f.unit_costs().get("person")
    if per_person is None:
        measured, means = "not shown: too few people to publish it", "We cannot compare it here."
    else:
        low, high = per_person
        measured = f"{cost_phrase(low, high)} (recorded spending; no interval)"
        means = (
            "Each person served cost about what the business case assumed."
            if round(low, -1) <= round(planned, -1) <= round(high, -1)
            else f"Each person served cost {'more' if low > planned else 'less'} than the "
            "business case assumed. The return above counts the spending recorded here."
        )
    rows["Cost per person"] = {
        "Business case": f"{narrative.money(planned)} (all costs over the people expected)",
        "Measured here (95% interval)": measured,
        "What it means": means,
    }
    return rows


def assumed_against_measured(ctx: ReportContext, findings: Findings) -> str:
    """The business case's assumptions beside what this locality's data show (see the module
    docstring); one sentence when nothing linked to the business case was measured here."""
    f = findings
    if ctx.spec.cost_benefit is None:
        return ""
    if f.cba is None or not any(b.measured for b in f.benefits):
        return HEADING + para(
            "Nothing in the business case was measured here yet, so its assumptions cannot be "
            "checked against this locality's data."
        )
    table = pd.DataFrame.from_dict(_rows(ctx, f), orient="index").rename_axis("Assumption")
    return "\n".join(
        [
            HEADING,
            para(
                "The business case was written before the service, from assumptions. Here they "
                "are beside what this locality's data show. The return at the assumed rate is "
                "this locality's own model with the business case's rate put back, less its "
                "allowance for optimism."
            ),
            protected_table(
                table,
                f.policy,
                counts=[],
                caption="The business case's assumptions against what was measured here",
            ),
        ]
    )
