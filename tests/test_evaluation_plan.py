"""The monitoring and evaluation plan (issue 16, part 1): ``evalkit plan SPEC``.

Made from the spec alone, before any data exist, for both example programmes: every outcome with
its definition, why it matters, how and when it is measured and its target; every column asked
of providers with its reason; when returns are due; each design's Maryland level and what it can
and cannot show; what is pseudonymised and the small-number rule; learning; the review. The plan
passes the reports' reading-grade test (``test_report_readability``: Flesch-Kincaid grade 12 at
most, no jargon or machine names) and opens in headless Chromium with no console errors.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
import yaml

from _needs import need
from _reports import chromium_found, cli, watched_page
from evalkit import narrative
from evalkit.config import load_spec
from evalkit.config.plan import DESIGN_LEVELS
from evalkit.disclosure import get_policy
from evalkit.intake.template import requested_fields
from evalkit.reports.evaluation_plan import DESIGN_LIMITS, build_plan
from evalkit.reports.pdf import CHROMIUM_ARGS, chromium_path
from test_report_content import JARGON, SNAKE
from test_report_readability import MORE_JARGON, READER_GRADE, grade, prose, reader_blocks

REPO = Path(__file__).resolve().parents[1]


def _hp_project(root: Path) -> Path:
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli(["demo", "--example", "homelessness-prevention"], cwd=root)
    assert done.returncode == 0, done.stderr
    return root / "data" / "raw" / "hp" / "homelessness-prevention.yaml"


@pytest.fixture(scope="module", params=["family-support", "homelessness-prevention"])
def example(request: pytest.FixtureRequest, tmp_path_factory) -> tuple[Path, Path, str]:
    """(project folder, spec path, plan HTML) for each example, the plan made by the command."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "family-support":
        from conftest import make_project

        spec_path = make_project(root)
    else:
        spec_path = _hp_project(root)
    done = cli(["plan", str(spec_path)], cwd=root)
    assert done.returncode == 0, done.stderr
    path = root / "reports" / request.param / "plan.html"
    assert done.stdout.strip() == f"plan: {path}"
    return root, spec_path, path.read_text()


def test_plan_states_every_outcome_with_its_measure_and_target(example) -> None:
    _, spec_path, page = example
    spec = load_spec(spec_path)
    for o in spec.outcomes:
        assert f"<h3>{html.escape(o.name)}</h3>" in page
        assert html.escape(" ".join(o.definition.split()).rstrip(".")) in page
        assert ("Why it matters" in page) and ("How it is measured" in page)
    assert "scored from 7 to 35" in page or "scored from 1 to 10" in page
    assert "At least 70% of people." in page or "At least 60% of people." in page
    assert "No target has been set." in page


def test_plan_asks_for_each_column_with_its_reason_and_use(example) -> None:
    _, spec_path, page = example
    spec = load_spec(spec_path)
    for source in spec.sources:
        for f in requested_fields(spec, source):
            assert f"<td>{html.escape(f.column)}</td><td>{html.escape(f.what)}</td>" in page
            assert html.escape(f.why) in page
    assert (
        "To know how long each person was supported and who started in the reporting period."
        in page
    )
    for source in spec.sources.values():
        assert source.frequency, "both examples say how often each return is due"
        assert f"Due each {source.frequency}." in page
    assert "still to be agreed" not in page


def test_plan_says_what_each_design_can_and_cannot_show_before_any_data(example) -> None:
    root, spec_path, page = example
    spec = load_spec(spec_path)
    assert not (root / "data" / "processed").exists()  # nothing was read but the spec
    designs = [d for d in DESIGN_LEVELS if getattr(spec.designs, d)]
    for design in designs:
        can, cannot = DESIGN_LIMITS[design]
        assert html.escape(f"It can show {can}.") in page
        assert html.escape(f"It cannot show {cannot}.") in page
        assert html.escape(narrative.evidence_words(DESIGN_LEVELS[design])) in page
    assert "Maryland Scientific Methods Scale" in page


