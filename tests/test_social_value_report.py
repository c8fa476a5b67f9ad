"""The social value report: demo inputs, HTML (escaped, people counts protected), proxies with
their sources and price years, delivery claims checked against the people served, the period
taken from the spec, and the notebook executed by papermill on a real kernel."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evalkit.demo.social_value import write_demo_inputs
from evalkit.exceptions import ConfigError, DataError
from evalkit.reports.plan import notebook_parameters
from evalkit.reports.social_value import (
    INPUT_FILES,
    social_value_report,
    social_value_report_html,
)
from evalkit.social_value import money

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "social_value.ipynb"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project (social value inputs beside the spec) with its records prepared, as
    `evalkit run` leaves them; returns the spec."""
    from evalkit import demo
    from evalkit.config import load_spec
    from evalkit.intake import prepare

    root = tmp_path_factory.mktemp("social-value")
    shutil.copytree(REPO / "notebooks", root / "notebooks")  # the project folder, first
    spec = demo.write(root / "data" / "raw" / "demo")
    prepare(load_spec(spec))
    return spec


def _text(html: str) -> str:
    """What a reader sees: the page without tags, images or markup."""
    import html as html_lib

    text = re.sub(r"<[^>]+>", " ", _no_images(html))
    return re.sub(r"\s+", " ", html_lib.unescape(text))


def _no_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMG", text)


def test_write_demo_inputs(tmp_path):
    paths = write_demo_inputs(tmp_path / "demo")
    assert {k: p.name for k, p in paths.items()} == INPUT_FILES  # what the report looks for
    bids = pd.read_csv(paths["bids"])
    assert bids["locality_code"].nunique() == 14 and bids["measure"].nunique() == 4
    assert bids["year"].max() == 3  # wave 1: a four-year contract, 2021/22 to 2024/25
    measures = pd.read_csv(paths["measures"], dtype=str)  # the demo's proxies, as user input
    assert measures[["source", "price_year", "licence"]].notna().all().all()


def test_report_shows_the_computed_figures(project):
    r = social_value_report(str(project), "E09000028")  # Southwark
    html = _no_images(r.to_html())
    # The spec's reporting period: its label shown, delivery up to its end date.
    assert r.period == "April 2021 to March 2025" and r.up_to == dt.date(2025, 3, 31)
    assert "Reporting period: April 2021 to March 2025." in html
    assert "Delivery against commitments, up to 31 March 2025" in html
    same = social_value_report(str(project), "E09000028", "April 2021 to March 2025")
    assert (same.period, same.up_to) == (r.period, r.up_to)
    for row in r.values.bids.itertuples():
        assert money(row.gross_social_value) in html and money(row.net_social_value) in html
    for total in r.scores.table["total"]:
        assert f"{total:.1f}" in html
    assert "Gross social value" in html and "Net social value" in html
    assert html.count('<figure class="evalkit-chart">') >= 3
    assert 'alt="Bar chart of the social value each bid' in html
    # Multi-year commitments discounted, and the convention stated.
    by_year = r.values.by_year
    assert sorted(by_year["year"].unique()) == [0, 1, 2]  # wave 2: 2022/23 to 2024/25
    assert money(by_year["gross_present_value"].iloc[2]) in html and "0.9335" in html
    assert "first year of the contract (year 0 in the Green Book's counting) is not discounted" in (
        _text(html)
    )


def test_reader_text_has_no_identifiers_or_machine_paths(project):
    for code in ("E09000028", "E06000017"):
        text = _text(social_value_report_html(str(project), code))
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), code  # no measure codes
        assert str(project.parent) not in text and "/tmp" not in text and ".csv" not in text


def test_every_proxy_is_shown_with_its_source_and_price_year(project):
    r = social_value_report(str(project), "E09000028")
    text = _text(r.to_html())
    assert r.own_measures  # the demo's proxies file beside the spec, not the shipped set
    assert "Financial proxies used" in text and len(r.proxies) == 4
    for row in r.proxies.itertuples():
        assert row.source in text and row.outcome in text
        assert f"{row.price_year} £" in text or f" {row.price_year} " in text
        assert money(row.proxy_rebased) in text
    assert "GDP deflator (HM Treasury GDP deflators at market prices" in text
    assert "December 2025 vintage, 2024 = 100" in text
    assert "nine months of its first calendar year and three of the next" in text


def test_without_a_proxies_file_the_illustrative_set_is_named(project, tmp_path):
    folder = tmp_path / "inputs"
    shutil.copytree(project.parent, folder)
    (folder / INPUT_FILES["measures"]).unlink()
    r = social_value_report(str(folder / project.name), "E08000012")
    assert not r.own_measures
    assert "evalkit's small illustrative set is used" in _text(r.to_html())


def test_a_proxies_file_without_a_price_year_is_a_one_line_error(project, tmp_path):
    measures = pd.read_csv(project.parent / INPUT_FILES["measures"], dtype=str)
    measures.loc[1, "price_year"] = None
    path = tmp_path / "measures.csv"
    measures.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        social_value_report(str(project), "E08000012", measures_path=str(path))
    msg = str(err.value)
    assert "\n" not in msg and f"{path}, row 3, column 'price_year'" in msg


