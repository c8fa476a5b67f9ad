"""The second example end to end: a provider's Excel export, from intake to HTML reports.

The homelessness-prevention example differs from the demo in every way the spec allows (see
``evalkit.demo.homelessness_prevention``): a workbook with a cover sheet and title rows, the
provider's own headers, dd/mm/yyyy dates, Yes/No/Not known, district names, four gender values,
age as a number, personal columns the plan does not use, no comparison group, a monthly series
with never-treated districts and a staggered launch. Its planted truths must be recovered within
their intervals, through the real command, notebooks and kernels.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from _reports import cli
from evalkit.config import load_spec
from evalkit.reports.context import ReportContext
from evalkit.reports.findings import compute_findings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

REPO = Path(__file__).resolve().parents[1]
EXETER, MID_DEVON = "E07000041", "E07000042"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hp-project")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli(["demo", "--example", "homelessness-prevention"], cwd=root)
    assert done.returncode == 0, done.stderr
    return root, root / "data" / "raw" / "hp" / "homelessness-prevention.yaml"


@pytest.fixture(scope="module")
def run_done(project):
    root, spec_path = project
    done = cli(["run", str(spec_path), "--no-progress"], cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr
    return root / "reports" / "homelessness-prevention"


def _text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>|<script>.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_planted_truths_are_recovered_within_their_intervals(project, run_done) -> None:
    _, spec_path = project
    spec = load_spec(spec_path)
    truth = json.loads((spec_path.parent / "truth.json").read_text())
    for code in spec.localities:
        planted = truth["localities"][code]
        f = compute_findings(ReportContext(spec=spec, locality=code, period=""))
        presentations = f.outcomes["Homelessness presentations"]
        assert presentations.design == "never_treated" and presentations.evidence_level == 3
        # Within three standard errors on the log scale: four 95% intervals on fixed data would
        # all cover the truth only about four times in five.
        ratio = presentations.impact
        z = (math.log(ratio.estimate) - math.log(planted["presentation_rate_ratio"])) / ratio.se
        assert abs(z) < 3, (code, ratio.estimate, planted["presentation_rate_ratio"])
        stability = f.outcomes["Housing stability"]
        assert stability.design == "before_after" and stability.impact is None  # change only
        change = stability.change
        assert change.ci_low <= planted["stability_gain"] <= change.ci_high, code
        secured = f.outcomes["Accommodation secured"].indicator
        assert secured["ci_low"] <= planted["accommodation_secured_share"] <= secured["ci_high"], (
            code
        )


def test_every_locality_and_the_comparison_are_reported(run_done) -> None:
    pages = sorted(p.name for p in run_done.glob("*.html"))
    assert pages == sorted(
        [
            *("E07000040.html", "E07000041.html", "E07000042.html", "E07000045.html"),
            *("comparison.html", "index.html"),
        ]
    )


def test_the_report_speaks_the_plan_and_says_what_it_cannot_claim(run_done) -> None:
    text = _text((run_done / f"{EXETER}.html").read_text())
    assert "Homelessness Prevention: Exeter" in text
    assert "people who started support between 1 April 2023 and 31 March 2025" in text
    assert "The service began here on 1 April 2023" in text
    assert "cannot say whether any group is missing out" in text  # no eligible population
    assert "lower than in the areas without the service" in text
    # the series told whole: where it ended against where it was heading, and its trend
    assert re.search(
        r"By the last period, the rate per 1,000 was [\d.]+ against [\d.]+ expected", text
    )
    assert "trend" in text
    assert "Housing stability" in text and "not an estimate of what the service caused" in text
    assert "Readings compared: the reading recorded as 'Intake' with the reading recorded" in text
    assert "Outcomes with no estimate of impact" in text
    assert "Non-binary" in text  # the user's own labels
    assert re.search(r"-£\d{3}", text)  # money in pounds, as the plan's unit says
    assert "ONS 10-5 rule" in text  # the plan's disclosure policy


def test_no_personal_data_from_the_export_reaches_a_report(run_done) -> None:
    for page in run_done.glob("*.html"):
        text = _text(page.read_text())
        assert "@example.org" not in text, page.name
        assert not re.search(r"\b999 ?\d{3} ?\d{4}\b", text), page.name  # fake NHS numbers
        assert "HPS-1" not in text and "HH0" not in text and "James Taylor" not in text, page.name


def test_the_small_district_is_suppressed_where_counts_are_small(run_done) -> None:
    text = _text((run_done / f"{MID_DEVON}.html").read_text())
    assert "Mid Devon" in text and "*" in text


def test_the_comparison_follows_the_plan(project, run_done) -> None:
    from evalkit.reports.comparison import compute_comparison

    page = (run_done / "comparison.html").read_text()
    text = _text(page)
    assert "Funnel plot of each locality's estimated impact on the rate of homelessness" in page
    assert "Impact on homelessness presentations by locality" in text
    assert re.search(
        r"alt=\"Chart of estimated impact[^\"]*Exeter 0\.\d\d \(0\.\d\d to 0\.\d\d\)", page
    )
    assert "Programme-wide effect on homelessness presentations" in text
    _, spec_path = project
    c = compute_comparison(load_spec(spec_path))
    assert set(c.impacts["outcome"]) == {"Homelessness presentations"}
    exeter = c.impacts.set_index("locality_code").loc[EXETER]
    assert exeter["verdict"] == "better" and exeter["high"] < 1
    assert c.impact_outcome.design == "never_treated"
    rows = c.localities.set_index("locality_code")
    assert rows.loc[EXETER, "impact_high"] < 1  # Exeter's planted fall of 15% is detected
    assert set(rows.index) == set(load_spec(spec_path).localities)


def test_reader_text_has_no_jargon_or_machine_names(run_done) -> None:
    from test_report_content import JARGON, SNAKE, reader_text

    for page in run_done.glob("E*.html"):
        text = reader_text(page.read_text())
        assert not JARGON.findall(text), (page.name, sorted(set(JARGON.findall(text))))
        assert not SNAKE.findall(text), (page.name, sorted(set(SNAKE.findall(text))))
