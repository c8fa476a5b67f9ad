"""Intake through the spec's mapping: any export's own columns, labels, dates and sheets.

A small programme of our own (not the demo): a provider's export with its own headers, dates
written dd/mm/yyyy, Yes/No outcomes, "Not known", district names instead of codes, a cover sheet
in the workbook, and personal columns the plan does not use.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from evalkit.config import CharacteristicSpec, load_spec
from evalkit.exceptions import ConfigError, DataError
from evalkit.intake import load_partition, prepare, read_table, validate_inputs
from evalkit.intake.schemas import Column, parse_dates, validate_table

HEADER = [
    "Client Ref",
    "District",
    "Date Referred",
    "Support Start",
    "Support End",
    "Gender",
    "Age",
    "Housed At Exit",
    "Arrears Start",
    "Arrears End",
    "Email",
    "Full Name",
]


def _rows() -> list[list[object]]:
    rows = []
    for i in range(40):
        district = ["Exeter", "East Devon"][i % 2]
        start = dt.date(2024, 1 + i % 12, 13 + i % 15)
        rows.append(
            [
                f"C{i:04d}",
                district,
                (start - dt.timedelta(days=10)).strftime("%d/%m/%Y"),
                start.strftime("%d/%m/%Y"),
                "" if i % 7 == 0 else (start + dt.timedelta(days=90)).strftime("%d/%m/%Y"),
                ["Woman", "Man", "Non-binary", "Prefer not to say"][i % 4],
                str(18 + i),
                ["Yes", "No", "Not known"][i % 3],
                f"£{100 + i * 10:,}",
                str(50 + i * 5),
                f"person{i}@example.org",
                f"Person {i}",
            ]
        )
    return rows


def _spec(data: str, **source: object) -> dict:
    return {
        "programme": "housing-advice",
        "title": "Housing advice",
        "reporting_period": {
            "label": "2024",
            "start": "2024-01-01",
            "end": "2024-12-31",
            "select": "started",
        },
        "localities": {"E07000041": "Exeter", "E07000040": "East Devon"},
        "sources": {
            "clients": {
                "kind": "people",
                "file": data,
                "date_format": "dd/mm/yyyy",
                "missing": ["", "Not known"],
                "recodes": {"Housed At Exit": {"Yes": 1, "No": 0}},
                "columns": {
                    "person_id": "Client Ref",
                    "locality": "District",
                    "referral_date": "Date Referred",
                    "start_date": "Support Start",
                    "end_date": "Support End",
                },
                **source,
            }
        },
        "characteristics": [
            {
                "name": "Gender",
                "column": "Gender",
                "categories": ["Woman", "Man", "Non-binary", "Prefer not to say"],
            },
            {"name": "Age", "column": "Age", "bands": [25, 35, 50]},
        ],
        "outcomes": [
            {
                "name": "Housed at exit",
                "definition": "Clients in settled housing when support ended",
                "kind": "binary",
                "after": "Housed At Exit",
                "target": 0.6,
            },
            {
                "name": "Rent arrears",
                "definition": "Rent arrears in pounds",
                "kind": "money",
                "before": "Arrears Start",
                "after": "Arrears End",
                "polarity": "lower_is_better",
            },
        ],
    }


def _project(tmp_path: Path, rows=None, header=HEADER, *, workbook: bool = False, **source):
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rows = _rows() if rows is None else rows
    if workbook:
        book = Workbook()
        cover = book.active
        cover.title = "Cover"
        cover.append(["Housing advice: client extract"])
        cover.append(["Produced for the commissioner. Do not circulate."])
        sheet = book.create_sheet("Clients")
        sheet.append(["Client extract"])
        sheet.append(["Extracted 05/04/2025"])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        path = raw / "export.xlsx"
        book.save(path)
        source = {"sheet": "Clients", "header_row": 3, **source}
    else:
        path = raw / "export.csv"
        pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    spec_path = raw / "housing-advice.yaml"
    spec_path.write_text(
        yaml.safe_dump(_spec(str(path.relative_to(tmp_path)), **source), sort_keys=False)
    )
    return spec_path


def test_an_export_with_its_own_headers_labels_and_uk_dates_gets_in(tmp_path: Path) -> None:
    spec = load_spec(_project(tmp_path))
    prepare(spec)
    part = load_partition(spec, "clients", "E07000041")
    assert len(part) == 20 and (part["locality_code"] == "E07000041").all()
    # roles renamed, the plan's columns kept under the user's names, nothing else
    assert set(part.columns) == {
        "locality_code",
        "person_id",
        "group",
        "referral_date",
        "start_date",
        "end_date",
        "Gender",
        "Age",
        "Housed At Exit",
        "Arrears Start",
        "Arrears End",
    }
    assert part["person_id"].str.startswith("p-").all()  # pseudonymised
    assert (part["group"] == "participant").all()  # no group role: everyone was served
    first = part.iloc[0]
    assert first["start_date"] == pd.Timestamp(2024, 1, 13)  # 13/01/2024, read as dd/mm
    assert set(part["Housed At Exit"].dropna()) <= {0, 1}
    assert part["Housed At Exit"].isna().any()  # "Not known" is missing, not a third value
    assert part["Arrears Start"].iloc[0] == 100  # "£100" read as a number
    assert set(part["Age"].dropna()) <= {"under 25", "25-34", "35-49", "50 and over"}


def test_unmapped_personal_columns_never_reach_the_processed_data(tmp_path: Path) -> None:
    spec = load_spec(_project(tmp_path))
    prepare(spec)
    for parquet in spec.processed_folder.rglob("*.parquet"):
        text = parquet.read_bytes()
        assert b"example.org" not in text and b"Person 1" not in text and b"C0001" not in text


def test_a_workbook_with_a_cover_sheet_and_title_rows(tmp_path: Path) -> None:
    spec = load_spec(_project(tmp_path, workbook=True))
    assert validate_inputs(spec)["clients"].rows == 40


def test_real_excel_date_cells_are_accepted_whatever_the_format(tmp_path: Path) -> None:
    rows = _rows()
    for row in rows:
        row[3] = dt.datetime.strptime(str(row[3]), "%d/%m/%Y")  # a real date cell
    spec = load_spec(_project(tmp_path, rows, workbook=True))
    prepare(spec)
    part = load_partition(spec, "clients", "E07000041")
    assert part["start_date"].min() == pd.Timestamp(2024, 1, 13)


def test_errors_name_the_sheet_row_and_the_spec_field(tmp_path: Path) -> None:
    rows = _rows()
    rows[4][3] = "2024-03-31"  # ISO in a dd/mm/yyyy column
    spec = load_spec(_project(tmp_path, rows, workbook=True))
    with pytest.raises(DataError) as err:
        validate_inputs(spec)
    message = str(err.value)
    assert "export.xlsx (sheet 'Clients'), row 8, column 'Support Start'" in message
    assert "'2024-03-31'" in message and "a date written as dd/mm/yyyy" in message
    assert "sources.clients.date_format" in message


def test_a_date_that_could_be_read_two_ways_is_never_guessed(tmp_path: Path) -> None:
    rows = _rows()
    rows[0][3] = "03/04/2024"
    spec = load_spec(_project(tmp_path, rows))
    prepare(spec)
    part = load_partition(spec, "clients", "E07000041")
    assert pd.Timestamp(2024, 4, 3) in set(part["start_date"])  # as declared: 3 April
    mm_dd = _spec("data/raw/export.csv")
    mm_dd["sources"]["clients"]["date_format"] = "mm/dd/yyyy"
    (tmp_path / "data/raw/housing-advice.yaml").write_text(yaml.safe_dump(mm_dd))
    with pytest.raises(
        DataError, match=r"value '\d\d/\d\d/2024' is not valid; expected a date written as mm/dd"
    ):
        validate_inputs(load_spec(tmp_path / "data/raw/housing-advice.yaml"))


def test_a_label_no_recode_covers_is_refused(tmp_path: Path) -> None:
    rows = _rows()
    rows[5][7] = "Maybe"
    spec = load_spec(_project(tmp_path, rows))
    with pytest.raises(DataError) as err:
        validate_inputs(spec)
    message = str(err.value)
    assert "row 7, column 'Housed At Exit': value 'Maybe'" in message
    assert "sources.clients.recodes.Housed At Exit" in message and "'Yes', 'No'" in message


def test_an_outcome_whose_kind_does_not_fit_its_values(tmp_path: Path) -> None:
    raw = _spec("data/raw/export.csv")
    raw["sources"]["clients"]["recodes"] = {"Housed At Exit": {"Yes": 1, "No": 2}}
    spec_path = _project(tmp_path)
    spec_path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        DataError, match=r"column 'Housed At Exit': value 'No' .recoded to 2. is not valid"
    ):
        validate_inputs(load_spec(spec_path))


def test_a_mapped_column_missing_from_the_file_names_the_spec_field(tmp_path: Path) -> None:
    header = [h if h != "Support Start" else "Start" for h in HEADER]
    spec = load_spec(_project(tmp_path, header=header))
    with pytest.raises(DataError) as err:
        validate_inputs(spec)
    message = str(err.value)
    assert (
        "column 'Support Start' named in spec field sources.clients.columns.start_date" in message
    )
    assert "the file has: Client Ref, District" in message


def test_a_locality_the_plan_does_not_know(tmp_path: Path) -> None:
    rows = _rows()
    rows[2][1] = "Torridge"
    spec = load_spec(_project(tmp_path, rows))
    with pytest.raises(DataError, match=r"row 4, column 'District': value 'Torridge' is not a "):
        validate_inputs(spec)


def test_a_design_that_needs_a_role_the_data_lack(tmp_path: Path) -> None:
    raw = _spec("data/raw/export.csv")
    raw["designs"] = {"comparison_group": True}
    spec_path = _project(tmp_path)
    spec_path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as err:
        load_spec(spec_path)
    assert "designs.comparison_group" in str(err.value) and "'group'" in str(err.value)


def test_yes_and_no_are_labels_not_booleans_in_a_spec(tmp_path: Path) -> None:
    spec_path = _project(tmp_path)
    text = spec_path.read_text().replace("'Yes': 1", "Yes: 1").replace("'No': 0", "No: 0")
    spec_path.write_text(text)
    assert load_spec(spec_path).sources["clients"].recodes["Housed At Exit"] == {"Yes": 1, "No": 0}


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    spec_path = _project(tmp_path)
    spec_path.write_text(spec_path.read_text() + "title: Another\n")
    with pytest.raises(ConfigError, match=r"key 'title' is given twice"):
        load_spec(spec_path)


def test_the_period_selects_people_by_when_they_started(tmp_path: Path) -> None:
    raw = _spec("data/raw/export.csv")
    raw["reporting_period"] = {"label": "Q1", "start": "2024-01-01", "end": "2024-03-31"}
    spec_path = _project(tmp_path)
    spec_path.write_text(yaml.safe_dump(raw))
    spec = load_spec(spec_path)
    prepare(spec)
    people = pd.concat([load_partition(spec, "clients", c) for c in spec.localities])
    assert people["start_date"].between("2024-01-01", "2024-03-31").all()
    assert len(people) == 12  # rows 0-2, 12-14, 24-26 and 36-38 start in January to March
    assert "started support between 1 January 2024 and 31 March 2024" in (
        spec.reporting_period.describe()
    )


def test_custom_areas_and_district_codes_take_names_from_the_spec(tmp_path: Path) -> None:
    raw = _spec("data/raw/export.csv")
    raw["localities"] = {"north-team": "Exeter", "E07000040": "East Devon"}
    spec_path = _project(tmp_path)
    spec_path.write_text(yaml.safe_dump(raw))
    spec = load_spec(spec_path)
    assert spec.locality_name("north-team") == "Exeter"
    raw["localities"] = {"E07000041": None, "E07000040": "East Devon"}
    spec_path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"localities.E07000041: ONS code .* give its name"):
        load_spec(spec_path)


# -- properties of the one validator --------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)))
def test_a_declared_format_reads_back_exactly_what_was_written(day: dt.date) -> None:
    for fmt, pattern in (("dd/mm/yyyy", "%d/%m/%Y"), ("yyyy-mm-dd", "%Y-%m-%d")):
        parsed = parse_dates(pd.Series([day.strftime(pattern)]), fmt)
        assert parsed.iloc[0] == pd.Timestamp(day)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(2000, 1, 13), max_value=dt.date(2040, 12, 31)))
def test_a_day_after_the_twelfth_never_fits_the_other_order(day: dt.date) -> None:
    if day.day <= 12:
        return
    written = day.strftime("%d/%m/%Y")
    assert pd.isna(parse_dates(pd.Series([written]), "mm/dd/yyyy").iloc[0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=50),
    st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=5, unique=True),
)
def test_every_number_falls_in_exactly_one_band(ages: list[int], cuts: list[int]) -> None:
    from evalkit.intake.mapping import band

    c = CharacteristicSpec(name="Age", column="Age", bands=sorted(cuts))
    labels = c.band_labels()
    banded = band(pd.Series(ages, dtype=float), c)
    assert banded.isin(labels).all()
    for age, label in zip(ages, banded, strict=True):
        index = labels.index(label)
        low = -1 if index == 0 else sorted(cuts)[index - 1]
        high = 10**9 if index == len(labels) - 1 else sorted(cuts)[index]
        assert low <= age < high


def test_read_table_keeps_the_row_numbers_a_person_sees(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("title line\na,b\n1,2\n\n3,x\n")
    df = read_table(path, header_row=2)
    with pytest.raises(DataError, match=r"x.csv, row 5, column 'b': value 'x'"):
        validate_table(df, [Column("a", "integer"), Column("b", "integer")], source=str(path))


def test_a_service_in_one_area_names_its_locality_once(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "District"]
    rows = [[v for h, v in zip(HEADER, row, strict=True) if h != "District"] for row in _rows()]
    raw = _spec("data/raw/export.csv")
    raw["localities"] = {"E07000041": "Exeter"}
    del raw["sources"]["clients"]["columns"]["locality"]
    raw["sources"]["clients"]["locality"] = "E07000041"
    spec_path = _project(tmp_path, rows, header)
    spec_path.write_text(yaml.safe_dump(raw))
    spec = load_spec(spec_path)
    prepare(spec)
    assert len(load_partition(spec, "clients", "E07000041")) == 40
    raw["sources"]["clients"]["locality"] = "E07000099"
    spec_path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"sources.clients.locality: 'E07000099' is not a"):
        load_spec(spec_path)


def test_excluded_rows_such_as_a_totals_row_are_left_out_and_counted(tmp_path: Path) -> None:
    rows = [*_rows(), ["TOTAL", "", "", "", "", "", "", "", "", "", "", ""]]
    raw = _spec("data/raw/export.csv")
    raw["sources"]["clients"]["exclude"] = {"Client Ref": ["Total"]}
    spec_path = _project(tmp_path, rows)
    spec_path.write_text(yaml.safe_dump(raw))
    check = validate_inputs(load_spec(spec_path))["clients"]
    assert check.rows == 40 and check.excluded == 1
    assert "1 left out by exclude" in check.describe()


def test_one_row_per_person_and_support_ends_after_it_starts(tmp_path: Path) -> None:
    rows = _rows()
    rows[9][0] = rows[3][0]  # a re-referral under the same identifier
    with pytest.raises(DataError, match=r"column 'Client Ref': 'C0003' is on rows 5, 11"):
        validate_inputs(load_spec(_project(tmp_path, rows)))
    rows = _rows()
    rows[1][4] = "01/01/2020"
    with pytest.raises(
        DataError, match=r"row 3, column 'Support End': support ended on 01/01/2020"
    ):
        validate_inputs(load_spec(_project(tmp_path, rows)))


def test_records_outside_the_period_are_counted_not_lost_silently(tmp_path: Path) -> None:
    rows = _rows()
    rows[0][3] = "13/01/2052"  # a typo
    rows[0][4] = ""
    check = validate_inputs(load_spec(_project(tmp_path, rows)))["clients"]
    assert check.rows == 39 and check.outside_period == 1
    assert "1 outside the reporting period" in check.describe()


def test_financial_years_as_providers_write_them():
    # A user trial's costs sheet gave quarters ("2023/24 Q1"), silently read as the year; they
    # now count towards their year by rule, and anything that is not a financial year is refused.
    df = pd.DataFrame(
        {"Year": ["2024/25", "2024-25", "2024/2025", "FY2024/25", "2023/24 Q1", "Q4 2023/24"]}
    )
    out = validate_table(df, [Column("Year", "financial_year")], source="costs.csv")
    assert out["Year"].tolist() == ["2024/25"] * 4 + ["2023/24"] * 2


@pytest.mark.parametrize(
    "bad",
    [
        "2024",  # calendar year or the year starting in it? never guessed
        "2024/26",  # the second year must follow the first
        "24/25",
        "April 2024",
    ],
)
def test_other_years_are_refused_naming_row_and_column(bad):
    df = pd.DataFrame({"Year": ["2024/25", bad]})
    with pytest.raises(DataError) as caught:
        validate_table(df, [Column("Year", "financial_year")], source="costs.csv", row_offset=2)
    assert str(caught.value) == (
        f"costs.csv, row 3, column 'Year': value {bad!r} is not valid; expected a financial "
        "year written 2024/25 (a quarter after it, such as 2024/25 Q1, counts towards that year)"
    )
