"""The learning review (HTML escaping, consent gates, the spec's period, indicators as context),
the capture form and both notebooks."""

from __future__ import annotations

import datetime as dt
import html
import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from _learning import KEY, reflection
from evalkit.config import load_spec
from evalkit.demo import generate
from evalkit.exceptions import ParameterError
from evalkit.intake import prepare
from evalkit.learning.coding import theme_counts
from evalkit.learning.export import export_csv, export_qdpx
from evalkit.learning.form import build_form
from evalkit.learning.importing import import_reflections
from evalkit.learning.review import learning_review, themes_chart
from evalkit.learning.store import ReflectionStore
from evalkit.reports.capture import capture_form
from evalkit.reports.learning_review import (
    indicator_context,
    resolve_store_path,
    review_html,
    review_period,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("capture_reflection.ipynb", "learning_review.ipynb")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "learning.sqlite") as s:
        yield s


def _shared(store: ReflectionStore, **changes) -> int:
    rid = store.add(reflection(**changes))
    store.review(rid, by="Jo Reviewer", shareable=True)
    return rid


def test_free_text_is_escaped_in_the_review(store):
    rid = _shared(
        store,
        what_we_learned=f"We learned {SCRIPT} matters",
        what_we_will_change=f"Change {IMG} now",
        role="provider <b>lead</b>",
    )
    # Two people hold the role, enough under a policy that publishes counts of 2 or more.
    _shared(store, author="Priya Shah", role="provider <b>lead</b>")
    store.set_codebook([{"name": "<i>venues</i>", "definition": "x"}], by="Jo")
    store.assign_code(rid, "<i>venues</i>", coder="Jo")
    store.add_action(
        {
            "programme": "family-support",
            "locality": "E08000012",
            "description": f"Fix {SCRIPT}",
            "owner_role": "<u>provider</u>",
            "due_on": "2099-01-01",
        },
        by="Jo",
    )
    page = learning_review(
        store, locality="E08000012", period="2024Q3", policy={"high": 1}
    ).to_html()
    assert SCRIPT not in page and IMG not in page
    assert html.escape(SCRIPT) in page
    assert html.escape(IMG) in page
    assert "&lt;b&gt;lead&lt;/b&gt;" in page and "&lt;i&gt;venues&lt;/i&gt;" in page
    parser = _Tags()
    parser.feed(page)
    assert not {"script", "img", "b", "i", "u"} & set(parser.tags)
    assert "onerror" not in parser.attrs


def test_withdrawal_removes_a_reflection_from_every_later_output(store, tmp_path):
    keep = _shared(store, what_we_learned="Venues matter for fathers.")
    gone = _shared(store, what_we_learned="Budgets build trust quickly.")
    store.set_codebook([{"name": "venues"}, {"name": "trust"}], by="Jo")
    store.assign_code(keep, "venues", coder="Jo")
    store.assign_code(gone, "trust", coder="Jo")

    def outputs() -> str:
        review = learning_review(store, locality="E08000012", period="2024Q3").to_html()
        csv = export_csv(store, tmp_path / "shared.csv").read_text(encoding="utf-8")
        with zipfile.ZipFile(export_qdpx(store, tmp_path / "p.qdpx")) as archive:
            qdpx = " ".join(archive.read(n).decode("utf-8") for n in archive.namelist())
        themes = theme_counts(store.shareable(), store.codings(), by=(), warn=False).table
        found = store.search("budgets")
        return " ".join([review, csv, qdpx, str(list(themes.index)), found.to_string()])

    before = outputs()
    assert "Budgets build trust" in before and "'trust'" in before
    store.withdraw(gone, by="Alex Morgan", reason="consent withdrawn")
    after = outputs()
    assert "Budgets build trust" not in after and "'trust'" not in after
    assert "Venues matter for fathers." in after
    assert store.get(gone)["consent"] is False


def test_reviews_exclude_unreviewed_unconsented_and_cycle_only(store):
    _shared(store, what_we_learned="Shared with the programme.")
    store.add(reflection(what_we_learned="Not yet reviewed."))
    store.add(reflection(what_we_learned="No consent.", consent="no"))
    _shared(store, what_we_learned="Only for the cycle.", sharing_scope="cycle")
    quotes = learning_review(store, locality="E08000012", period="2024Q3").quotes
    assert quotes[quotes["slot"] == "what_we_learned"]["quote"].tolist() == [
        "Shared with the programme."
    ]


