"""What readers see in the evaluation report: true to the planted effects, honest, accessible."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from evalkit.config import load_spec
from evalkit.reports import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

LOCALITIES = [
    "E08000012",
    "E06000027",
    "E06000017",
]  # Liverpool, Torbay (weak effect), Rutland (tiny)
SECTIONS = [
    "Summary",
    "Who the service reached",
    "Outcomes: what changed for people",
    "Impact: what the service caused",
    "Value for money",
    "The business case against what was measured",
    "What the partners learned",
    "Download the tables",
    "Annex A. Methods, assumptions and caveats",
    "Annex B. Glossary",
    "Annex C. How this report was made",
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory):
    from conftest import make_project
    from evalkit.demo import load_demo_reflections

    spec_path = make_project(tmp_path_factory.mktemp("content"))
    load_demo_reflections(spec_path)
    spec = load_spec(spec_path)
    result = run(spec, localities=LOCALITIES, progress=False)
    assert result.exit_code == 0, [o.error for o in result.failures]
    truth = json.loads((spec_path.parent / "truth.json").read_text())
    pages = {c: (spec.output_folder / f"{c}.html").read_text() for c in LOCALITIES}
    return spec, truth, pages


def _text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>|<script>.*?</script>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", page.replace("&#x27;", "'").replace("&quot;", '"'))


def _summary(page: str) -> str:
    return _text(page.split('<ul class="summary">', 1)[1].split("</ul>", 1)[0])


def test_summary_recovers_the_planted_wellbeing_effect_in_direction_and_size(reports) -> None:
    _, truth, pages = reports
    summary = _summary(pages["E08000012"])
    found = re.search(
        r"raised wellbeing by ([\d.]+) points \(95% confidence interval ([\d.-]+) to "
        r"([\d.-]+) points\)",
        summary,
    )
    assert found, summary
    estimate, low, high = map(float, found.groups())
    planted = truth["localities"]["E08000012"]["wellbeing_effect"]
    assert abs(estimate - planted) < 0.75 and low < planted < high
    assert "level 3 of 5" in summary


def test_weak_effect_is_not_overstated(reports) -> None:
    _, truth, pages = reports
    summary = _summary(pages["E06000027"])
    planted = truth["localities"]["E06000027"]["wellbeing_effect"]  # 0.5 points
    found = re.search(
        r"wellbeing by ([\d.]+) points \(95% confidence interval ([\d.-]+) to ([\d.-]+)", summary
    ) or re.search(
        r"a change of ([+\d.-]+) points, but the 95% confidence "
        r"interval ([\d.-]+) to ([\d.-]+)",
        summary,
    )
    assert found, summary
    estimate, low, high = map(float, found.groups())
    assert abs(estimate - planted) < 1.0
    if low <= 0 <= high:
        assert "We cannot tell whether the service changed wellbeing" in summary
    else:
        assert "raised wellbeing" in summary


def test_tiny_locality_shows_suppressed_figures_and_says_why(reports) -> None:
    _, _, pages = reports
    text = _text(pages["E06000017"])
    assert "The service worked with fewer than 8 people in Rutland" in text
    assert "suppressed to protect their privacy" in text
    assert "too few to estimate what changed" in text
    assert "estimated to have raised" not in text
    tables = re.findall(r"<table[^>]*data-count-columns[^>]*>.*?</table>", pages["E06000017"], re.S)
    assert tables and all("<td>*</td>" in t or "<td>0</td>" in t for t in tables)


def test_no_report_claims_impact_from_a_before_after_comparison(reports) -> None:
    _, _, pages = reports
    for code, page in pages.items():
        for para in re.findall(r"<p>(.*?)</p>|<li>(.*?)</li>", page, re.S):
            sentence = _text("".join(para))
            if "estimated to have" in sentence or "lower than expected" in sentence:
                # Every impact claim states its evidence level, and it is at least level 2.
                level = re.search(r"level (\d) of 5", sentence)
                assert level is not None, (
                    code,
                    "impact claim without its evidence level",
                    sentence,
                )
                assert int(level.group(1)) >= 2, (code, sentence)
            if "d_z" in sentence or "between the start and" in sentence:
                assert "not" in sentence and ("change over time" in sentence), (code, sentence)


def _without_learning(page: str) -> str:
    """The page less the learning section (its theme counts are checked in test_learning_*)."""
    head, _, rest = page.partition("<h2>What the partners learned</h2>")
    return head + rest.partition("<h2>Methods")[2]


def test_every_table_is_disclosure_controlled_or_a_table_of_methods(reports) -> None:
    _, _, pages = reports
    for code, page in pages.items():
        page = _without_learning(page)
        for table in re.findall(r"<table[^>]*>", page):
            assert "data-disclosure-policy" in table or 'class="provenance' in table, (code, table)
        for table in re.findall(
            r"<table[^>]*data-count-columns=\"([^\"]*)\"[^>]*>(.*?)</table>", page, re.S
        ):
            counted = json.loads(table[0].replace("&quot;", '"'))
            header = re.findall(r"<th[^>]*>(.*?)</th>", table[1].split("</thead>")[0], re.S)
            columns = [h.strip() for h in header]
            for row in re.findall(r"<tr>(.*?)</tr>", table[1].split("</thead>")[-1], re.S):
                cells = [c.strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
                for name, value in zip(columns[-len(cells) :], cells, strict=False):
                    if name in counted and value.replace(",", "").isdigit():
                        assert not 1 <= int(value.replace(",", "")) <= 7, (code, name, value)


def test_browser_shows_every_section_and_every_chart_has_alt_text(reports, tmp_path) -> None:
    from _needs import need
    from _reports import NO_BROWSER, chromium_found, watched_page
    from evalkit.reports.pdf import chromium

    need(chromium_found(), f"{NO_BROWSER}; .ci/run installs it")
    spec, _, _ = reports
    with chromium() as browser:
        page, errors = watched_page(browser)
        page.goto((spec.output_folder / "E08000012.html").as_uri())
        page.wait_for_load_state("load")
        headings = [h.strip() for h in page.locator("h2").all_inner_texts()]
        assert headings == SECTIONS
        images = page.locator("img")
        assert images.count() >= 6
        for i in range(images.count()):
            img = images.nth(i)
            assert (img.get_attribute("alt") or "").strip(), f"image {i} has no alt text"
            assert img.evaluate("el => el.complete && el.naturalWidth > 0")
        page.screenshot(path=str(tmp_path / "liverpool.png"), full_page=True)
    assert errors == []
    assert (tmp_path / "liverpool.png").stat().st_size > 10_000


class _Tables(HTMLParser):
    """The disclosure-controlled tables of a page: header cells and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "table" and "data-count-columns" in attrs:
            self.tables.append({"counts": json.loads(attrs["data-count-columns"]), "rows": []})
        elif self.tables and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._row = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_no_share_reveals_more_than_the_published_counts(reports) -> None:
    # Issue 12: Rutland's tables showed "*" for counts but printed the percentages beside them,
    # so the counts could be worked back. A share must be withheld with its count, and worked out
    # from published numbers only: every share in a column is a published count over one
    # published (rounded) total.
    _, _, pages = reports
    checked = 0
    for code, page in pages.items():
        parser = _Tables()
        parser.feed(page)
        for table in parser.tables:
            header, *rows = table["rows"]
            for j, name in enumerate(header):
                if not name.startswith("Share") or header[j - 1] not in table["counts"]:
                    continue
                pairs = [(row[j - 1], row[j]) for row in rows if len(row) == len(header)]
                for count, share in pairs:
                    if count == "*":
                        assert share in ("*", ""), (code, header, pairs)
                known = [(int(c), int(s)) for c, s in pairs if c.isdigit() and s.isdigit()]
                totals = (
                    [
                        t
                        for t in range(5, 100_000, 5)
                        if all(round(100 * c / t) == s for c, s in known)
                    ]
                    if known and any(c for c, _ in known)
                    else [5]
                )
                assert totals, (code, header, pairs)
                checked += 1
    assert checked >= 6