def test_plan_states_privacy_publication_learning_and_review(example) -> None:
    _, spec_path, page = example
    spec = load_spec(spec_path)
    policy = get_policy(spec.disclosure.policy)
    assert html.escape(policy.describe()) in page
    ids = [f.column for s in spec.sources for f in requested_fields(spec, s) if f.identifier]
    assert ids and all(f"<td>{html.escape(c)}</td>" in page for c in ids)
    assert "never used as performance targets" in page
    assert "reviewed after the reporting period ends on 31 March 2025" in page


def test_plan_has_no_machine_paths(example) -> None:
    root, _, page = example
    assert str(root) not in page and "/tmp" not in page and "data/raw" not in page


def test_plan_passes_the_reading_grade_test(example) -> None:
    _, _, page = example
    blocks = reader_blocks(page)
    text = prose(blocks)
    assert len(text.split()) > 500
    assert grade(text) <= READER_GRADE
    words = " ".join(t for _, t in blocks)
    found = set(JARGON.findall(words)) | set(MORE_JARGON.findall(words)) | set(SNAKE.findall(words))
    assert not found


def test_review_date_why_and_frequency_come_from_the_spec(example) -> None:
    _, spec_path, before = example
    assert "Still to agree" in before and "The date of the review." in before
    raw = yaml.safe_load(spec_path.read_text())
    people = load_spec(spec_path).people_source
    label = people.replace("_", " ")
    # the examples say how often each return is due; a spec that leaves it open says so
    assert f"How often the {label} return is due." not in before
    del raw["sources"][people]["frequency"]
    changed = spec_path.with_name("with-review.yaml")  # beside the spec: same project folder
    changed.write_text(yaml.safe_dump(raw, sort_keys=False))
    open_page = build_plan(load_spec(changed))
    assert f"How often the {label} return is due." in open_page
    assert "How often this return is due is still to be agreed." in open_page
    raw["review"] = "2025-06-30"
    raw["outcomes"][1]["why"] = "It is the test of a lasting change"
    raw["sources"][people]["frequency"] = "quarter"
    changed.write_text(yaml.safe_dump(raw, sort_keys=False))
    page = build_plan(load_spec(changed))
    assert "The service will be reviewed on 30 June 2025." in page
    assert "It is the test of a lasting change." in page
    open_point = html.escape(f"Why '{raw['outcomes'][1]['name']}' matters.")
    assert open_point in before and open_point not in page
    assert f"How often the {label} return is due." not in page
    raw["review"] = "each March, with the partnership board"
    changed.write_text(yaml.safe_dump(raw, sort_keys=False))
    page = build_plan(load_spec(changed))
    assert "The service will be reviewed each March, with the partnership board." in page


def test_bad_output_name_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    monkeypatch.chdir(tmp_path)
    # The names are checked before the spec is read: nothing is written, whatever the spec.
    assert main(["plan", "missing.yaml", "--output", "plan.txt"]) == 2
    err = capsys.readouterr().err
    assert err == "evalkit: error: --output plan.txt: expected a file name ending .html\n"
    assert main(["plan", "missing.yaml", "--template", "returns.csv"]) == 2
    assert "expected a file name ending .xlsx" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_plan_opens_in_chromium_without_console_errors_and_prints_to_pdf(example, tmp_path) -> None:
    need(
        chromium_found(),
        "Chromium or Playwright is not installed (apt-get install chromium; pip install "
        "playwright): no browser to test with",
    )
    from playwright.sync_api import sync_playwright

    root, spec_path, _ = example
    out = tmp_path / "shared" / "plan.html"
    done = cli(["plan", str(spec_path), "--format", "pdf", "--output", str(out)], cwd=root)
    assert done.returncode == 0, done.stderr
    assert out.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "plan.html",
        "plan.pdf",
    ]  # no temp files
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            page, errors = watched_page(browser)
            page.on("request", lambda r: errors.append(r.url) if r.url.startswith("http") else None)
            response = page.goto(out.resolve().as_uri(), wait_until="load")
            assert response is not None and response.ok
            assert "monitoring and evaluation plan" in page.title()
            assert page.locator("h2").count() >= 7
            page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
