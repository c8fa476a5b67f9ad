"""Unit costs: the shipped table and the GMCA Unit Cost Database workbook reader."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit.econ import read_gmca_unit_costs, rebase_unit_costs, unit_costs
from evalkit.econ.unit_costs import GMCA_SHEETS
from evalkit.exceptions import DataError, ParameterError

#: The columns read_gmca_unit_costs returns, in order (also for an empty sheet).
COLUMNS = ["sheet", "cost_code", "detail", "unit", "agency", "fiscal_value", "price_year"]


def test_shipped_table_has_sources_and_price_years():
    table = unit_costs()
    assert {"name", "agency", "unit", "amount", "price_year", "source"} <= set(table.columns)
    assert table["source"].notna().all()
    assert table.attrs["source"]["verified"] is False
    rows = table.set_index("name")
    # Published figures (README of reference facts, section 2):
    assert rows.loc["domestic abuse", "amount"] == 34015  # Home Office 2019, 2016/17 prices
    assert rows.loc["domestic abuse", "price_year"] == "2016/17"
    assert rows.loc["rough sleeping", "amount"] == 20128  # Crisis 2015, 2015/16 prices
    assert rows.loc["non-fatal child maltreatment", "amount"] == 89390  # Conti et al. 2021
    assert (
        rows.loc["GP consultation", "amount_low"],
        rows.loc["GP consultation", "amount_high"],
    ) == (
        42,
        49,
    )  # PSSRU 2023


def test_rebase_shipped_costs():
    table = unit_costs()
    dated = table[table["price_year"].notna()]
    out = rebase_unit_costs(dated, 2024, financial_year="start")
    rough = out.set_index("name").loc["rough sleeping", "amount"]
    assert rough == pytest.approx(20128 * 100 / 75.1536)  # D(2024) / D(2015)
    assert out.set_index("name").loc["GP consultation", "amount_high"] == pytest.approx(
        49 * 100 / 90.5005
    )
    with pytest.raises(ParameterError, match="'2016/17' is a financial year"):
        rebase_unit_costs(dated, 2024)
    with pytest.raises(DataError, match="has no price year"):
        rebase_unit_costs(table, 2024, financial_year="start")


def _workbook(path, *, bad_value=False):
    book = openpyxl.Workbook()
    book.remove(book.active)
    rows = {
        "Crime": [
            ("CR1.0", "Arrest", "per arrest", "Police", 750.5, "2010/11"),
            (
                "CR2.0",
                "Court appearance",
                "per case",
                "Criminal justice system",
                "£1,234",
                "2011/12",
            ),
        ],
        "Health": [("HE2.0", "A&E attendance", "per attendance", "NHS", 117, "2010/11")],
    }
    for sheet in GMCA_SHEETS:
        ws = book.create_sheet(sheet)
        ws.append(["Unit Cost Database v3.0 (test copy)"])
        ws.append([])
        ws.append(["Cost code", "Detail", "Unit", "Agency", "Fiscal value", "Price year"])
        ws.append(["", "Section heading without a code"])
        for r in rows.get(sheet, []):
            ws.append(list(r))
        if bad_value and sheet == "Health":
            ws.append(["HE3.0", "GP visit", "per visit", "NHS", "n/a", "2010/11"])
    book.save(path)


def test_read_gmca_layout(tmp_path):
    path = tmp_path / "ucd.xlsx"
    _workbook(path)
    table = read_gmca_unit_costs(path)
    assert list(table.columns) == COLUMNS
    assert table["cost_code"].tolist() == ["CR1.0", "CR2.0", "HE2.0"]
    assert table["fiscal_value"].tolist() == [750.5, 1234.0, 117.0]
    assert table["price_year"].tolist() == ["2010/11", "2011/12", "2010/11"]
    assert "CC BY 4.0" in table.attrs["source"]["licence"]
    rebased = rebase_unit_costs(
        table.rename(columns={"fiscal_value": "amount", "detail": "name"}),
        2024,
        financial_year="start",
    )
    assert rebased.loc[0, "amount"] == pytest.approx(750.5 * 100 / 69.1217)  # D(2010)


def test_read_gmca_bad_value_names_sheet_row_and_value(tmp_path):
    path = tmp_path / "ucd.xlsx"
    _workbook(path, bad_value=True)
    with pytest.raises(
        DataError, match=r"sheet 'Health', row 6, column 'fiscal value': value 'n/a'"
    ):
        read_gmca_unit_costs(path)


def test_read_gmca_wrong_layout(tmp_path):
    path = tmp_path / "other.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(path, sheet_name="Crime", index=False)
    with pytest.raises(DataError, match="sheet 'Crime': no header row with a cost code"):
        read_gmca_unit_costs(path)
    with pytest.raises(DataError, match=r"lacks sheet\(s\) \['Housing'\]"):
        read_gmca_unit_costs(path, sheets=("Housing",))
    with pytest.raises(DataError, match="cannot read unit cost workbook"):
        read_gmca_unit_costs(tmp_path / "missing.xlsx")


def _book(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for r in rows:
            ws.append(r)
    book.save(path)


HEADER = ["Cost code", "Detail", "Unit", "Agency", "Fiscal value", "Price year"]


def test_header_needs_both_a_cost_code_and_a_fiscal_value(tmp_path):
    # Rows naming only one of the two (notes above the table) are not the header; the first
    # data row right below the header is read; spacing and case of headers do not matter.
    path = tmp_path / "ucd.xlsx"
    rows = [
        ["Fiscal value notes"],
        ["Fiscal value"],
        ["Cost code"],
        ["COST  CODE", "Detail", "Unit", "Agency", "Fiscal   value", "Price year"],
        ["HO1.0", "Temporary accommodation", "per week", "Local authority", 250, "2012/13"],
    ]
    _book(path, {"Housing": rows})
    table = read_gmca_unit_costs(path)
    assert table.to_dict("list") == {
        "sheet": ["Housing"],
        "cost_code": ["HO1.0"],
        "detail": ["Temporary accommodation"],
        "unit": ["per week"],
        "agency": ["Local authority"],
        "fiscal_value": [250.0],
        "price_year": ["2012/13"],
    }
    assert table.attrs["source"] == {
        "source": f"GMCA Unit Cost Database layout, read from {path}",
        "licence": "CC BY 4.0 (GMCA / New Economy): attribute when publishing",
    }


def test_header_is_looked_for_in_the_first_twenty_rows_only(tmp_path):
    path = tmp_path / "ucd.xlsx"
    _book(path, {"Crime": [[f"note {i}"] for i in range(20)] + [HEADER]})  # header is row 21
    with pytest.raises(DataError) as err:
        read_gmca_unit_costs(path)
    assert str(err.value) == (
        f"{path}, sheet 'Crime': no header row with a cost code and a fiscal value column in the "
        "first 20 rows; expected the GMCA Unit Cost Database layout"
    )
    path = tmp_path / "ucd19.xlsx"
    _book(path, {"Crime": [[f"note {i}"] for i in range(19)] + [HEADER]})  # row 20: found
    assert read_gmca_unit_costs(path).empty


def test_an_empty_sheet_keeps_the_columns(tmp_path):
    path = tmp_path / "ucd.xlsx"
    _book(path, {"Health": [HEADER]})
    table = read_gmca_unit_costs(path)
    assert list(table.columns) == COLUMNS
    assert table.empty


def test_missing_column_and_sheet_messages(tmp_path):
    path = tmp_path / "ucd.xlsx"
    _book(path, {"Crime": [["Cost code", "Detail", "Unit", "Agency", "Fiscal value"]]})
    with pytest.raises(DataError) as err:
        read_gmca_unit_costs(path)
    assert str(err.value) == (
        f"{path}, sheet 'Crime', row 1: no column for price_year (expected a header such as "
        "'price year'); found ['cost code', 'detail', 'unit', 'agency', 'fiscal value']"
    )
    other = tmp_path / "other.xlsx"
    _book(other, {"Sheet A": [["x"]]})
    with pytest.raises(DataError) as err:
        read_gmca_unit_costs(other)
    assert str(err.value) == (
        f"{str(other)!r} lacks sheet(s) {list(GMCA_SHEETS)}; found ['Sheet A']"
    )
    with pytest.raises(
        DataError, match=rf"^cannot read unit cost workbook {str(tmp_path / 'no.xlsx')!r}: "
    ):
        read_gmca_unit_costs(tmp_path / "no.xlsx")


def test_money_values():
    from evalkit.econ.unit_costs import _money

    assert _money("£1,234.50", "here") == 1234.5
    assert _money(np.int64(7), "here") == 7.0
    with pytest.raises(DataError) as err:
        _money(float("nan"), "here")
    assert str(err.value) == "here: value nan is missing; expected a money amount"
    with pytest.raises(DataError) as err:
        _money("n/a", "here")
    assert str(err.value) == "here: value 'n/a' is not a money amount; expected e.g. 1234.56"


def test_rebased_table_records_its_new_price_base():
    table = pd.DataFrame(
        {
            "name": ["a", "b"],
            "amount": [100.0, np.nan],
            "price_year": ["2015/16", "2015"],
            "price_basis": ["as published", "as published"],
        }
    )
    out = rebase_unit_costs(table, 2024, financial_year="start")
    # D(2024) / D(2015) = 100 / 75.1536 for both (start rule); a missing amount stays missing
    assert out.loc[0, "amount"] == pytest.approx(100 * 100 / 75.1536)
    assert np.isnan(out.loc[1, "amount"])
    assert out["price_year"].tolist() == ["2024", "2024"]
    assert (
        out["price_basis"].tolist()
        == ["rebased with the GDP deflator (financial_year='start')"] * 2
    )
    plain = rebase_unit_costs(table.drop(columns="price_basis"), 2024, financial_year="start")
    assert "price_basis" not in plain.columns
    blank = table.assign(price_year=["2015", " "])
    with pytest.raises(DataError) as err:
        rebase_unit_costs(blank, 2024)
    assert str(err.value) == (
        "unit cost row 1 (b) has no price year; expected one such as 2019 or '2015/16' before "
        "rebasing"
    )


def test_shipped_price_years_are_text():
    assert unit_costs()["price_year"].dtype == "string"