def test_review_periods_quarters_and_financial_years(store):
    for period in ("2024Q1", "2024Q3", "2025Q2"):
        rid = _shared(store, period=period, what_we_learned=f"Learned in {period}.")
        store.set_codebook([{"name": "venues"}], by="Jo")
        store.assign_code(rid, "venues", coder="Jo")
    year = learning_review(store, locality="E08000012", period="2024/25", policy={"high": 1})
    learned = year.quotes[year.quotes["slot"] == "what_we_learned"]
    assert learned["quote"].tolist() == ["Learned in 2024Q3."]
    # Each period's count of one is suppressed, so the counts are pooled to the programme over
    # all periods up to the end of the year: 2024Q1 and 2024Q3, not 2025Q2.
    assert year.themes_scope == "programme"
    assert year.themes.loc["venues", "All periods"] == 2
    quarter = learning_review(store, locality="E08000012", period="2024Q1", policy={"high": 1})
    assert quarter.continuity.today == "2024-03-31"  # judged as of the end of the period
    assert "Learned in 2024Q1." in quarter.quotes["quote"].tolist()
    assert "Learned in 2024Q3." not in quarter.quotes["quote"].tolist()
    every = learning_review(store, locality="E08000012", period="", policy={"high": 1})
    assert len(every.quotes) == 6 and "all periods" in every.to_html()
    # Dates given: the period is only the label shown (a spec's reporting period).
    spec = learning_review(
        store,
        locality="E08000012",
        period="July 2024 to March 2025",
        dates=(dt.date(2024, 7, 1), dt.date(2025, 3, 31)),
        policy={"high": 1},
    )
    assert spec.quotes[spec.quotes["slot"] == "what_we_learned"]["quote"].tolist() == [
        "Learned in 2024Q3."
    ]
    assert "Learning review: E08000012, July 2024 to March 2025" in spec.to_html()
    open_start = learning_review(
        store, locality="E08000012", period="to 2024", dates=(None, dt.date(2024, 12, 31))
    )
    assert len(open_start.quotes) == 4  # 2024Q1 and 2024Q3, two slots each


def test_themes_chart_states_the_numbers_and_skips_all_suppressed_tables():
    themes = pd.DataFrame(
        {"2024Q1": [10, "*"], "2024Q2": [15, "*"]}, index=pd.Index(["venues", "<b>x</b>"])
    )
    chart = themes_chart(themes)
    assert chart.startswith("<figure") and 'alt="' in chart
    assert "venues: 2024Q1 10, 2024Q2 15" in chart
    assert "&lt;b&gt;x&lt;/b&gt;: 2024Q1 suppressed" in chart and "<b>x" not in chart
    assert themes_chart(themes.loc[["<b>x</b>"]]) == ""


def test_capture_form_builds_and_its_handler_stores_a_record(store):
    form = build_form(
        "gibbs", store, programme="family-support", locality="E08000012", period="2024Q3"
    )
    assert len(form.answers) == 6 and form.widget.children
    form.fields["author"].value = "Grace Okafor"
    form.fields["role"].value = "frontline worker"
    form.fields["consent"].value = True
    form.fields["names"].value = "Sam Reid"
    answers = {
        "description": "Sam Reid and I ran a joint review.",
        "feelings": "Nervous beforehand.",
        "evaluation": "It went well.",
        "analysis": "Deciders in the room matter.",
        "action_plan": "Invite decision-makers.",
    }
    for key, value in answers.items():
        form.answers[key].value = value
    form.button.click()  # the handler the button calls, as a click in JupyterLab would
    rid = int(store.all()["id"].iloc[0])
    rec = store.get(rid)
    assert rec["template"] == "gibbs" and rec["status"] == "redaction_pending"
    assert rec["redacted_what_we_tried"] == "[NAME] and I ran a joint review."
    assert rec["extra"] == {"feelings": "Nervous beforehand."}
    assert "Nervous" not in " ".join(store.shareable().astype(str).to_numpy().ravel())
    assert "Saved as reflection" in form.message.value
    assert form.answers["description"].value == ""
    assert form.submit() is None  # required answers now empty
    assert "required" in form.message.value and len(store.all()) == 1


def test_review_without_a_store_says_so_and_creates_nothing(demo_spec_path, tmp_path):
    missing = tmp_path / "none" / "learning.sqlite"
    page = review_html(demo_spec_path, "E08000012", "2024/25", str(missing))
    assert "No learning log has been started" in page and not missing.exists()
    assert str(missing) not in page  # no machine paths in a report


def test_paths_resolve_from_the_notebooks_folder(fresh_project, monkeypatch):
    root = fresh_project.parents[3]
    monkeypatch.chdir(root / "notebooks")  # where Jupyter starts a notebook's kernel
    relative = fresh_project.relative_to(root)
    expected = root / "data" / "processed" / "family-support" / "learning.sqlite"
    assert resolve_store_path(relative).resolve() == expected.resolve()
    form = capture_form("hls", str(relative), locality="E08000012")
    assert form.store.path.resolve() == expected.resolve()
    assert form.fields["programme"].value == "family-support"
    with pytest.raises(ParameterError, match="spec_path"):
        capture_form("hls")


