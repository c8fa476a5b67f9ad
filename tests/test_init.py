"""evalkit init: a commented draft programme spec from a user's own export.

Real files in tmp_path (CSV and XLSX of different shapes), the command run in a subprocess, the
draft's guesses checked, the edits it asks for applied, and the result accepted by load_spec and
by ``evalkit validate`` (the spec and its data through intake).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from evalkit.config import DATE_FORMATS, load_spec
from evalkit.exceptions import ConfigError
from evalkit.intake.draft import (
    Survey,
    choose_sheet,
    find_footer_rows,
    find_header_row,
    guess_date_format,
    profile_column,
    propose,
    render,
    survey,
    words,
)

EVALKIT = [sys.executable, "-m", "evalkit.cli"]
ROWS = 40


def init(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``evalkit init ARGS`` in a subprocess, as a user would."""
    return evalkit("init", *args, cwd=cwd)


def validated(spec: str, cwd: Path) -> str:
    """``evalkit validate SPEC`` (the spec and its data through intake) passes; its output."""
    done = evalkit("validate", spec, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert f"people: {ROWS} rows OK" in done.stdout
    return done.stdout


def evalkit(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALKIT, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=120,
    )


def answer(text: str, **answers: str) -> str:
    """Answer the DECIDE lines of a draft (``key: DECIDE``) and write real definitions."""
    for key, value in answers.items():
        text, n = re.subn(rf"(?m)^(\s*){key}: DECIDE\b.*$", rf"\g<1>{key}: {value}", text)
        assert n == 1, key
    return re.sub(
        r"(?m)^(\s*definition: ).*$",
        r"\g<1>People whose housing was stable when support ended, as the key worker recorded",
        text,
    )


def draft_of(path: Path) -> tuple[str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line and not line.startswith("#")]


#: Lines of a draft that are not guesses (the spec's fixed parts and what the user gave).
FIXED = re.compile(
    r"^\s*(kind: people|file: |select: started|before_after: true|comparison_group: false|"
    r"column: |unit: |policy: nhs|date_format: yyyy-mm-dd +# the dates are workbook date cells|"
    r"(sheet|header_row): .*# as given)"
)


def unmarked(text: str) -> list[str]:
    """Lines of a draft holding a value but neither marked CHECK or DECIDE nor fixed."""
    body = text[text.index("\nprogramme:") :]
    return [
        line
        for line in body.splitlines()
        if line.strip()
        and not line.lstrip().startswith("#")
        and not re.match(r"^\s*(- )?[\w ]+:\s*(#.*)?$", line)  # a key with no value
        and "# CHECK" not in line
        and "# DECIDE" not in line
        and not FIXED.match(line)
    ]


def strings_in(value: Any) -> set[str]:
    """Every string key and value in a parsed YAML document."""
    if isinstance(value, dict):
        return {str(k) for k in value} | {s for v in value.values() for s in strings_in(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings_in(v)}
    return {value} if isinstance(value, str) else set()


# -- the exports --------------------------------------------------------------------------------


def csv_export(path: Path) -> Path:
    """(1) A CSV with ISO dates, Y/N, ONS codes and a comparison group."""
    rng = random.Random(1)
    rows = []
    for i in range(ROWS):
        start = dt.date(2023, 4, 3) + dt.timedelta(days=rng.randint(0, 700))
        rows.append(
            {
                "person_id": f"P{i:04d}",
                "family_id": f"F{i // 2:03d}",
                "locality_code": ["E08000012", "E08000011", "E08000014"][i % 3],
                "group": ["participant", "comparison"][i % 2],
                "referral_date": (start - dt.timedelta(days=10)).isoformat(),
                "start_date": start.isoformat(),
                "end_date": "" if i % 5 == 0 else (start + dt.timedelta(days=90)).isoformat(),
                "sex": ["Female", "Male"][i % 2],
                "age": str(rng.randint(16, 80)),
                "stable_housing_before": rng.choice(["Y", "N"]),
                "stable_housing_after": rng.choice(["Y", "N", ""]),
                "wellbeing_start": str(rng.randint(7, 35)),
                "wellbeing_end": str(rng.randint(7, 35)),
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


GENDERS = ["Female", "Male", "Non-binary", "Prefer not to say"]
DISTRICTS = ["Exeter", "Mid Devon", "Torridge", "Teignbridge"]


def cover_and_clients_workbook(path: Path) -> Path:
    """(2) A cover sheet, then 'Clients' with two title rows above the header and text dates."""
    rng = random.Random(2)
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover["A1"] = "Devon Housing Support: client export"
    cover["A2"] = "Produced 01/04/2025"
    cover["A4"] = "Contains personal data: handle under the data sharing agreement"
    sheet = book.create_sheet("Clients")
    sheet["A1"] = "Client list"
    sheet["A2"] = "Run on 01/04/2025"
    header = [
        "Client ID",
        "Referral Date",
        "Start Date",
        "Closed Date",
        "District",
        "Gender",
        "Age",
        "Secured housing",
        "Sustained tenancy",
        "Notes",
        "Email",
    ]
    sheet.append(header)
    for i in range(ROWS):
        start = dt.date(2023, 4, 13) + dt.timedelta(days=rng.randint(0, 600))
        sheet.append(
            [
                f"C{1000 + i}",
                (start - dt.timedelta(days=7)).strftime("%d/%m/%Y"),
                start.strftime("%d/%m/%Y"),
                None if i % 4 == 0 else (start + dt.timedelta(days=120)).strftime("%d/%m/%Y"),
                DISTRICTS[i % 4],
                GENDERS[i % 4],
                rng.randint(18, 70),
                ["Yes", "No", "Not known"][i % 3],
                ["Yes", "No", "N/A"][i % 3],
                f"Seen at home on visit {i}; engaged well with the plan and agreed next steps",
                f"client{i}@example.org",
            ]
        )
    assert sheet.cell(row=3, column=1).value == "Client ID"  # two title rows above
    book.save(path)
    return path


def real_dates_workbook(path: Path) -> Path:
    """(3) Real Excel date cells and headers that differ again."""
    rng = random.Random(3)
    book = Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(
        [
            "Case Ref",
            "Date Opened",
            "Date Closed",
            "Area Team",
            "Service status",
            "Ethnicity",
            "Employed at start",
            "Employed at end",
        ]
    )
    for i in range(ROWS):
        opened = dt.datetime(2024, 1, 2) + dt.timedelta(days=rng.randint(0, 400))
        sheet.append(
            [
                f"CR-{5000 + i}",
                opened,
                None if i % 3 == 0 else opened + dt.timedelta(days=60),
                ["North Team", "South Team", "East Team"][i % 3],
                ["Supported", "Waiting list"][i % 2],
                ["White", "Asian", "Black", "Mixed", "Other"][i % 5],
                rng.choice(["Yes", "No"]),
                rng.choice(["Yes", "No"]),
            ]
        )
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "dd/mm/yyyy"
    book.save(path)
    return path


#: Both parts at most 12: 01/02/2024 is 1 February or 2 January. The period differs too.
AMBIGUOUS = ["01/02/2024", "12/11/2024", "03/04/2024", "05/06/2024", "10/10/2024"]


def ambiguous_csv(path: Path) -> Path:
    """(4) A CSV whose dates could be day-first or month-first."""
    rows = [
        {
            "Ref": f"R{i}",
            "Team": ["Hub A", "Hub B"][i % 2],
            "Start": AMBIGUOUS[i % len(AMBIGUOUS)],
            "Outcome achieved": ["Yes", "No"][i % 2],
        }
        for i in range(ROWS)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# -- the four exports through the command ---------------------------------------------------------


def test_csv_with_iso_dates_and_y_n(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    data = csv_export(tmp_path / "exports" / "family_support.csv")
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "header row 1" in done.stdout
    assert re.search(r"start_date\s+date \(yyyy-mm-dd\)\s+-> start_date", done.stdout)
    assert "next: edit the CHECK/DECIDE lines, then: evalkit validate spec.yaml" in done.stdout

    text, raw = draft_of(tmp_path / "spec.yaml")
    assert "DECIDE" not in text.split("\nprogramme:")[1]
    assert raw["programme"] == "family-support"
    people = raw["sources"]["people"]
    assert people["file"] == "exports/family_support.csv"
    assert people["date_format"] == "yyyy-mm-dd"
    assert people["columns"] == {
        "person_id": "person_id",
        "household_id": "family_id",
        "locality": "locality_code",
        "group": "group",
        "referral_date": "referral_date",
        "start_date": "start_date",
        "end_date": "end_date",
    }
    assert people["groups"] == {"participant": ["participant"], "comparison": ["comparison"]}
    assert people["recodes"]["stable_housing_after"] == {"Y": 1, "N": 0}
    assert raw["localities"] == {
        "E08000011": "Knowsley",
        "E08000012": "Liverpool",
        "E08000014": "Sefton",
    }
    housing, wellbeing = raw["outcomes"]
    assert housing["kind"] == "binary" and housing["before"] == "stable_housing_before"
    assert housing["after"] == "stable_housing_after"
    assert wellbeing["kind"] == "scale" and wellbeing["range"] == [7, 35]
    assert raw["designs"] == {"before_after": True, "comparison_group": True}
    assert raw["reporting_period"]["select"] == "started"
    assert raw["characteristics"][1] == {
        "name": "Age",
        "column": "age",
        "bands": [18, 25, 35, 50, 65],
    }
    for line in lines_with(text, "_date: ") + lines_with(text, "_id: "):
        assert "# CHECK:" in line, line

    assert unmarked(text) == []
    (tmp_path / "spec.yaml").write_text(answer(text))
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.people.column("household_id") == "family_id"
    assert spec.data_files()["people"] == (tmp_path / "exports" / "family_support.csv")
    assert spec.designs.comparison_group
    validated("spec.yaml", tmp_path)


def test_workbook_with_cover_sheet_title_rows_and_personal_data(tmp_path: Path) -> None:
    data = cover_and_clients_workbook(tmp_path / "Client export.xlsx")
    done = init(data, "--output", "housing.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sheet 'Clients'" in done.stdout and "'Cover'" in done.stdout
    assert "header row 3" in done.stdout

    text, raw = draft_of(tmp_path / "housing.yaml")
    people = raw["sources"]["people"]
    assert people["sheet"] == "Clients" and people["header_row"] == 3
    assert re.search(r"sheet: Clients\s+# CHECK: picked: the sheet with the most data", text)
    assert people["date_format"] == "dd/mm/yyyy"
    assert set(people["missing"]) == {"", "Not known", "N/A"}
    assert people["columns"] == {
        "person_id": "Client ID",
        "locality": "District",
        "referral_date": "Referral Date",
        "start_date": "Start Date",
        "end_date": "Closed Date",
    }
    assert people["recodes"] == {
        "Secured housing": {"Yes": 1, "No": 0},
        "Sustained tenancy": {"Yes": 1, "No": 0},
    }
    assert raw["localities"] == {
        "exeter": "Exeter",
        "mid-devon": "Mid Devon",
        "teignbridge": "Teignbridge",
        "torridge": "Torridge",
    }
    gender, age = raw["characteristics"]
    assert sorted(gender["categories"]) == sorted(GENDERS)  # "Prefer not to say" is an answer
    assert age == {"name": "Age", "column": "Age", "bands": [25, 35, 50, 65]}
    assert [o["after"] for o in raw["outcomes"]] == ["Secured housing", "Sustained tenancy"]
    assert all(o["kind"] == "binary" and "before" not in o for o in raw["outcomes"])
    assert raw["designs"]["comparison_group"] is False
    # Free text and personal data are listed as not carried, never mapped.
    listed = text.split("Not carried into evalkit")[1].split("\nprogramme:")[0]
    assert "Notes (free text that may hold personal details)" in listed
    assert "Email (personal contact details: email addresses)" in listed
    assert not {"Notes", "Email"} & strings_in(raw)
    assert "not carried (personal contact details: email addresses)" in done.stdout

    assert unmarked(text) == []
    (tmp_path / "housing.yaml").write_text(answer(text))
    spec = load_spec(tmp_path / "housing.yaml")
    assert spec.people.sheet == "Clients" and spec.people.header_row == 3
    assert spec.localities["mid-devon"] == "Mid Devon"
    validated("housing.yaml", tmp_path)


def test_workbook_with_real_date_cells_and_other_headers(tmp_path: Path) -> None:
    data = real_dates_workbook(tmp_path / "cases.xlsx")
    done = init(data, cwd=tmp_path)  # default output: the file's name as a .yaml, here
    assert done.returncode == 0, done.stderr
    text, raw = draft_of(tmp_path / "cases.yaml")
    people = raw["sources"]["people"]
    assert people["sheet"] == "Cases" and "header_row" not in people
    assert people["columns"] == {
        "person_id": "Case Ref",
        "locality": "Area Team",
        "group": "Service status",
        "start_date": "Date Opened",
        "end_date": "Date Closed",
    }
    assert "workbook date cells" in text
    assert people["groups"] == {"participant": ["Supported"], "comparison": ["Waiting list"]}
    assert raw["localities"] == {
        "east-team": "East Team",
        "north-team": "North Team",
        "south-team": "South Team",
    }
    period = raw["reporting_period"]
    assert period["start"].day == 1 and period["start"] <= dt.date(2024, 1, 31)
    assert period["label"].startswith("January 2024 to ")
    (employed,) = raw["outcomes"]
    assert employed["name"] == "Employed"
    assert (employed["before"], employed["after"]) == ("Employed at start", "Employed at end")
    assert raw["designs"]["comparison_group"] is True
    assert raw["characteristics"] == [
        {
            "name": "Ethnicity",
            "column": "Ethnicity",
            "categories": ["Asian", "Black", "Mixed", "Other", "White"],
        }
    ]

    assert unmarked(text) == []
    (tmp_path / "cases.yaml").write_text(answer(text))
    spec = load_spec(tmp_path / "cases.yaml")
    assert spec.people.groups["comparison"] == ["Waiting list"]
    validated("cases.yaml", tmp_path)


def test_ambiguous_dates_are_left_to_decide_and_refused_until_decided(tmp_path: Path) -> None:
    data = ambiguous_csv(tmp_path / "export.csv")
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "format to decide" in done.stdout
    text, raw = draft_of(tmp_path / "spec.yaml")
    assert raw["sources"]["people"]["date_format"] == "DECIDE"
    line = lines_with(text, "date_format:")[0]
    assert "# DECIDE: dd/mm/yyyy or mm/dd/yyyy? values such as" in line
    assert "could be either" in line
    # 01/02/2024 .. 12/11/2024 is February to November day-first, January to December otherwise.
    assert raw["reporting_period"]["start"] == "DECIDE"
    assert "with dd/mm/yyyy: February 2024 to November 2024" in text
    assert "with mm/dd/yyyy: January 2024 to December 2024" in text

    assert unmarked(text) == []
    # load_spec lists every decision still to make, in one line.
    with pytest.raises(
        ConfigError,
        match=r"decision\(s\) still to make: .*reporting_period.start, reporting_period.end, "
        r"sources.people.date_format; edit the lines marked DECIDE",
    ):
        load_spec(tmp_path / "spec.yaml")
    refused = evalkit("validate", "spec.yaml", cwd=tmp_path)
    assert refused.returncode == 2 and "still to make" in refused.stderr
    period_only = answer(text, label="Year to November", start="2024-02-01", end="2024-11-30")
    (tmp_path / "spec.yaml").write_text(period_only)
    with pytest.raises(
        ConfigError, match=r"1 decision\(s\) still to make: sources.people.date_format"
    ):
        load_spec(tmp_path / "spec.yaml")
    decided = answer(
        text,
        date_format="dd/mm/yyyy",
        label="February to November 2024",
        start="2024-02-01",
        end="2024-11-30",
    )
    assert "DECIDE" not in strings_in(yaml.safe_load(decided))
    (tmp_path / "spec.yaml").write_text(decided)
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.people.date_format == "dd/mm/yyyy"
    assert spec.reporting_period.end == dt.date(2024, 11, 30)
    validated("spec.yaml", tmp_path)


def test_deciding_the_date_format_on_the_command_line_fills_in_the_period(
    tmp_path: Path,
) -> None:
    data = ambiguous_csv(tmp_path / "export.csv")
    assert init(data, "--output", "spec.yaml", cwd=tmp_path).returncode == 0
    done = init(
        data, "--output", "spec.yaml", "--date-format", "mm/dd/yyyy", "--force", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    text, raw = draft_of(tmp_path / "spec.yaml")
    assert "# DECIDE" not in text
    assert raw["reporting_period"]["start"] == dt.date(2024, 1, 1)
    assert raw["reporting_period"]["end"] == dt.date(2024, 12, 31)
    (tmp_path / "spec.yaml").write_text(answer(text))
    assert load_spec(tmp_path / "spec.yaml").people.date_format == "mm/dd/yyyy"
    validated("spec.yaml", tmp_path)


# -- other shapes and the command's behaviour ------------------------------------------------------


def test_csv_title_rows_special_names_and_no_start_date(tmp_path: Path) -> None:
    """Title lines above the header; names YAML would misread; a required role left to decide."""
    lines = ["Weekly export", "Produced 2025-04-01", ""]
    header = "Client ref,On,Locality,Housed: yes/no #1,Null"
    body = [f"X{i},Yes,Leeds,{'Y' if i % 2 else 'N'},{i % 3}" for i in range(12)]
    path = tmp_path / "weekly.csv"
    path.write_text("\n".join([*lines, header, *body]) + "\n", encoding="utf-8")
    done = init(path, "--output", "weekly.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "header row 4" in done.stdout
    text, raw = draft_of(tmp_path / "weekly.yaml")
    people = raw["sources"]["people"]
    assert people["header_row"] == 4
    assert people["columns"]["person_id"] == "Client ref"
    assert raw["localities"] == {"E08000035": "Leeds"}  # a known name gets its ONS code
    assert people["recodes"] == {"On": {"Yes": 1, "No": 0}, "Housed: yes/no #1": {"Y": 1, "N": 0}}
    assert [o["after"] for o in raw["outcomes"]] == ["On", "Housed: yes/no #1"]
    assert "# DECIDE: start_date: <the column holding the date support started>" in text
    assert unmarked(text) == []
    assert raw["reporting_period"]["start"] == "DECIDE"  # no start dates, no period
    (tmp_path / "weekly.yaml").write_text(
        answer(text, label="April 2025", start="2025-04-01", end="2025-04-30")
    )
    with pytest.raises(ConfigError, match=r"role 'start_date'.*is required"):
        load_spec(tmp_path / "weekly.yaml")


def test_a_yes_no_column_named_like_a_group_is_the_group(tmp_path: Path) -> None:
    path = tmp_path / "served.csv"
    rows = [
        {"ID": f"A{i}", "Start": f"2024-0{1 + i % 9}-1{i % 10}", "Area": "North", "Served": s}
        for i, s in enumerate(["Yes", "No"] * 6)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    found = survey(path)
    proposal = propose(found, spec_path=tmp_path / "spec.yaml")
    assert proposal.roles["group"] == "Served" and not proposal.outcomes
    assert proposal.groups == {"participant": ["Yes"], "comparison": ["No"]}
    text = render(proposal, found)
    assert "  groups: {participant: ['Yes'], comparison: ['No']}" in text
    assert unmarked(text) == []


def test_one_date_format_per_file_and_values_that_are_not_dates(tmp_path: Path) -> None:
    """A day over 12 in one date column settles the others; 'Ongoing' is pointed out."""
    path = tmp_path / "episodes.csv"
    rows = [
        {
            "Client number": f"{100 + i}",
            "Referred": f"0{1 + i % 9}/0{1 + i % 9}/2024",  # both parts at most 12
            "Started": f"{14 + i % 9}/0{1 + i % 9}/2024",  # day first
            "Ended": "Ongoing" if i == 3 else f"{14 + i % 9}/1{i % 3}/2024",
            "Team": ["Hub A", "Hub B"][i % 2],
        }
        for i in range(12)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    found = survey(path)
    proposal = propose(found, spec_path=tmp_path / "spec.yaml")
    assert proposal.date is not None and proposal.date.format == "dd/mm/yyyy"
    assert proposal.roles["person_id"] == "Client number"
    assert {r: proposal.roles[r] for r in ("referral_date", "start_date", "end_date")} == {
        "referral_date": "Referred",
        "start_date": "Started",
        "end_date": "Ended",
    }
    text = render(proposal, found)
    assert re.search(r"end_date: Ended .*not dates: 'Ongoing' - add to missing", text)
    assert proposal.period["start"] == dt.date(2024, 1, 1)
    assert proposal.period["end"] == dt.date(2024, 9, 30)


def test_sheet_and_header_row_can_be_given(tmp_path: Path) -> None:
    data = cover_and_clients_workbook(tmp_path / "clients.xlsx")
    done = init(data, "--sheet", "Clients", "--header-row", "3", "--output", "s.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text, raw = draft_of(tmp_path / "s.yaml")
    assert unmarked(text) == []
    assert re.search(r"sheet: Clients +# as given", text)
    assert raw["sources"]["people"]["sheet"] == "Clients"
    assert raw["sources"]["people"]["columns"]["person_id"] == "Client ID"


def test_an_existing_spec_is_kept_without_force(tmp_path: Path) -> None:
    data = ambiguous_csv(tmp_path / "export.csv")
    (tmp_path / "spec.yaml").write_text("mine\n")
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "spec.yaml: already exists; pass --force" in done.stderr
    assert (tmp_path / "spec.yaml").read_text() == "mine\n"
    assert init(data, "--output", "spec.yaml", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "spec.yaml").read_text().startswith("# DRAFT programme spec")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], r"missing.csv: file not found"),
        (["export.csv", "--sheet", "Clients"], r"--sheet 'Clients' given but .* not a workbook"),
        (["book.xlsx", "--sheet", "Data"], r"no sheet named 'Data'; the workbook has 'Cover'"),
        (["export.csv", "--output", "spec.txt"], r"spec.txt: the spec must be a .yaml file"),
        (["export.csv", "--header-row", "0"], r"'0' is not a whole number of 1 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    ambiguous_csv(tmp_path / "export.csv")
    cover_and_clients_workbook(tmp_path / "book.xlsx")
    done = init(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert re.search(message, done.stderr), done.stderr
    assert not list(tmp_path.glob("*.yaml"))


def test_help_has_examples() -> None:
    done = subprocess.run([*EVALKIT, "init", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "examples:" in done.stdout and "evalkit validate SPEC" in done.stdout


# -- the guessing rules, one at a time --------------------------------------------------------------


def test_choose_sheet_and_find_header_row(tmp_path: Path) -> None:
    book = cover_and_clients_workbook(tmp_path / "book.xlsx")
    sheet, why = choose_sheet(book)
    assert sheet == "Clients" and "'Cover' (3 rows x 1 column)" in why
    title = [["Client list", None, None], [None, None, None], ["Run on 01/04/2025", None, None]]
    header = [["ID", "Start", "Team"], ["1", "2024-01-02", "North"]]
    assert find_header_row(title + header) == 4
    assert find_header_row(header) == 1
    assert find_header_row([["1", "2", "3"], ["4", "5", "6"]]) == 1  # no header found: row 1


def test_column_kinds() -> None:
    assert profile_column("Email", ["a@b.org", "c@d.org"]).kind == "personal"
    emails = ["a@b.org", "c@d.org", "x@y.com"]
    assert profile_column("Contact", emails).detail == "personal contact details: email addresses"
    assert profile_column("Postcode", ["EX1 1AA"]).detail == "postcodes"
    assert profile_column("Date of birth", ["01/02/1980"]).detail == "dates of birth"
    assert profile_column("NHS number", ["943 476 5919"]).kind == "personal"
    assert profile_column("Team name", ["North", "South"] * 5).kind == "category"
    notes = [f"A long note about visit number {i}, which went well" for i in range(12)]
    assert profile_column("Notes", notes).detail == "free text that may hold personal details"
    yes_no = profile_column("Housed", ["Yes", "No", "Not known", "", "N/A", None])
    assert yes_no.kind == "yesno" and yes_no.missing_found == ["", "N/A", "Not known"]
    answers = profile_column("Ethnicity", ["White", "Prefer not to say", "Unknown"] * 4)
    assert answers.kind == "category"
    assert answers.labels == ["Prefer not to say", "White"]  # Unknown is missing, not an answer
    assert profile_column("Client ID", [str(i) for i in range(20)]).kind == "identifier"
    assert profile_column("Number in household", ["1", "2", "3"] * 5).kind == "number"
    assert profile_column("Opened", [dt.date(2024, 1, 2), dt.date(2024, 2, 3)]).kind == "date"
    assert words("DateOpened") == ["date", "opened"]
    assert words("Date of Birth") == ["birthdate"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-04-03", "2023-12-25"], "yyyy-mm-dd"),
        (["13/04/2024", "03/04/2024"], "dd/mm/yyyy"),
        (["04/13/2024", "03/04/2024"], "mm/dd/yyyy"),
        (["3/4/2024", "25/12/2023"], "dd/mm/yyyy"),
        (["25.12.2023"], "dd.mm.yyyy"),
        (["25-12-2023"], "dd-mm-yyyy"),
        (["25/12/23"], "dd/mm/yy"),
        (["3 Apr 2024"], "dd mon yyyy"),
        (["2024/04/03"], "yyyy/mm/dd"),
        (["03/04/2024", "04/03/2024"], None),  # ambiguous
        (["13/04/2024", "04/13/2024"], None),  # day-first and month-first in one file
        (["2024-04-03", "13/04/2024"], None),  # two styles
        (["12-25-2023"], None),  # month first with dashes: not a format evalkit reads
    ],
)
def test_date_formats(values: list[str], expected: str | None) -> None:
    assert guess_date_format(values).format == expected


def test_a_time_after_the_date_is_flagged() -> None:
    guess = guess_date_format(["2024-04-03 10:15", "2024-04-04 09:00:00"])
    assert guess.format == "yyyy-mm-dd" and guess.has_time


def _written(day: int, month: int, year: int, pad: bool, day_first: bool) -> str:
    d, m = (f"{day:02d}", f"{month:02d}") if pad else (str(day), str(month))
    return f"{d}/{m}/{year}" if day_first else f"{m}/{d}/{year}"


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))
late_days = dates.filter(lambda d: d.day > 12)
early_days = dates.filter(lambda d: d.day <= 12)


@given(st.lists(dates, max_size=30), late_days, st.data())
def test_a_day_over_12_always_means_day_first(
    some: list[dt.date], telling: dt.date, data: st.DataObject
) -> None:
    values = [
        _written(d.day, d.month, d.year, data.draw(st.booleans()), True) for d in [*some, telling]
    ]
    values = data.draw(st.permutations(values))
    guess = guess_date_format(values)
    assert guess.format == "dd/mm/yyyy"
    assert int(guess.example.split("/")[0]) > 12


@given(st.lists(dates, max_size=30), late_days, st.data())
def test_a_second_part_over_12_always_means_month_first(
    some: list[dt.date], telling: dt.date, data: st.DataObject
) -> None:
    values = [
        _written(d.day, d.month, d.year, data.draw(st.booleans()), False) for d in [*some, telling]
    ]
    assert guess_date_format(data.draw(st.permutations(values))).format == "mm/dd/yyyy"


@given(st.lists(early_days, min_size=1, max_size=30), st.booleans(), st.data())
def test_dates_with_both_parts_at_most_12_are_never_guessed(
    some: list[dt.date], day_first: bool, data: st.DataObject
) -> None:
    values = [_written(d.day, d.month, d.year, data.draw(st.booleans()), day_first) for d in some]
    guess = guess_date_format(values)
    assert guess.format is None and guess.ambiguous
    assert guess.options == ("dd/mm/yyyy", "mm/dd/yyyy")
    assert guess.example in values


@given(st.lists(dates, min_size=1, max_size=30))
def test_iso_dates_are_always_unambiguous(some: list[dt.date]) -> None:
    assert guess_date_format([d.isoformat() for d in some]).format == "yyyy-mm-dd"


NAMES = [
    "Client ID", "Family ID", "Start date", "Referral date", "Date closed", "District", "Team",
    "Gender", "Ethnicity", "Age", "Housed at start", "Housed at end", "Score before",
    "Score after", "Notes", "Email", "Group", "On", "Null", "Outcome: met?", "Status",
]  # fmt: skip
CELLS = st.one_of(
    st.sampled_from(["", "N/A", "Not known", "Unknown", "-", "Prefer not to say", "Yes", "No"]),
    st.sampled_from(["Y", "N", "TRUE", "1", "0", "participant", "comparison", "Exeter"]),
    st.dates(min_value=dt.date(2000, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates(min_value=dt.date(2000, 1, 1)).map(dt.date.isoformat),
    st.integers(-5, 120).map(str),
    st.text("abcdefghij @.:#'\"[]{}-", max_size=40),
)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True),
    st.integers(1, 15),
    st.data(),
)
def test_any_export_gives_a_draft_that_reads_back(
    names: list[str], rows: int, data: st.DataObject
) -> None:
    """Whatever the columns hold, the draft is valid YAML and maps only real, carried columns."""
    import tempfile

    table = {n: [data.draw(CELLS) for _ in range(rows)] for n in names}
    table[names[0]][0] = "x"  # never an all-blank file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        pd.DataFrame(table).to_csv(path, index=False)
        found = survey(path, header_row=1)
        proposal = propose(found, spec_path=Path(folder) / "spec.yaml")
        raw = yaml.safe_load(render(proposal, found))
    people = raw["sources"]["people"]
    assert set(people["columns"].values()) <= set(names)
    assert not {"Notes", "Email"} & strings_in(raw)
    for outcome in raw.get("outcomes", []):
        assert outcome["after"] in names and outcome.get("before", names[0]) in names
    assert people.get("date_format", "yyyy-mm-dd") in {"DECIDE", *DATE_FORMATS}


def test_an_export_from_one_area_asks_which_area_it_is(tmp_path: Path) -> None:
    data = csv_export(tmp_path / "export.csv")
    pd.read_csv(data, dtype=str).drop(columns="locality_code").to_csv(data, index=False)
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text, raw = draft_of(tmp_path / "spec.yaml")
    assert raw["sources"]["people"]["locality"] == "DECIDE"
    assert raw["localities"] == {"DECIDE": "DECIDE"}
    refused = evalkit("validate", "spec.yaml", cwd=tmp_path)
    assert refused.returncode == 2 and "localities.DECIDE" in refused.stderr
    text = text.replace("  DECIDE: DECIDE", "  E08000012: Liverpool")
    (tmp_path / "spec.yaml").write_text(answer(text, locality="E08000012"))
    assert load_spec(tmp_path / "spec.yaml").people.locality == "E08000012"
    validated("spec.yaml", tmp_path)


def test_a_caseworkers_workbook_staff_totals_waiting_list_and_baseline(tmp_path: Path) -> None:
    """A shape a new user brought: staff names, a totals row, a status column holding a
    waiting list and referrals not taken up, hub names typed in capitals now and then,
    yes/no circumstances at referral, and the first session as the start of support."""
    rng = random.Random(5)
    book = Workbook()
    sheet = book.active
    sheet.title = "Case list"
    sheet.append(["Open Door: case list"])
    sheet.append([])
    header = [
        "Client ID",
        "Hub",
        "Date of referral",
        "First session",
        "Status",
        "Self-harm at referral (Y/N)",
        "In education at end",
        "Worker",
        "Completed by",
    ]
    sheet.append(header)
    for i in range(ROWS):
        status = ["Allocated", "Allocated", "Waiting list", "Not taken up"][i % 4]
        referral = dt.date(2024, 1, 13) + dt.timedelta(days=rng.randint(0, 300))
        sheet.append(
            [
                f"OD-{i:04d}",
                ("NORTH HUB" if i % 17 == 0 else "North Hub") if i % 2 else "Riverside Hub",
                referral.strftime("%d/%m/%Y"),
                referral + dt.timedelta(days=20) if status == "Allocated" else None,
                status,
                rng.choice(["Y", "N"]),
                rng.choice(["Y", "N"]),
                rng.choice(["Lee Okafor", "Jo Barker"]),
                rng.choice(["Lee O", "Jo B"]),
            ]
        )
    sheet.append(["TOTAL", None, None, None, None, None, None, None, None])
    book.save(tmp_path / "cases.xlsx")
    done = init(tmp_path / "cases.xlsx", "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text, raw = draft_of(tmp_path / "spec.yaml")
    people = raw["sources"]["people"]
    assert people["exclude"] == {"Client ID": ["TOTAL"], "Status": ["Not taken up"]}
    assert people["groups"] == {"participant": ["Allocated"], "comparison": ["Waiting list"]}
    assert people["columns"]["start_date"] == "First session"
    assert raw["localities"] == {"north-hub": "North Hub", "riverside-hub": "Riverside Hub"}
    carried = {c["column"] for c in raw["characteristics"]} | {o["after"] for o in raw["outcomes"]}
    assert "Worker" not in carried and "Completed by" not in carried  # staff names stay out
    assert "Worker (staff names)" in text and "Completed by (staff names)" in text
    assert "Self-harm at referral (Y/N)" in {c["column"] for c in raw["characteristics"]}
    assert [o["after"] for o in raw["outcomes"]] == ["In education at end"]
    (tmp_path / "spec.yaml").write_text(answer(text))
    done = evalkit("validate", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"people: {ROWS // 4 * 3} rows OK; {ROWS // 4 + 1} left out by exclude" in done.stdout


# -- a domestic abuse outreach export, as a user brought it ----------------------------------------

#: The status of each of the outreach clients, in turn: served, waiting, and three kinds of
#: people who are neither (they turned the service down, left, or could not have it).
OUTREACH_STATUS = (
    ["Allocated"] * 5 + ["Waiting list"] * 2 + ["Declined", "Withdrawn", "Not eligible"]
)
OUTREACH_ROWS = 240  # more than the 200 rows looked at to pick the sheet


def outreach_workbook(path: Path, rows: int = OUTREACH_ROWS) -> Path:
    """A cover sheet; 'Clients' with two title rows, the header on row 3, a row per client and
    a last row 'Total referrals: N' in the first column; a small 'Costs' sheet."""
    rng = random.Random(7)
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    for line in ["Safer Futures outreach", "Client extract", "", "OFFICIAL-SENSITIVE"]:
        cover.append([line])
    sheet = book.create_sheet("Clients")
    sheet.append(["Safer Futures: client extract (all referrals)"])
    sheet.append(["Run date 14/04/2025"])
    sheet.append(
        [
            "Client No.",
            "Client Name",
            "Contact No.",
            "Area",
            "Status",
            "Referral Rec'd",
            "Allocated Date",
            "Closed Date",
            "Gender",
            "Age",
            "Safety Plan Agreed",
            "Caseworker Notes",
        ]
    )
    phones = ["07700 9{:05d}", "077009{:05d}", "+44 7700 9{:05d}", "01632 9{:05d}"]
    for i in range(rows):
        status = OUTREACH_STATUS[i % len(OUTREACH_STATUS)]
        referral = dt.date(2023, 4, 13) + dt.timedelta(days=rng.randint(0, 600))
        allocated = referral + dt.timedelta(days=14) if status == "Allocated" else None
        if allocated is None:  # referred well inside the period the start dates span
            referral = dt.date(2023, 9, 1) + dt.timedelta(days=i % 60)
        closed = allocated + dt.timedelta(days=90) if allocated and i % 3 else None
        name = rng.choice(["Gemma Hussain", "Emma Walker", "Kelly Robinson", "Darren Hughes"])
        phone = phones[i % 4].format(i)
        sheet.append(
            [
                f"DAO-{20001 + i}",
                name,
                phone,
                ["Preston", "Pendle", "Burnley"][i % 3],
                status,
                referral.strftime("%d/%m/%Y"),
                allocated.strftime("%d/%m/%Y") if allocated else None,
                closed.strftime("%d/%m/%Y") if closed else None,
                ["Female", "Male"][i % 2],
                rng.randint(18, 68),
                ["Yes", "No", "Not known"][i % 3] if allocated else None,
                f"Spoke to {name.split()[0]} on {phone}, safe to call after 3pm.",
            ]
        )
    sheet.append([f"Total referrals: {rows}"])
    costs = book.create_sheet("Costs")
    costs.append(["District", "Quarter", "Amount"])
    costs.append(["Preston", "2023/24 Q1", 30400])
    book.save(path)
    return path


def test_an_outreach_export_with_refusals_phones_notes_and_a_totals_row(tmp_path: Path) -> None:
    """The trial export's shape end to end: what init prints, what it drafts, and the draft
    (once the definitions are written) accepted by evalkit validate."""
    data = outreach_workbook(tmp_path / "safer_futures_extract.xlsx")
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # The sheet: 2 title rows + the header + 240 clients + the totals row = 244 filled rows,
    # counted in full though only the first 200 were compared with the other sheets.
    assert "the sheet with the most data, 244 rows x 12 columns" in out
    assert "'Costs' (2 rows x 3 columns)" in out and "200 rows" not in out
    # The totals row is row 3 + 240 + 1 = 244, and is not a person.
    assert re.search(
        r"; 240 rows; row 244 \('Total referrals: 240'\) is a totals row at the foot of the "
        r"sheet, not a person: proposed under exclude\n",
        out,
    )
    assert re.search(r"Client No\.\s+identifier\s+-> person_id", out)
    assert re.search(
        r"Contact No\.\s+personal contact details: phone numbers\s+-> not carried", out
    )
    assert re.search(r"Caseworker Notes\s+free text that may hold personal details\s+->", out)
    assert "staff names" not in out

    text, raw = draft_of(tmp_path / "spec.yaml")
    assert "Columns found (header row 3, 240 rows):" in text
    assert "# Row 244 ('Total referrals: 240') is a totals row" in text
    assert re.search(
        r"person_id: Client No\. +# CHECK: an identifier: 240 different values in 240 rows", text
    )
    people = raw["sources"]["people"]
    # Waiting list is the only comparison: refusals are never counted as a comparison.
    assert people["groups"] == {"participant": ["Allocated"], "comparison": ["Waiting list"]}
    assert people["exclude"] == {
        "Client No.": ["Total referrals: 240"],
        "Status": ["Declined", "Not eligible", "Withdrawn"],  # each 24 rows: by name
    }
    (status_line,) = lines_with(text, "Status: [Declined")
    assert "neither served nor a fair comparison" in status_line
    assert "bias" in status_line
    assert not {"Client Name", "Contact No.", "Caseworker Notes"} & strings_in(raw)
    listed = text.split("Not carried into evalkit")[1].split("\nprogramme:")[0]
    assert "Contact No. (personal contact details: phone numbers)" in listed
    assert "Caseworker Notes (free text that may hold personal details)" in listed
    assert "DECIDE" not in strings_in(raw)
    assert re.search(r"\(\d+ CHECK, 0 DECIDE\)\n", out)

    (tmp_path / "spec.yaml").write_text(answer(text))
    checked = evalkit("validate", "spec.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    # Of each 10 clients 5 + 2 are kept (Allocated, Waiting list) and 3 left out; 240 is 24
    # tens: 24 * 7 = 168 kept, 24 * 3 + 1 (the totals row) = 73 left out.
    kept = sum(OUTREACH_STATUS[i % 10] in ("Allocated", "Waiting list") for i in range(240))
    assert kept == 24 * 7
    assert f"people: {kept} rows OK; {240 - kept + 1} left out by exclude" in checked.stdout


@pytest.mark.parametrize(
    ("labels", "served", "comparison", "left_out"),
    [
        # The trial's labels: Declined was put under comparison.
        (["Allocated", "Waiting list", "Declined"], "Allocated", "Waiting list", ["Declined"]),
        (
            ["Supported", "Wait list", "Refused", "Withdrawn", "Not eligible", "Did not engage"],
            "Supported",
            "Wait list",
            ["Did not engage", "Not eligible", "Refused", "Withdrawn"],
        ),
        (["Accepted", "Not accepted", "Deferred"], "Accepted", "Deferred", ["Not accepted"]),
        (
            ["Engaged", "Not engaged", "Not yet started"],
            "Engaged",
            "Not yet started",
            ["Not engaged"],
        ),
        (["Allocated", "Control", "Ineligible"], "Allocated", "Control", ["Ineligible"]),
        # No comparison at all: the refusals are still left out, never counted as served.
        (["Allocated", "Declined"], None, None, ["Declined"]),
    ],
)
def test_people_who_opted_out_are_never_the_comparison(
    tmp_path: Path, labels: list[str], served: str, comparison: str, left_out: list[str]
) -> None:
    path = tmp_path / "referrals.csv"
    rows = [
        {
            "Client ID": f"C{i:03d}",
            "Start": f"2024-03-{1 + i:02d}",
            "Status": labels[i % len(labels)],
        }
        for i in range(len(labels) * 4)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    found = survey(path)
    proposal = propose(found, spec_path=tmp_path / "spec.yaml")
    assert sorted(proposal.exclude["Status"]) == left_out
    assert "neither served nor a fair comparison" in proposal.exclude_notes["Status"]
    if served is None:  # no comparison: no group column, and every row kept counts as served
        assert "group" not in proposal.roles and not proposal.groups
    else:
        assert proposal.roles["group"] == "Status"
        assert proposal.groups == {"participant": [served], "comparison": [comparison]}
    text = render(proposal, found)
    assert unmarked(text) == []
    assert re.search(
        r"Status: \[.*\] +# CHECK: people who declined, withdrew, did not engage", text
    )


REFUSALS = ["Declined", "Refused", "Withdrawn", "Withdrew", "Not eligible", "Did not engage",
            "Disengaged", "Dropped out", "Opted out", "Not taken up", "Unable to contact", "DNA"]  # fmt: skip


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.sampled_from(REFUSALS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["Status", "Group", "Referral outcome"]),
)
def test_no_refusal_label_is_ever_proposed_as_comparison(refusals: list[str], name: str) -> None:
    import tempfile

    labels = ["Allocated", "Waiting list", *refusals]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        rows = [{"ID": f"P{i}", name: labels[i % len(labels)]} for i in range(len(labels) * 3)]
        pd.DataFrame(rows).to_csv(path, index=False)
        found = survey(path)
        proposal = propose(found, spec_path=Path(folder) / "spec.yaml")
    assert not set(refusals) & set(proposal.groups.get("comparison", []))
    assert not set(refusals) & set(proposal.groups.get("participant", []))
    assert set(refusals) <= set(proposal.exclude[name])


def test_totals_rows_at_the_foot_of_a_sheet() -> None:
    """A label such as 'Total referrals: 40' or 'Grand total' anywhere in the last rows, or a
    sparse last row whose identifier is written unlike the others; a real last client is not."""
    ids = [f"DAO-{20001 + i}" for i in range(40)]
    body = {"Client No.": ids, "Area": ["Preston"] * 40, "Age": [str(20 + i) for i in range(40)]}

    def frame(*extra: list[Any]) -> pd.DataFrame:
        rows = [list(r) for r in zip(*body.values(), strict=True)] + [list(e) for e in extra]
        return pd.DataFrame(rows, columns=list(body), dtype=object)

    (found,) = find_footer_rows(frame(["Total referrals: 40", None, None]), header_row=3)
    # Header on row 3, clients on rows 4 to 43, the totals row on row 44.
    assert (found.row, found.column, found.label) == (44, "Client No.", "Total referrals: 40")
    two = find_footer_rows(frame([None, "Grand total", "40"], ["TOTAL", None, None]))
    assert [(f.row, f.column, f.label) for f in two] == [
        (42, "Area", "Grand total"),
        (43, "Client No.", "TOTAL"),
    ]
    # Written unlike the identifiers ('A-9') and nearly empty: "40 referrals" is not a client.
    (odd,) = find_footer_rows(frame(["40 referrals", None, None]))
    assert odd.label == "40 referrals"
    assert find_footer_rows(frame(["DAO-20041", None, None])) == []  # a client with little data
    assert find_footer_rows(frame(["X1", "Pendle", "33"])) == []  # an odd id, but a full row
    body["Client No."] = ["Gemma Hussain"] * 40  # a name unlike the others is not a total
    assert find_footer_rows(frame(["Mary-Jane O'Neill", None, None])) == []
    assert find_footer_rows(frame()) == []


def test_a_totals_row_is_not_counted_as_a_person(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    lines = ["Client ref,Area,Start"] + [f"R{100 + i},Leeds,2024-05-{1 + i:02d}" for i in range(20)]
    path.write_text("\n".join([*lines, "Grand total,20,"]) + "\n", encoding="utf-8")
    found = survey(path)
    assert found.rows == 20 and [(f.row, f.label) for f in found.footer] == [(22, "Grand total")]
    assert found.column("Client ref").detail == "20 different values in 20 rows"
    assert found.column("Area").labels == ["Leeds"]  # '20' was the totals row's, not an area
    proposal = propose(found, spec_path=tmp_path / "spec.yaml")
    assert proposal.exclude == {"Client ref": ["Grand total"]}
    assert "row 22 ('Grand total') is a totals row" in proposal.exclude_notes["Client ref"]


def test_a_sheet_read_in_part_is_never_given_a_wrong_size(tmp_path: Path) -> None:
    book = Workbook()
    short = book.active
    short.title = "Notes"
    short.append(["A note"])
    long = book.create_sheet("Log")  # 300 rows of 2 columns: compared on its first 200
    for i in range(300):
        long.append([f"L{i}", "x"])
    data = book.create_sheet("Clients")  # 250 rows of 5 columns: the most data in 200 rows
    data.append(["Client ID", "Start", "Area", "Gender", "Age"])
    for i in range(249):
        data.append([f"C{i}", f"2024-01-{1 + i % 28:02d}", "Leeds", "Female", str(20 + i % 50)])
    book.save(tmp_path / "book.xlsx")
    sheet, why = choose_sheet(tmp_path / "book.xlsx")
    assert sheet == "Clients"
    assert "at least 200 rows x 5 columns" in why and "'Log' (at least 200 rows x 2 columns)" in why
    assert "(sheets compared on their first 200 rows)" in why
    found = survey(tmp_path / "book.xlsx")
    # Read in full: the header and 249 clients are 250 rows; Log is still only partly read.
    assert "the sheet with the most data, 250 rows x 5 columns" in found.sheet_note
    assert "'Log' (at least 200 rows x 2 columns)" in found.sheet_note
    assert found.rows == found.total_rows == 249 and found.rows_text == "249 rows"
    sample = Survey(found.path, None, "", 1, "", 50_000, [], total_rows=80_000)
    assert sample.rows_text == "the first 50,000 of 80,000 rows read to draft the spec"


@pytest.mark.parametrize(
    "phones",
    [
        ["07700 900123", "07700 900456", "07700 900789"],
        ["07700900123", "07700900456", "07700900789"],
        ["+44 7700 900123", "+447700900456", "0044 7700 900789"],
        ["01632 960123", "(01632) 960456", "020 7946 0958"],
        ["07700-900-123", "0161 496 0000", "+44 (0)20 7946 0123"],
    ],
)
def test_phone_numbers_are_known_by_their_values(phones: list[str]) -> None:
    found = profile_column("Contact No.", phones * 4)
    assert (found.kind, found.detail) == ("personal", "personal contact details: phone numbers")
    emails = profile_column("Contact", ["jo@example.org", "al@example.org"] * 4)
    assert emails.detail == "personal contact details: email addresses"


def test_values_that_are_not_phone_numbers_are_not_called_so() -> None:
    assert profile_column("Ref", [f"943 476 {5900 + i}" for i in range(12)]).kind != "personal"
    assert profile_column("Amount", ["1200", "07", "350"] * 4).kind == "number"
    assert profile_column("Year", ["2023", "2024"] * 6).kind != "personal"


def test_notes_written_by_caseworkers_are_free_text_not_staff_names() -> None:
    notes = [f"Spoke to Gemma on 07700 9001{i:02d}, safe to call after 3pm." for i in range(12)]
    found = profile_column("Caseworker Notes", notes)
    assert (found.kind, found.detail) == ("text", "free text that may hold personal details")
    unnamed = profile_column("Extra", [f"{n} (visit {i})" for i, n in enumerate(notes)])
    assert unnamed.detail == "free text that may hold personal details"
    assert profile_column("Caseworker", ["Lee Okafor", "Jo Barker"] * 6).detail == "staff names"


def test_the_decide_count_printed_is_the_count_validate_gives(tmp_path: Path) -> None:
    """The trial printed '5 DECIDE' where validate then listed 4: a DECIDE comment line (the
    period's note) was counted as a decision."""
    data = ambiguous_csv(tmp_path / "export.csv")
    done = init(data, "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "spec.yaml").read_text(encoding="utf-8")
    # Counted here from the text: the lines whose value (not a comment) is DECIDE.
    values = re.findall(r"(?m)^[^#\n]*:\s+DECIDE\s*(?:#.*)?$", text)
    assert len(values) == 4  # date_format and the period's label, start and end
    printed = re.search(r"\((\d+) CHECK, (\d+) DECIDE: ([^)]*)\)", done.stdout)
    assert printed is not None and int(printed[2]) == len(values)
    assert printed[3] == (
        "reporting_period.label, reporting_period.start, reporting_period.end, "
        "sources.people.date_format"
    )
    refused = evalkit("validate", "spec.yaml", cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{len(values)} decision(s) still to make" in refused.stderr

    # And for an export from one area with no start date: the locality is a decision too.
    path = tmp_path / "weekly.csv"
    path.write_text("Client ref,Housed\n" + "".join(f"X{i},Y\n" for i in range(12)))
    done = init(path, "--output", "weekly.yaml", cwd=tmp_path)
    text = (tmp_path / "weekly.yaml").read_text(encoding="utf-8")
    values = re.findall(r"(?m)^[^#\n]*:\s+DECIDE\s*(?:#.*)?$", text)
    # label, start, end, the localities entry and sources.people.locality
    assert len(values) == 5
    assert f", {len(values)} DECIDE: " in done.stdout
    refused = evalkit("validate", "weekly.yaml", cwd=tmp_path)
    assert f"{len(values)} decision(s) still to make" in refused.stderr


def test_readings_at_referral_and_at_close_are_paired(tmp_path: Path) -> None:
    # a user trial: "Safety Rating at Referral" and "... at Close/Follow-up" were not paired,
    # so the score was left out of the draft
    n = 30
    pd.DataFrame(
        {
            "Client No.": [f"C{i:03d}" for i in range(n)],
            "Area": ["Preston"] * n,
            "Referral Rec'd": ["2024-05-01"] * n,
            "Safety Rating at Referral": [3 + i % 4 for i in range(n)],
            "Safety Rating at Close/Follow-up": [6 + i % 4 for i in range(n)],
            "Debt at first appointment": [1000 + 10 * i for i in range(n)],
            "Debt at case closure": [500 + 10 * i for i in range(n)],
        }
    ).to_csv(tmp_path / "clients.csv", index=False)
    done = init(tmp_path / "clients.csv", "--output", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    _, raw = draft_of(tmp_path / "spec.yaml")
    pairs = {(o.get("before"), o["after"]) for o in raw["outcomes"]}
    assert ("Safety Rating at Referral", "Safety Rating at Close/Follow-up") in pairs
    assert ("Debt at first appointment", "Debt at case closure") in pairs
