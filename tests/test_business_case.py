"""The business case before the service (issue 16, part 3): the spec's cost-benefit assumptions
appraised alone, with optimism bias as the Green Book applies it to forecasts.

The figures are checked against the cost-benefit model built independently here from the spec's
YAML (not through evalkit's spec loader); the page is run through the real notebook, kernel and
export (``write_business_case``), scored with the readability test's grade and jargon checks,
and opened in headless Chromium, for both example programmes.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from _needs import need
from _reports import NO_BROWSER, chromium_found, watched_page
from conftest import REPO, make_project
from evalkit.config import load_spec
from evalkit.econ import CostBenefitModel, discount_factors, monte_carlo, switching_values
from evalkit.exceptions import ConfigError, EvidenceWarning
from evalkit.reports.business_case import (
    appraise_business_case,
    business_case_html,
    switching_sentence,
    write_business_case,
)

EXAMPLES = ["family-support", "homelessness-prevention"]


def _project(root: Path, example: str) -> Path:
    """A project folder with the repository's notebooks and the example's data; the spec path."""
    if example == "family-support":
        return make_project(root)
    from evalkit.demo import EXAMPLES as WRITERS

    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return WRITERS[example].write(root / "data" / "raw" / "hp")


@pytest.fixture(scope="module", params=EXAMPLES)
def spec_path(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp(request.param), request.param)


def _independent(spec_path: Path):
    """The spec's cost_benefit section read as plain YAML and appraised by the econ model."""
    raw = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return raw, CostBenefitModel.from_dict(raw["cost_benefit"])


def test_figures_equal_the_cost_benefit_models(spec_path: Path) -> None:
    raw, model = _independent(spec_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)
        expected = model.appraise()
    bc = appraise_business_case(load_spec(spec_path))
    r = bc.result
    for name in (
        "pv_costs",
        "pv_fiscal",
        "pv_fiscal_cashable",
        "pv_economic",
        "pv_social",
        "net_present_budget_impact",
        "net_present_public_value",
        "financial_roi",
        "public_value_roi",
    ):
        assert getattr(r, name) == pytest.approx(getattr(expected, name), rel=1e-12), name
    assert r.payback_years == expected.payback_years
    # nothing is measured before the service: the basis is deadweight, never a comparison
    assert r.basis == "net of deadweight"

    # optimism bias kept, as the Green Book applies it to a forecast: costs raised ...
    cb = raw["cost_benefit"]
    factors = discount_factors(np.arange(cb["horizon_years"]), cb.get("discount", "standard"))
    raised = sum(
        c["amount"] * (1 + model.parameters()[f"{c['name']}.optimism_bias"]) * factors[c["year"]]
        for c in cb["costs"]
    )
    assert r.pv_costs == pytest.approx(raised)
    assert r.pv_costs > sum(c["amount"] * factors[c["year"]] for c in cb["costs"])
    # ... and benefits cut: without the bias the savings would be larger
    unbiased = model.with_params(
        {f"{o['name']}.optimism_bias": 0.0 for o in cb["outcomes"]}
    ).evaluate()
    assert r.pv_fiscal < unbiased["pv_fiscal"][0]

    # the Monte Carlo range and the switching values of the spec's ranges
    ranges = {k: tuple(v) for k, v in raw["sensitivity"]["ranges"].items()}
    draws = {k: stats.uniform(lo, hi - lo) for k, (lo, hi) in ranges.items()}
    sens = raw["sensitivity"]
    mc = monte_carlo(model, draws, n=sens["draws"], seed=sens["seed"])
    assert bc.monte_carlo.financial_roi_ci_low == pytest.approx(mc.financial_roi_ci_low)
    assert bc.monte_carlo.financial_roi_ci_high == pytest.approx(mc.financial_roi_ci_high)
    assert bc.monte_carlo.prob_roi_below_1 == mc.prob_roi_below_1
    sw = switching_values(model, list(ranges)).set_index("parameter")["switching_value"]
    mine = bc.switching.set_index("parameter")["switching_value"]
    for key, value in sw.items():
        assert mine[key] == pytest.approx(value, nan_ok=True)
    assert list(bc.tornado["parameter"]) == list(
        bc.tornado.sort_values("swing", ascending=False)["parameter"]
    )

    # the page shows these figures
    page = business_case_html(str(spec_path))
    for figure in (
        f"£{expected.financial_roi:.2f}",
        f"£{expected.public_value_roi:.2f}",
        f"£{mc.financial_roi_ci_low:.2f}",
        f"£{mc.financial_roi_ci_high:.2f}",
        f"£{expected.pv_costs:,.0f}",
        f"£{expected.pv_fiscal:,.0f}",
        _money(expected.net_present_budget_impact),
    ):
        assert figure in page, figure


