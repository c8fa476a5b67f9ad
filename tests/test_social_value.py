"""Social value of bids and delivery: measures tables, gross and net value, bad input.

Files are read as the pipeline reads them (:func:`evalkit.intake.read_table`); the social value
functions take the DataFrames.

Golden figures are worked by hand below. Deflator values come from the shipped
``gdp_deflator_2024_100.csv`` (HM Treasury GDP deflator at market prices, December 2025 vintage,
2024 = 100): D(2015) = 75.1536, D(2016) = 76.4554, D(2017) = 77.6367, D(2019) = 81.1085.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.econ import gdp_deflator
from evalkit.exceptions import DataError, EvidenceWarning, ParameterError
from evalkit.intake import read_table
from evalkit.reference import load_table, path_of
from evalkit.social_value import (
    check_adjustments,
    check_measures,
    delivery_against_commitments,
    illustrative_measures,
    social_value,
)

D2015, D2016, D2017, D2019, D2024 = 75.1536, 76.4554, 77.6367, 81.1085, 100.0


def _bids(**overrides) -> pd.DataFrame:
    rows = {
        "tender": ["T1"] * 4,
        "bidder": ["A", "A", "B", "B"],
        "price": [1_000_000, 1_000_000, 1_250_000, 1_250_000],
        "quality": [70, 70, 80, 80],
        "measure": [
            "wellby",
            "domestic_abuse_victim_safe",
            "wellby",
            "child_maltreatment_prevented",
        ],
        "quantity": [10, 5, 20, 2],
    }
    rows.update(overrides)
    return pd.DataFrame(rows)


ADJ = pd.DataFrame(
    {
        "measure": ["wellby", "domestic_abuse_victim_safe", "child_maltreatment_prevented"],
        "deadweight": [0.2, 0.3, 0.6],
        "displacement": [0.0, 0.1, 0.0],
        "attribution": [0.3, 0.4, 0.2],
    }
)


def _file(path) -> pd.DataFrame:
    """A CSV or XLSX file as the pipeline reads it (rows numbered as a spreadsheet shows them)."""
    frame = read_table(path)
    frame.attrs["source"] = str(path)
    return frame


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvidenceWarning)
        return fn(*args, **kwargs)


# --- the shipped reference data ------------------------------------------------------------------


def test_deflator_values_used_in_these_tests_are_the_shipped_ones():
    d = gdp_deflator()
    assert d.attrs["source"]["vintage"] == "December 2025"
    assert [d.loc[y] for y in (2015, 2016, 2017, 2019, 2024)] == [D2015, D2016, D2017, D2019, D2024]


def test_illustrative_measures_have_sources_and_agree_with_the_other_reference_files():
    m = illustrative_measures().set_index("measure")
    assert set(m.columns) >= {"theme", "outcome", "unit", "proxy_value", "price_year", "source"}
    assert m["source"].str.len().min() > 20 and m["licence"].str.len().min() > 10
    text = path_of("social_value_measures.csv").read_text(encoding="utf-8")
    assert "HACT" not in text and "TOMs" not in text
    # The WELLBY row is HM Treasury's value (wellbeing_values.yaml): 13,000 in 2019 prices.
    wellby = yaml.safe_load(path_of("wellbeing_values.yaml").read_text())["wellby"]
    assert (m.at["wellby", "proxy_value"], m.at["wellby", "price_year"]) == (
        wellby["central"],
        str(wellby["price_year"]),
    )
    # The unit-cost rows repeat the published figures in unit_costs.csv with the same price years.
    costs = load_table("unit_costs.csv", dtype={"price_year": "string"}).set_index("name")
    for measure, name in [
        ("domestic_abuse_victim_safe", "domestic abuse"),
        ("rough_sleeping_prevented", "rough sleeping"),
        ("child_maltreatment_prevented", "non-fatal child maltreatment"),
    ]:
        assert m.at[measure, "proxy_value"] == costs.at[name, "amount"]
        assert m.at[measure, "price_year"] == costs.at[name, "price_year"]
    assert m["counts_people"].to_dict() == {
        "wellby": False,
        "domestic_abuse_victim_safe": True,
        "rough_sleeping_prevented": True,
        "child_maltreatment_prevented": True,
    }


# --- gross and net value: golden worked examples ---------------------------------------------


def test_gross_value_in_the_proxy_price_year_is_quantity_times_proxy():
    # Bid A in 2019 prices: 10 WELLBYs x £13,000 = £130,000; no rebasing needed.
    bids = _bids(measure=["wellby"] * 4, quantity=[10, 0, 20, 1])
    r = _quiet(social_value, bids, price_year=2019)
    a, b = r.bids.set_index("bidder").loc[["A", "B"]].itertuples()
    assert a.gross_social_value == 130_000
    assert b.gross_social_value == 21 * 13_000
    assert a.gross_per_pound == pytest.approx(0.13)  # 130,000 / 1,000,000
    assert a.gross_share_of_price == pytest.approx(13.0)  # per cent of the contract value


def test_gross_and_net_rebased_with_the_shipped_deflator():
    # Bid A: 10 WELLBYs (£13,000, 2019 prices) and 5 domestic abuse victims (£34,015, 2016/17).
    # 2016/17 "weighted" = 0.75 D(2016) + 0.25 D(2017) = 0.75*76.4554 + 0.25*77.6367 = 76.750725.
    wellby_2024 = 13_000 * D2024 / D2019  # = 16,027.91
    da_2024 = 34_015 * D2024 / (0.75 * D2016 + 0.25 * D2017)  # = 44,318.80
    gross_a = 10 * wellby_2024 + 5 * da_2024
    # Net: WELLBY (1-0.2)(1-0)(1-0.3) = 0.56; domestic abuse (1-0.3)(1-0.1)(1-0.4) = 0.378.
    net_a = 10 * wellby_2024 * 0.56 + 5 * da_2024 * 0.378
    # Bid B: 20 WELLBYs and 2 child maltreatment cases (£89,390, 2015 prices), net factor 0.32.
    cm_2024 = 89_390 * D2024 / D2015
    gross_b = 20 * wellby_2024 + 2 * cm_2024
    net_b = 20 * wellby_2024 * 0.56 + 2 * cm_2024 * (1 - 0.6) * (1 - 0.0) * (1 - 0.2)
    r = social_value(_bids(), adjustments=ADJ, financial_year="weighted")
    got = r.bids.set_index("bidder")
    assert round(wellby_2024, 2) == 16027.91 and round(da_2024, 2) == 44318.80
    assert got.at["A", "gross_social_value"] == pytest.approx(gross_a)
    assert got.at["A", "net_social_value"] == pytest.approx(net_a)
    assert got.at["B", "gross_social_value"] == pytest.approx(gross_b)
    assert got.at["B", "net_social_value"] == pytest.approx(net_b)
    assert got.at["B", "net_per_pound"] == pytest.approx(net_b / 1_250_000)
    assert r.net_available and r.price_year == "2024"
    lines = r.lines.set_index(["bidder", "measure"])
    assert lines.at[("A", "domestic_abuse_victim_safe"), "net_factor"] == pytest.approx(0.378)


def test_financial_year_rule_start_uses_the_starting_calendar_year():
    bids = _bids(measure=["domestic_abuse_victim_safe"] * 4, quantity=[1, 0, 0, 0])
    r = _quiet(social_value, bids, financial_year="start")
    assert r.bids.iloc[0]["gross_social_value"] == pytest.approx(34_015 * D2024 / D2016)


def test_commitments_by_contract_year_are_discounted_green_book_style():
    # 1 WELLBY in year 0 and 1 in year 1, 2019 prices, standard 3.5%: 13,000 x (1 + 1/1.035).
    bids = _bids(measure=["wellby"] * 4, quantity=[1, 1, 0, 0]).assign(year=[0, 1, 0, 1])
    r = _quiet(social_value, bids, price_year=2019)
    assert r.bids.iloc[0]["gross_social_value"] == pytest.approx(13_000 * (1 + 1 / 1.035))
    assert (
        "3.50%" in r.discounting
        and "first year of the contract (year 0 in the Green Book" in r.discounting
    )


def test_only_gross_is_labelled_and_warned():
    with pytest.warns(EvidenceWarning, match="only gross social value"):
        r = social_value(_bids(), financial_year="weighted")
    assert not r.net_available and r.bids["net_social_value"].isna().all()
    assert "net social value not assessed, so only the gross figure" in r.summary()
    assert "overstate" in r.summary()


def test_adjustments_missing_a_measure_warn_naming_it():
    partial = ADJ[ADJ["measure"] != "child_maltreatment_prevented"]
    with pytest.warns(EvidenceWarning, match="child_maltreatment_prevented"):
        r = social_value(_bids(), adjustments=partial, financial_year="weighted")
    by = r.bids.set_index("bidder")["net_available"]
    assert by.to_dict() == {"A": True, "B": False}
    assert r.unassessed_measures == ("child_maltreatment_prevented",)


def test_summary_labels_gross_and_net():
    r = social_value(_bids(), adjustments=ADJ, financial_year="weighted")
    text = r.summary()
    assert (
        "gross social value of £" in text
        and "net of deadweight, displacement and attribution" in text
    )
    assert set(r.to_frame().columns) >= {
        "gross_social_value",
        "net_social_value",
        "gross_per_pound",
    }


# --- reading tables ----------------------------------------------------------------------------


def test_measures_from_xlsx_with_spreadsheet_headers(tmp_path):
    m = illustrative_measures().rename(
        columns={"proxy_value": "Proxy value", "price_year": "Price year"}
    )
    path = tmp_path / "measures.xlsx"
    m.drop(columns=["counts_people"]).to_excel(path, index=False)
    back = check_measures(_file(path))
    assert back["proxy_value"].tolist() == [13000, 34015, 20128, 89390]
    assert back["price_year"].tolist() == ["2019", "2016/17", "2015/16", "2015"]
    assert back["counts_people"].tolist() == [False, True, True, True]  # inferred from the unit
    assert back.attrs["source"] == str(path)


def test_flags_and_evidence_in_their_usual_spellings():
    m = illustrative_measures().assign(counts_people=["No", "YES", "", "1"])
    assert check_measures(m)["counts_people"].tolist() == [False, True, True, True]
    delivery = _delivery(evidence=["Fully evidenced", "Partial", "Not-Evidenced"])
    lines = _quiet(delivery_against_commitments, delivery, price_year=2019).lines
    assert lines["evidence"].tolist() == ["evidenced", "partly evidenced", "not evidenced"]


def test_bids_from_csv_file(tmp_path):
    path = tmp_path / "bids.csv"
    _bids().to_csv(path, index=False)
    r = social_value(_file(path), adjustments=ADJ, financial_year="weighted")
    assert len(r.bids) == 2


def test_a_path_is_refused_with_how_to_read_it(tmp_path):
    with pytest.raises(ParameterError, match=r"bids table must be a DataFrame.*read_table"):
        social_value(tmp_path / "bids.csv")


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_measure_names_file_row_and_value(tmp_path):
    path = tmp_path / "bids.csv"
    _bids(measure=["wellby", "volunteering_hours", "wellby", "wellby"]).to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        _quiet(social_value, _file(path), financial_year="weighted")
    msg = str(err.value)
    assert str(path) in msg and "row 3" in msg and "'measure'" in msg
    assert "'volunteering_hours'" in msg and "expected one of" in msg and "'wellby'" in msg


def test_negative_quantity_names_row_and_value(tmp_path):
    path = tmp_path / "bids.csv"
    _bids(quantity=[10, 5, -4, 2]).to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        social_value(_file(path), financial_year="weighted")
    msg = str(err.value)
    assert f"{path}, row 4, column 'quantity': value '-4'" in msg
    assert "expected a number of at least 0" in msg


def test_price_must_be_above_zero(tmp_path):
    path = tmp_path / "bids.csv"
    _bids(price=["£1,000,000", "£1,000,000", "0", "0"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"row 4, column 'price': value '0'.*above 0"):
        _quiet(social_value, _file(path), financial_year="weighted")


def test_proxy_without_price_year_names_the_row(tmp_path):
    m = illustrative_measures().drop(columns=["counts_people", "verified"])
    m.loc[2, "price_year"] = ""
    path = tmp_path / "measures.csv"
    m.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        check_measures(_file(path))
    msg = str(err.value)
    assert str(path) in msg and "row 4" in msg and "'price_year'" in msg
    assert "empty" in msg and "price year of the proxy value" in msg


def test_unreadable_price_year_and_negative_proxy():
    m = illustrative_measures()
    with pytest.raises(DataError, match=r"row 1, column 'price_year'.*'last year'"):
        check_measures(m.assign(price_year=["2019", "last year", "2015", "2015"]))
    with pytest.raises(DataError, match=r"row 0, column 'proxy_value': value '-5'"):
        check_measures(m.assign(proxy_value=["-5", "1", "1", "1"]))


def test_duplicate_measure_and_missing_column():
    m = illustrative_measures()
    with pytest.raises(
        DataError, match=r"row 1, column 'measure': value 'wellby' appears more than once"
    ):
        check_measures(m.assign(measure=["wellby", "wellby", "a", "b"]))
    with pytest.raises(DataError, match=r"missing column\(s\) 'licence'"):
        check_measures(m.drop(columns="licence"))


def test_financial_year_proxy_without_a_rule_names_the_measure():
    with pytest.raises(
        ParameterError, match=r"measure 'domestic_abuse_victim_safe' \(proxy price year 2016/17\)"
    ):
        _quiet(social_value, _bids())


def test_price_must_be_one_per_bid():
    with pytest.raises(
        DataError, match=r"row 1, column 'price': value 999 .*expected one price per bid"
    ):
        _quiet(
            social_value,
            _bids(price=[1_000_000, 999, 1_250_000, 1_250_000]),
            financial_year="start",
        )


def test_adjustment_shares_must_lie_in_0_1():
    with pytest.raises(
        DataError, match=r"row 0, column 'deadweight': value 30.*from 0 to 1; write 25% as 0.25"
    ):
        check_adjustments(ADJ.assign(deadweight=[30, 0.3, 0.6]))
    with pytest.raises(
        DataError, match=r"column 'attribution': value is empty; expected a number from 0 to 1"
    ):
        check_adjustments(ADJ.assign(attribution=[None, 0.3, 0.6]))


def test_empty_table_and_duplicate_headers():
    with pytest.raises(DataError, match="measures table has no rows"):
        check_measures(illustrative_measures().iloc[:0])
    twice = ADJ.assign(**{"Dead weight": 0.1, "dead-weight": 0.2})
    with pytest.raises(DataError, match="column 'dead_weight' appears more than once"):
        check_adjustments(twice)


# --- commitments against delivery ------------------------------------------------------------


def _delivery(**overrides) -> pd.DataFrame:
    rows = {
        "contract": ["C1"] * 3,
        "period": ["2024/25"] * 3,
        "measure": ["wellby", "wellby", "wellby"],
        "committed": [10, 4, 6],
        "delivered": [8, 5, 3],
        "evidence": ["evidenced", "partly", "not evidenced"],
    }
    rows.update(overrides)
    return pd.DataFrame(rows)


def test_delivery_counts_only_evidenced_value_by_default():
    # 2019 prices, £13,000 per WELLBY. Committed 10 + 4 + 6 = 20 -> £260,000.
    # Evidenced 8 -> £104,000 counted; partly 5 -> £65,000 and not evidenced 3 -> £39,000 left out.
    r = _quiet(delivery_against_commitments, _delivery(), price_year=2019)
    row = r.by_contract.iloc[0]
    assert row["gross_committed_value"] == 260_000
    assert row["gross_counted_value"] == 104_000
    assert row["gross_partly_value"] == 65_000 and row["gross_not_evidenced_value"] == 39_000
    assert row["gross_variance"] == 104_000 - 260_000
    assert row["gross_delivery_rate"] == pytest.approx(0.4)
    text = r.summary()
    assert (
        "£65,000 claimed with partial evidence and £39,000 claimed with no evidence is not counted"
        in text
    )
    assert "gross" in text


def test_delivery_counting_partly_evidenced_says_so_and_never_counts_unevidenced():
    r = _quiet(delivery_against_commitments, _delivery(), price_year=2019, count_partly=True)
    row = r.by_contract.iloc[0]
    assert row["gross_counted_value"] == 104_000 + 65_000
    assert "delivery counted (evidenced and partly evidenced)" in r.summary()
    assert "£39,000 claimed with no evidence is not counted" in r.summary()
    assert "never counted: not evidenced" in r.method


def test_delivery_net_values_with_adjustments():
    # Net factor for WELLBYs: (1-0.2)(1-0)(1-0.3) = 0.56; committed £260,000 -> £145,600.
    r = delivery_against_commitments(_delivery(), adjustments=ADJ, price_year=2019)
    row = r.by_contract.iloc[0]
    assert row["net_committed_value"] == pytest.approx(145_600)
    assert row["net_counted_value"] == pytest.approx(104_000 * 0.56)
    assert "Net of deadweight" in r.summary()


def test_delivery_bad_evidence_status_and_negative_delivered():
    with pytest.raises(
        DataError, match=r"row 1, column 'evidence': value 'maybe'.*'partly evidenced'"
    ):
        _quiet(delivery_against_commitments, _delivery(evidence=["evidenced", "maybe", "no"]))
    with pytest.raises(DataError, match=r"row 2, column 'delivered': value -3 is not valid"):
        _quiet(delivery_against_commitments, _delivery(delivered=[1, 1, -3]))
    with pytest.raises(DataError, match=r"value 'nope' is not in the measures table"):
        _quiet(delivery_against_commitments, _delivery(measure=["wellby", "nope", "wellby"]))


@given(
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
@settings(max_examples=40, deadline=None)
def test_net_never_exceeds_gross_and_is_the_product_of_the_factors(dw, disp, attr):
    adj = ADJ.assign(deadweight=dw, displacement=disp, attribution=attr)
    r = social_value(_bids(), adjustments=adj, financial_year="weighted")
    lines = r.lines
    assert (r.bids["net_social_value"] <= r.bids["gross_social_value"] + 1e-6).all()
    expected = lines["gross_value"] * (1 - lines["deadweight"]) * (1 - lines["displacement"])
    expected *= 1 - lines["attribution"]
    assert lines["net_value"].to_numpy() == pytest.approx(expected.to_numpy())


# --- proxies, price years and Green Book discounting (issue 12, item 7) -----------------------


def _own_measures(**overrides) -> pd.DataFrame:
    """A user's own measures table (the values are made up for the tests, from no proprietary
    set): one apprenticeship proxy in 2024 prices and the WELLBY in 2019 prices."""
    rows = {
        "theme": ["Skills", "Wellbeing"],
        "outcome": ["An apprenticeship for a local resident", "One WELLBY"],
        "measure": ["apprenticeship", "wellby"],
        "unit": ["apprentice", "WELLBY"],
        "proxy_value": [10_000, 13_000],
        "price_year": ["2024", "2019"],
        "source": ["Test figure made up for this test", "HM Treasury (2021) wellbeing guidance"],
        "licence": ["none (test)", "Open Government Licence v3.0"],
    }
    rows.update(overrides)
    return pd.DataFrame(rows)


def _three_years(measure: str, quantity: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tender": ["T"] * 3,
            "bidder": ["A"] * 3,
            "price": [1_000_000] * 3,
            "measure": [measure] * 3,
            "quantity": [quantity] * 3,
            "year": [0, 1, 2],
        }
    )


def test_golden_three_year_commitment_discounted_as_the_green_book_does():
    # HM Treasury (2022), The Green Book, Annex A6: discount rate 3.5% a year (real) for years
    # 0-30, unchanged in the February 2026 update; year 0 (the first contract year) is not
    # discounted. Worked by hand with 30-digit decimals, independently of evalkit:
    #   1/1.035 = 0.966183574879227..., 1/1.035^2 = 0.933510700366402...
    #   5 apprenticeships a year x £10,000 (2024 prices) for 3 years:
    #   50,000 x (1 + 0.966183574879227 + 0.933510700366403) = £144,984.71
    r = _quiet(social_value, _three_years("apprenticeship", 5), _own_measures())
    assert r.bids.iloc[0]["gross_social_value"] == pytest.approx(144_984.7137622815, abs=1e-6)
    assert r.by_year["discount_factor"].tolist() == pytest.approx(
        [1.0, 0.966183574879227, 0.933510700366403], abs=1e-12
    )
    assert r.by_year["gross_undiscounted"].tolist() == [50_000.0] * 3
    assert r.by_year["gross_present_value"].sum() == pytest.approx(144_984.7137622815)
    assert "3.50% a year" in r.discounting and "divided by 1.035" in r.discounting
    assert "year 0 in the Green Book's counting" in r.discounting


def test_golden_discounting_after_rebasing_the_proxy_price_year():
    # Rebase first, then discount (Green Book: real prices in one base year, then discount).
    # £13,000 (2019 prices) x 100 / 81.1085 (GDP deflator, 2024 = 100) = £16,027.9132273436;
    # 2 WELLBYs a year for 3 years: 2 x 16,027.9132273436 x 2.89969427524563 = £92,952.10.
    r = _quiet(social_value, _three_years("wellby", 2), _own_measures())
    assert r.bids.iloc[0]["gross_social_value"] == pytest.approx(92_952.0964589240, abs=1e-6)


def test_golden_long_commitment_steps_down_to_three_per_cent_after_year_30():
    # Green Book: the factor for year 31 is the factor for year 30 divided by 1.030.
    # 1/1.035^30 = 0.356278410602302; / 1.03 = 0.345901369516798 (30-digit decimals).
    bids = _three_years("apprenticeship", 1).iloc[:2].assign(year=[30, 31])
    r = _quiet(social_value, bids, _own_measures())
    assert r.by_year["discount_factor"].tolist() == pytest.approx(
        [0.356278410602302, 0.345901369516798], abs=1e-12
    )
    assert "3.00% a year up to year 75" in r.discounting


def test_a_contract_year_on_some_rows_only_is_refused_naming_the_row():
    bids = _three_years("apprenticeship", 5).astype({"year": object})
    bids.loc[1, "year"] = None
    with pytest.raises(DataError, match=r"row 1, column 'year': the value is empty"):
        _quiet(social_value, bids, _own_measures())


def test_proxies_used_carry_source_price_year_and_the_rebased_value():
    r = _quiet(social_value, _three_years("wellby", 1), _own_measures())
    (row,) = r.proxies.itertuples()
    assert (row.measure, row.price_year, row.proxy_value) == ("wellby", "2019", 13_000)
    assert row.source == "HM Treasury (2021) wellbeing guidance" and row.rebased
    assert row.proxy_rebased == pytest.approx(16_027.9132273436)
    d = _quiet(
        delivery_against_commitments,
        _delivery(measure=["apprenticeship"] * 3),
        _own_measures(),
    )
    (row,) = d.proxies.itertuples()
    assert row.proxy_rebased == 10_000 and not row.rebased  # already in 2024 prices


def test_a_proxy_in_the_report_price_year_needs_no_deflator():
    # The shipped deflator ends in 2024: a 2025 proxy reported in 2025 prices is used as given;
    # reported in 2024 prices it cannot be rebased, and the error names the measure.
    measures = _own_measures(price_year=["2025", "2019"])
    r = _quiet(social_value, _three_years("apprenticeship", 1), measures, price_year=2025)
    assert r.proxies.iloc[0]["proxy_rebased"] == 10_000 and r.price_year == "2025"
    with pytest.raises(ParameterError, match=r"measure 'apprenticeship' \(proxy price year 2025\)"):
        _quiet(social_value, _three_years("apprenticeship", 1), measures, price_year=2024)


@pytest.mark.parametrize("column", ["price_year", "source"])
def test_a_proxy_without_price_year_or_source_is_a_one_line_error(tmp_path, column):
    measures = _own_measures()
    measures.loc[1, column] = ""
    path = tmp_path / "measures.csv"
    measures.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        check_measures(_file(path))
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and f"row 3, column '{column}'" in msg


def test_no_proprietary_proxy_set_is_shipped():
    # HACT values are CC BY-NC-ND and the National TOMs are licensed: accept them only as input.
    shipped = illustrative_measures()
    text = " ".join(shipped[["source", "licence", "notes"]].astype(str).to_numpy().ravel())
    assert not any(word in text for word in ("HACT", "TOMs", "WEMWBS", "Social Value Bank"))