def test_notebooks_are_committed_without_outputs():
    for name in NOTEBOOKS:
        nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name


def test_the_review_period_defaults_to_the_spec_reporting_period(demo_spec_path):
    assert review_period(demo_spec_path) == (
        "April 2021 to March 2025",
        (dt.date(2021, 4, 1), dt.date(2025, 3, 31)),
    )
    # The label itself, as a report's context holds the period, is the same period.
    assert review_period(demo_spec_path, "April 2021 to March 2025") == review_period(
        demo_spec_path
    )
    assert review_period(demo_spec_path, "2024Q3") == (
        "2024Q3",
        (dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
    )


def test_indicators_are_the_spec_series_outcomes_from_the_prepared_data(fresh_project):
    spec = load_spec(fresh_project)
    prepare(spec)
    (outcome,) = [o for o in spec.outcomes if spec.outcome_kind(o) == "series"]
    table = indicator_context(spec, "E08000012", "2024/25")
    rate = f"{outcome.name} per {outcome.per:,} population"
    assert table.columns.tolist() == ["Quarter", outcome.name, rate]
    assert len(table) == 8 and table["Quarter"].iloc[-1] == "2025 Q1"
    raw = pd.read_csv(fresh_project.parent / "timeseries.csv", dtype={"quarter": str})
    raw = raw[raw["locality_code"] == "E08000012"].set_index("quarter")
    last = raw.loc["2025Q1"]
    assert table[outcome.name].iloc[-1] == last[outcome.after]
    expected = last[outcome.after] / last[outcome.population] * outcome.per
    assert table[rate].iloc[-1] == pytest.approx(round(expected, 1))
    # The default period is the spec's reporting period; an earlier one ends earlier.
    assert indicator_context(spec, "E08000012").equals(table)
    assert indicator_context(spec, "E08000012", "2024Q2")["Quarter"].iloc[-1] == "2024 Q2"
    # Labelled by the series' frequency.
    series = spec.sources[spec.outcome_source(outcome)]
    monthly = spec.model_copy(
        update={
            "sources": {
                **spec.sources,
                spec.outcome_source(outcome): series.model_copy(update={"frequency": "month"}),
            }
        }
    )
    assert indicator_context(monthly, "E08000012")["Month"].iloc[-1] == "Jan 2025"
    without = spec.model_copy(update={"outcomes": [o for o in spec.outcomes if o is not outcome]})
    assert indicator_context(without, "E08000012") is None


@pytest.mark.slow
def test_learning_review_notebook_runs_with_papermill(fresh_project, tmp_path, monkeypatch):
    import papermill

    demo_spec_path = fresh_project
    prepare(load_spec(demo_spec_path))  # the indicators come from the prepared series
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    store_path = tmp_path / "learning.sqlite"
    with ReflectionStore(store_path) as s:
        report = import_reflections(s, generate().reflections, reviewed=True)
        assert report.imported
        rid = s.add(reflection(locality="E08000012", period="2024Q4", what_we_learned=SCRIPT))
        s.review(rid, by="Jo", shareable=True)
    assert resolve_store_path(demo_spec_path, store_path) == store_path
    output = tmp_path / "review.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "learning_review.ipynb"),
        str(output),
        kernel_name="evalkit",  # the project kernel, as the notebooks name it
        parameters={
            "spec_path": str(demo_spec_path),
            "locality": "E08000012",
            "period": "2024/25",
            "store_path": str(store_path),
        },
        progress_bar=False,
    )
    nb = nbformat.read(output, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "Learning review: Liverpool, 2024/25" in shown  # the name readers know
    assert "Questions for the next learning cycle" in shown  # from the findings
    assert "Indicators, as context" in shown and "2025 Q1" in shown
    assert html.escape(SCRIPT) in shown and SCRIPT not in shown
    assert '"output_type": "error"' not in shown


@pytest.mark.slow
def test_capture_notebook_runs_with_papermill(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    output = tmp_path / "capture.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "capture_reflection.ipynb"),
        str(output),
        kernel_name="evalkit",  # the project kernel, as the notebooks name it
        parameters={"store_path": str(tmp_path / "learning.sqlite"), "template": "gibbs"},
        progress_bar=False,
    )
    shown = json.dumps([c.get("outputs", []) for c in nbformat.read(output, as_version=4).cells])
    assert "application/vnd.jupyter.widget-view+json" in shown


def test_the_learning_package_never_reads_a_spec():
    import ast

    for path in (REPO / "src" / "evalkit" / "learning").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("evalkit.config"), path.name
                assert not (node.module or "").startswith("evalkit.reports"), path.name
