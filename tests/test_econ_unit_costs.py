"""Unit costs: the shipped table and the GMCA Unit Cost Database workbook reader."""

import openpyxl
import pandas as pd
import pytest

from evalkit.econ import read_gmca_unit_costs, rebase_unit_costs, unit_costs
from evalkit.econ.unit_costs import GMCA_SHEETS
from evalkit.exceptions import DataError, ParameterError


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
    assert list(table.columns) == [
        "sheet",
        "cost_code",
        "detail",
        "unit",
        "agency",
        "fiscal_value",
        "price_year",
    ]
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