def _money(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def test_switching_values_are_said_in_words() -> None:
    # Family Support's demo: 40% success assumed; break-even at about 43% (return £0.93 < £1)
    assert switching_sentence("housing.success_rate", 0.40, 0.31, 1.4) == (
        "The service pays for itself to public budgets as long as the success rate for housing "
        "is at least 31% (the business case assumes 40%)."
    )
    assert switching_sentence("housing.deadweight", 0.30, 0.45, 1.4).endswith(
        "the deadweight for housing is at most 45% (the business case assumes 30%)."
    )
    assert switching_sentence("housing.success_rate", 0.40, 0.43, 0.93).startswith(
        "The service would pay for itself to public budgets only if the success rate for "
        "housing were at least 43%"
    )
    assert "at most £300,000" in switching_sentence("delivery.amount", 250_000, 300_000, 1.2)
    assert switching_sentence("engagement_rate", 0.75, float("nan"), 0.5).startswith(
        "No value of the engagement rate alone"
    )


def test_a_spec_without_cost_benefit_is_one_clear_error(tmp_path: Path) -> None:
    spec_path = make_project(tmp_path)
    raw = yaml.safe_load(spec_path.read_text())
    del raw["cost_benefit"], raw["sensitivity"]
    spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match=r"cost_benefit: the spec has none") as err:
        write_business_case(spec_path)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "reports").exists()  # nothing half-written


# -- the page, through the real notebook and kernel ------------------------------------------


@pytest.fixture(scope="module")
def written(spec_path: Path) -> tuple[Path, str]:
    out = write_business_case(spec_path)
    return out, out.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_write_business_case_runs_the_notebook_into_the_reports_folder(
    spec_path: Path, written: tuple[Path, str]
) -> None:
    out, page = written
    spec = load_spec(spec_path)
    assert out == (spec.output_folder / "business_case.html").resolve()
    assert f"<title>Business case: {spec.title}</title>" in page
    assert "Which assumptions most need evidence" in page
    assert str(spec.project_root) not in page and "/tmp/" not in page  # no machine paths
    assert "Traceback" not in page and "Error" not in re.sub(r"<[^>]+>", " ", page)
    assert (
        len(re.findall(r'<img [^>]*alt="[^"]+"', page)) >= 4
    )  # who benefits, payback, MC, tornado
    assert not list(out.parent.glob("._*"))  # atomic write left no temporary file


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_the_business_case_passes_the_readability_test(written: tuple[Path, str]) -> None:
    pytest.importorskip("textstat")
    from test_report_content import JARGON, SNAKE
    from test_report_readability import (
        _ANNEX_SPLIT,
        MORE_JARGON,
        READER_GRADE,
        SUMMARY_GRADE,
        grade,
        prose,
        reader_blocks,
    )

    _, page = written
    blocks = reader_blocks(page)
    body = prose(blocks)
    summary = prose([b for b in blocks if b[0] == "summary"])
    assert len(body.split()) >= 200
    print(f"\nbusiness case: reader text grade {grade(body):.1f}, in brief {grade(summary):.1f}")
    assert grade(body) <= READER_GRADE
    assert grade(summary) <= SUMMARY_GRADE
    text = " ".join(t for _, t in blocks)
    found = set(JARGON.findall(text)) | set(MORE_JARGON.findall(text)) | set(SNAKE.findall(text))
    assert not found, found
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", _ANNEX_SPLIT.split(page, maxsplit=1)[0])
    assert not {w for c in cells for w in SNAKE.findall(c)}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_the_business_case_opens_in_chromium_with_no_console_errors(
    written: tuple[Path, str], tmp_path: Path
) -> None:
    need(chromium_found(), NO_BROWSER)
    from playwright.sync_api import sync_playwright

    from evalkit.reports.pdf import CHROMIUM_ARGS, chromium_path

    out, _ = written
    handler = functools.partial(_QuietHandler, directory=str(out.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
            try:
                page, errors = watched_page(browser)
                url = f"http://127.0.0.1:{server.server_address[1]}/{out.name}"
                response = page.goto(url, wait_until="load")
                assert response is not None and response.ok
                assert page.locator("h1").first.inner_text().startswith("Business case")
                images = page.eval_on_selector_all(
                    "img",
                    "els => els.map(e => ({alt: e.getAttribute('alt') || '', "
                    "width: e.naturalWidth, complete: e.complete}))",
                )
                assert len(images) >= 4
                for image in images:
                    assert image["alt"].strip() and image["complete"] and image["width"] > 0
                page.screenshot(path=str(tmp_path / "business_case.png"), full_page=True)
                assert errors == []
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