def test_delivery_claims_beyond_the_people_served_are_flagged(project):
    from evalkit.demo.social_value import OVER_CLAIMS
    from evalkit.reports.context import context

    people = context(str(project), "E06000027").table("service_users")
    served = int((people["group"] == "participant").sum())
    r = social_value_report(str(project), "E06000027")  # Torbay
    (flag,) = r.claims.flagged.itertuples()
    assert flag.measure == OVER_CLAIMS["E06000027"][0] and flag.measured == served
    claimed = r.delivery.lines.query("measure == @flag.measure")["delivered"].sum()
    assert flag.claimed == claimed > served
    text = _text(r.to_html())
    assert "Claims that exceed what the evaluation measured" in text
    assert (
        f"the provider claims about {round(claimed / 5) * 5} victims for the outcome "
        f"'A victim of domestic abuse kept safe from further abuse', up to 31 March 2025; "
        # "about" under the NHS rule even for a multiple of 5: it never shows an exact count
        f"the service records about {round(served / 5) * 5} people served in Torbay by then"
    ) in text
    # Every other locality's claims stay within the people it served.
    for code in ("E08000012", "E09000028", "E08000003"):
        assert social_value_report(str(project), code).claims.flagged.empty


def test_a_flag_never_shows_a_small_count(project):
    r = social_value_report(str(project), "E06000017")  # Rutland: 6 people served
    (flag,) = r.claims.flags()
    assert "the service records fewer than 8 people served in Rutland" in flag
    assert "claims about 10 victims" in flag and " 6 " not in flag and "%" not in flag


def test_claims_are_not_checked_before_the_records_are_prepared(tmp_path):
    from evalkit import demo

    spec = demo.write(tmp_path / "data" / "raw" / "demo")
    r = social_value_report(str(spec), "E06000027")
    assert r.claims is None and "have not been prepared yet" in r.claims_note
    assert "have not been prepared yet (run the evaluation first)" in _text(r.to_html())


def test_demo_ranking_moves_with_the_weighting_and_with_net_value(project):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        liverpool = social_value_report(str(project), "E08000012").sensitivity.summary()
    # Northgate stacks child maltreatment (the largest proxy, 70% deadweight): it takes the lead
    # on gross value at a high social value weighting, never on net value.
    assert "on gross social value: the leading bid changes with the weighting" in liverpool
    assert "Northgate Support Services Ltd at 30%" in liverpool
    assert "on net social value: Harbour Lane Trust ranks first at every weighting" in liverpool


def test_small_counts_suppressed_and_value_totals_withheld(project):
    r = social_value_report(str(project), "E06000027")  # Torbay: a small two-year contract
    html = _no_images(r.to_html())
    assert r.withheld_periods == (
        "Family Support Torbay 2023 contract, 2023/24",
        "Family Support Torbay 2023 contract, 2024/25",
    )
    assert 'data-disclosure-policy="nhs"' in html and "<td>*</td>" in html
    assert "Value totals are withheld for Family Support Torbay 2023 contract, 2023/24" in html
    assert "Value by period" not in html
    assert "withheld" in r.summary() and "commitments worth" not in r.summary()


def test_people_values_come_from_the_published_counts(project):
    # NHS rules round counts of 8 or more to the nearest 5; a value shown beside a rounded count
    # is that rounded count x the rebased proxy, so value / proxy gives back only the rounded count.
    r = social_value_report(str(project), "E08000012")
    (tables,) = r.contract_tables.values()
    published = tables.people.table
    proxies = r.delivery.lines.groupby("outcome")["proxy_rebased"].first()
    shown = published[published["Committed"].map(lambda v: isinstance(v, int | float))]
    assert not shown.empty
    for outcome, row in shown.iterrows():
        assert row["Committed"] % 5 == 0
        assert row["Committed value (gross)"] == money(row["Committed"] * proxies[outcome])
    # WELLBYs are not counts of people; rows are named by outcome, not by measure code.
    assert tables.other["Outcome"].tolist() == [
        "Life satisfaction (0-10) raised by one point for one person for one year"
    ]


def test_free_text_is_escaped(project, tmp_path):
    bids = pd.read_csv(project.parent / "social_value_bids.csv", dtype=str)
    bids.loc[bids["bidder"] == bids["bidder"].iloc[0], "bidder"] = "<script>alert(1)</script> Ltd"
    path = tmp_path / "bids.csv"
    bids.to_csv(path, index=False)
    html = social_value_report_html(str(project), "E08000012", bids_path=str(path))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Ltd" in html
    assert "sample &lt; 30 &amp; no baseline" in _no_images(html)  # delivery evidence notes


def test_gross_only_without_adjustments(project, tmp_path):
    with pytest.warns(Warning, match="only gross social value"):
        r = social_value_report(
            str(project), "E08000012", adjustments_path=str(tmp_path / "none.csv")
        )
    assert not r.values.net_available
    html = r.to_html()
    assert "not assessed" in html and "only the gross figure is available" in html


