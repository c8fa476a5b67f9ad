"""Assumed against measured (issue 16, part 4): the business case's assumptions beside what a
locality's data show, with the same numbers as the impact and value-for-money sections."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import pytest

from evalkit.config import load_spec
from evalkit.econ import CostBenefitModel
from evalkit.exceptions import EvidenceWarning
from evalkit.intake import prepare
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import compute_findings
from evalkit.reports.sections import assumed_against_measured, impact

LIVERPOOL, RUTLAND = "E08000012", "E06000017"


@pytest.fixture(scope="module")
def liverpool(tmp_path_factory: pytest.TempPathFactory):
    from conftest import make_project

    spec = load_spec(make_project(tmp_path_factory.mktemp("assumed")))
    prepare(spec)
    ctx = ReportContext(spec=spec, locality=LIVERPOOL, period="")
    return ctx, compute_findings(ctx)


def _cells(fragment: str) -> dict[str, list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, flags=re.S)
    out = {}
    for row in rows:
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        out[cells[0]] = cells[1:]
    return out


def test_the_table_uses_the_impact_sections_numbers(liverpool) -> None:
    import html

    ctx, f = liverpool
    b = next(b for b in f.benefits if b.measured)
    found = f.outcomes[b.measured_by]
    shown = html.unescape(assumed_against_measured(ctx, f))
    cells = _cells(shown)
    row = next(v for k, v in cells.items() if k.startswith("Success rate, net of"))
    # the impact section's estimate and interval (two decimals; percentage points for a yes/no
    # outcome), sign turned so that fewer referrals count as successes
    scale, unit = (100, " in 100") if found.outcome.kind == "binary" else (1, " per person")
    est, low, high = (found.impact.estimate, found.impact.ci_low, found.impact.ci_high)
    page = html.unescape(impact(ctx, f))
    assert f"{est * scale:.2f}" in page and f"{low * scale:.2f} to {high * scale:.2f}" in page
    assert row[1] == (
        f"{abs(est) * scale:.2f}{unit} ({abs(high) * scale:.2f} to {abs(low) * scale:.2f})"
    )
    assert (b.rate, b.low, b.high) == pytest.approx((abs(est), abs(high), abs(low)))
    # the business case's rate, and the returns: the measured one is the value section's
    cb = next(o for o in ctx.spec.cost_benefit.outcomes if o.name == b.outcome)
    assert row[0].startswith(f"{cb.success_rate * (1 - cb.deadweight) * scale:.2f}{unit}")
    spec = dict(f.cba_spec)
    spec["outcomes"] = [
        dict(o, success_rate=cb.success_rate, deadweight=cb.deadweight, optimism_bias=cb.bias)
        if o["name"] == b.outcome
        else o
        for o in spec["outcomes"]
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)
        at_assumed = CostBenefitModel.from_dict(spec).appraise().financial_roi
    assert f"from £{at_assumed:.2f} at the assumed rate to £{f.cba.financial_roi:.2f}" in row[2]
    assert ("falls" in row[2]) == (f.cba.financial_roi < at_assumed)
    # cost per person: the figure the value section publishes
    low_cost, _ = f.unit_costs()["person"]
    assert f"£{low_cost:,.0f}" in cells["Cost per person"][1]
    spent = sum(c.amount for c in ctx.spec.cost_benefit.costs)
    assert cells["Cost per person"][0].startswith(
        f"£{spent / sum(c.size for c in ctx.spec.cost_benefit.cohorts):,.0f}"
    )
    assert any(k.startswith("How long the benefit lasts") for k in cells)


def test_nothing_measured_is_one_sentence(liverpool, tmp_path: Path) -> None:
    ctx, f = liverpool
    unmeasured = dataclasses.replace(
        f, benefits=tuple(dataclasses.replace(b, measured=False) for b in f.benefits)
    )
    shown = assumed_against_measured(ctx, unmeasured)
    assert "<table" not in shown
    text = re.sub(r"<h2>.*?</h2>", "", shown)
    assert text.count(".") == 1 and "Nothing in the business case was measured here" in text
    # too few people for any estimate (Rutland): the same sentence
    rutland = ReportContext(spec=ctx.spec, locality=RUTLAND, period="")
    assert "Nothing in the business case" in assumed_against_measured(
        rutland, compute_findings(rutland)
    )


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_the_section_appears_in_a_real_report_run(tmp_path_factory, liverpool) -> None:
    import html

    from _reports import demo_run

    _, pages = demo_run(tmp_path_factory)
    page = html.unescape(pages[f"{LIVERPOOL}.html"])
    assert "The business case against what was measured" in page
    # after value for money, before learning
    assert page.index("Value for money") < page.index("The business case against")
    _, f = liverpool
    b = next(b for b in f.benefits if b.measured)
    assert f"{b.rate:.2f} per person ({b.low:.2f} to {b.high:.2f})" in page
    assert "Nothing in the business case was measured here" in html.unescape(
        pages[f"{RUTLAND}.html"]
    )