#: Words a reader who is not a statistician should not meet before the Methods annex.
JARGON = re.compile(
    r"\b(CR1|HC1|GLM|OLS|d_z|Newey|quasi-?Poisson|heteroskedastic\w*|covariates?|propensity|"
    r"logit|p-value|regression|estimator|stack_pre_post|dataframe)\b",
    re.IGNORECASE,
)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def reader_text(page: str) -> str:
    """The text a reader meets before the Methods annex (charts' alt text included)."""
    body = re.split(r"<h2 class=[\"']annex[\"']>", page, maxsplit=1)[0]
    alts = " ".join(re.findall(r'alt="([^"]*)"', body))
    body = re.sub(r"<style>.*?</style>|<script>.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) + " " + alts


def test_reader_text_has_no_jargon_or_machine_names(reports) -> None:
    # Issue 12: "CR1 ... correction", "segmented Poisson GLM", "Cohen's d_z", raw column names
    # such as area_relationships in the reader's text.
    _, _, pages = reports
    for code, page in pages.items():
        text = reader_text(page)
        assert not JARGON.findall(text), (code, sorted(set(JARGON.findall(text))))
        assert not SNAKE.findall(text), (code, sorted(set(SNAKE.findall(text))))


def _body(page: str) -> str:
    """The report after the summary and before the annex: where the summary's figures come from."""
    after = page.split('<ul class="summary">', 1)[1].split("</ul>", 1)[1]
    return _text(after.split("Annex A.", 1)[0])


def test_every_summary_figure_is_the_figure_in_the_body(reports) -> None:
    """One source: each number the summary gives (counts, estimates, intervals, pounds) appears
    in the body of the same report, as printed there."""
    _, _, pages = reports
    for code in ("E08000012", "E06000027"):
        summary, body = _summary(pages[code]), _body(pages[code])
        numbers = set(re.findall(r"£?[+-]?\d[\d,]*(?:\.\d+)?", summary)) - {"95", "1", "3", "5"}
        missing = sorted(n for n in numbers if n.lstrip("+-") not in body)
        assert not missing, (code, missing, summary)


def test_the_weak_locality_reads_weak_and_the_strong_one_strong(reports) -> None:
    """Torbay (planted effects a fraction of the others') reads weak in its summary, its value
    for money and the index; Liverpool reads strong in each."""
    spec, _, pages = reports
    torbay, liverpool = _summary(pages["E06000027"]), _summary(pages["E08000012"])
    assert torbay.count("We cannot tell whether the service changed") >= 2
    assert "started here in April 2023" in _text(pages["E06000027"])  # the late start, said
    assert liverpool.count("We cannot tell whether") == 0
    assert liverpool.count("is estimated to have") >= 2
    value = _text(pages["E06000027"]).split("Value for money", 1)[1]
    assert "do not cover the cost" in value
    index = (spec.output_folder / "index.html").read_text()
    rows = {
        name: _text(row)
        for row in re.findall(r"<tr>.*?</tr>", index, re.S)
        for name in ("Torbay", "Liverpool")
        if f">{name}</a>" in row
    }
    assert rows["Torbay"].count("we cannot tell") >= 2
    assert "we cannot tell" not in rows["Liverpool"] and rows["Liverpool"].count("better:") >= 3
    assert "The programme at a glance" in index
