"""Reading workbooks: calamine and openpyxl give the same table; error cells and date cells with a
time of day are read as a person would read them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from evalkit.exceptions import DataError
from evalkit.intake import read_table, readers
from evalkit.intake.schemas import Column, validate_table

HEADER = ["Client Ref", "Support Start", "Score", "Housed", "Seen At", "Duration", 2024]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    """A provider-style export: a cover sheet, then a title row and a blank row above the header
    (row 3) on the 'Clients' sheet."""
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Housing advice: client extract"])
    sheet = book.create_sheet("Clients")
    sheet.append(["Client extract"])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for cell in sheet["B"][3:]:
        if isinstance(cell.value, dt.datetime) and cell.value.time() != dt.time():
            cell.number_format = "dd/mm/yyyy hh:mm"
    book.save(path)
    return path


ROWS = [
    ["C001", dt.date(2024, 1, 5), 12, True, dt.time(9, 30), dt.timedelta(hours=26), "x"],
    ["C002", dt.datetime(2024, 1, 6, 14, 30), 2.5, False, None, None, None],
    [None, None, None, None, None, None, None],  # a blank row: dropped, its number kept
    ["   ", None, None, None, None, None, None],  # spaces only: blank too
    ["C003", dt.datetime(2024, 1, 7), 0, "Yes", None, None, 1e-7],
    ["C004", "07/01/2024", -3.0, None, None, None, 12345678901234, "beyond the header"],
]


def test_calamine_and_openpyxl_read_the_same_table(tmp_path: Path, monkeypatch) -> None:
    path = _workbook(tmp_path / "export.xlsx", ROWS)
    expected = readers._read_workbook_openpyxl(path, "Clients", 3)

    def refuse(*args):  # read_table must not need openpyxl for this workbook
        raise AssertionError("read with openpyxl")

    monkeypatch.setattr(readers, "_read_workbook_openpyxl", refuse)
    df = read_table(path, sheet="Clients", header_row=3)
    pd.testing.assert_frame_equal(df, expected, check_exact=True)
    assert [type(v) for v in df.iloc[1]] == [type(v) for v in expected.iloc[1]]
    assert list(df.columns) == [str(h) for h in HEADER]
    assert list(df.index + df.attrs["first_row"]) == [4, 5, 8, 9]  # the rows a person sees
    first = ["C001", dt.date(2024, 1, 5), "12", "True", "09:30:00", "1 day, 2:00:00", "x"]
    assert df.loc[0].tolist() == first
    assert df.loc[1, "Support Start"] == dt.datetime(2024, 1, 6, 14, 30)  # the cell as it is
    assert df.loc[1, "Score"] == "2.5" and df.loc[1, "Seen At"] is None
    assert df.loc[4, "Support Start"] == dt.date(2024, 1, 7)  # a datetime at midnight: a date
    assert df.loc[5].tolist()[1:3] == ["07/01/2024", "-3"]
    assert read_table(path).columns.tolist() == ["Housing advice: client extract"]  # first sheet


def test_error_cells_keep_their_text_and_are_reported(tmp_path: Path) -> None:
    rows = [["C001", dt.date(2024, 1, 5), 12], ["C002", dt.date(2024, 1, 6), "#N/A"]]
    path = _workbook(tmp_path / "export.xlsx", [r + [None] * 4 for r in rows])
    assert readers._has_error_cells(path, "Clients")
    df = read_table(path, sheet="Clients", header_row=3)
    assert df.loc[1, "Score"] == "#N/A"  # calamine would read the error cell as empty
    with pytest.raises(DataError, match=r"row 5, column 'Score': value '#N/A' is not valid"):
        validate_table(df, [Column("Score", "number", nullable=True)], source="export.xlsx")


def test_a_date_cell_with_a_time_of_day_counts_as_its_date(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx", [r[:7] for r in ROWS[:2]])
    df = read_table(path, sheet="Clients", header_row=3)
    column = Column("Support Start", "date", date_format="dd/mm/yyyy")
    typed = validate_table(df, [column], source="export.xlsx")
    assert typed["Support Start"].tolist() == [pd.Timestamp(2024, 1, 5), pd.Timestamp(2024, 1, 6)]
    # so it falls inside a period that ends that day
    assert (typed["Support Start"] <= pd.Timestamp(2024, 1, 6)).all()


def test_without_calamine_openpyxl_reads_the_workbook_and_says_so(
    tmp_path: Path, monkeypatch
) -> None:
    path = _workbook(tmp_path / "export.xlsx", ROWS)
    fast = read_table(path, sheet="Clients", header_row=3)
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import now fails
    with pytest.warns(UserWarning, match="python-calamine is not installed.*pip install"):
        slow = read_table(path, sheet="Clients", header_row=3)
    pd.testing.assert_frame_equal(slow, fast, check_exact=True)


def test_damaged_workbook_and_missing_sheet_messages(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    with pytest.raises(DataError, match=r"broken.xlsx: cannot read the workbook .*expected an"):
        read_table(broken)
    path = _workbook(tmp_path / "export.xlsx", ROWS)
    with pytest.raises(DataError, match=r"no sheet named 'Data'; the workbook has 'Cover', 'Cl"):
        read_table(path, sheet="Data")
    with pytest.raises(DataError, match=r"sheet 'Clients', row 40: no header row"):
        read_table(path, sheet="Clients", header_row=40)