def test_locality_without_a_tender_and_missing_bids_file(project, tmp_path):
    r = social_value_report(str(project), "E08000010")  # Wigan: a comparison area, no tender
    assert r.values is None and r.delivery is None
    assert "No tender for this locality" in r.to_html()
    with pytest.raises(DataError, match=r"bids table not found.*bids_path="):
        social_value_report(str(project), "E08000012", bids_path=str(tmp_path / "x.csv"))


def test_missing_spec_is_a_config_error_and_no_spec_means_named_files(project, tmp_path):
    with pytest.raises(ConfigError, match="programme spec not found"):
        social_value_report(str(tmp_path / "missing.yaml"), "E08000012")
    folder = project.parent
    r = social_value_report(
        "",
        "E08000012",
        bids_path=folder / "social_value_bids.csv",
        delivery_path=folder / "social_value_delivery.csv",
        adjustments_path=folder / "social_value_adjustments.csv",
    )
    assert r.policy == "nhs" and r.period == "" and r.up_to is None
    assert r.locality_name == "Liverpool"  # from evalkit's list of local authorities
    assert set(r.delivery.by_contract["period"]) == {"2021/22", "2022/23", "2023/24", "2024/25"}
    assert r.claims is None and "without a programme spec" in r.claims_note


def test_a_period_given_keeps_the_returns_that_had_ended_by_its_end(project):
    earlier = social_value_report(str(project), "E08000012", "2023/24")
    assert earlier.period == "2023/24" and earlier.up_to == dt.date(2024, 3, 31)
    assert set(earlier.delivery.by_contract["period"]) == {"2021/22", "2022/23", "2023/24"}
    # A quarter: 2024/25 had not ended by 30 September 2024, so it is left out and named.
    quarter = social_value_report(str(project), "E08000012", "2024Q3")
    assert set(quarter.delivery.by_contract["period"]) == {"2021/22", "2022/23", "2023/24"}
    assert any(
        "had not ended by 30 September 2024 are not shown: 2024/25" in n for n in quarter.notes
    )
    with pytest.raises(DataError, match=r"period 'autumn' is not a reporting period"):
        social_value_report(str(project), "E08000012", "autumn")


def test_returns_after_the_reporting_period_are_left_out(project, tmp_path):
    rows = pd.read_csv(project.parent / "social_value_delivery.csv", dtype=str)
    mine = rows[rows["locality_code"] == "E08000012"]
    later = mine[mine["period"] == "2024/25"].assign(period="2025/26")
    path = tmp_path / "delivery.csv"
    pd.concat([mine, later]).to_csv(path, index=False)
    r = social_value_report(str(project), "E08000012", delivery_path=path)
    assert set(r.delivery.by_contract["period"]) == {"2021/22", "2022/23", "2023/24", "2024/25"}
    assert "not shown: 2025/26" in r.to_html()
    bad = pd.concat([mine, later.assign(period="Spring 2025")])
    bad.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        social_value_report(str(project), "E08000012", delivery_path=path)
    assert f"{path}, row {len(mine) + 2}, column 'period': value 'Spring 2025'" in str(err.value)


def test_inputs_may_be_workbooks(project, tmp_path):
    bids = pd.read_csv(project.parent / "social_value_bids.csv", dtype=str)
    path = tmp_path / "bids.xlsx"
    bids.rename(columns={"locality_code": "Locality code"}).to_excel(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_csv = social_value_report(str(project), "E08000012")
        from_xlsx = social_value_report(str(project), "E08000012", bids_path=path)
    pd.testing.assert_frame_equal(from_xlsx.values.bids, from_csv.values.bids)


def test_notebook_declares_typed_parameters():
    params = notebook_parameters(NOTEBOOK)
    types = {k: v["inferred_type_name"] for k, v in params.items()}
    assert {k: types[k] for k in ("spec_path", "locality", "period")} == dict.fromkeys(
        ("spec_path", "locality", "period"), "str"
    )
    assert types["price_year"] == "int" and types["social_value_weight"] == "float"
    assert types["count_partly"] == "bool"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(
        c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code"
    )


@pytest.mark.slow
def test_notebook_executes_with_papermill(project, tmp_path):
    import papermill

    out = tmp_path / "social_value.out.ipynb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        papermill.execute_notebook(
            str(project.parents[3] / "notebooks" / "social_value.ipynb"),
            str(out),
            kernel_name="evalkit",  # the project kernel, as the notebooks name it
            parameters={"spec_path": str(project), "locality": "E06000017", "period": "2024/25"},
            cwd=str(project.parents[3]),
            progress_bar=False,
        )
    nb = nbformat.read(out, as_version=4)
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = social_value_report(str(project), "E06000017", "2024/25")
    for row in r.values.bids.itertuples():
        assert money(row.gross_social_value) in html
    assert f"{r.scores.table['total'].max():.1f}" in html
    assert money(r.visible_delivery.by_contract["gross_counted_value"].iloc[-1]) in html
    assert "Social value: Rutland" in html and "Financial proxies used" in html
    assert "Delivery claims checked against the evaluation" in html
