"""The provider's data return template (issue 16, part 2): made from the spec, filled, accepted.

``evalkit plan SPEC --template returns.xlsx`` writes a workbook with one sheet per return in the
provider's own column names, where the spec reads them (sheet and header row), with data
validation and input hints. The tests fill it with openpyxl, as a provider's spreadsheet would be
filled, from the example programmes' own exports: correct rows pass ``evalkit validate`` and a
run of one locality through the real notebooks; rows with a mistake (a bad date, a label outside
the list, text in a number) stop with one line naming the sheet, row and column, exit status 2.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from _reports import cli
from evalkit.config import load_spec
from evalkit.config.sources import ROLES
from evalkit.intake import read_table
from evalkit.intake.template import (
    ABOUT_SHEET,
    ROLE_REASONS,
    requested_fields,
    template_sheets,
    write_template,
)

REPO = Path(__file__).resolve().parents[1]
EXETER = "E07000041"


@pytest.fixture(scope="module")
def hp(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The homelessness-prevention example: (project folder, spec path)."""
    root = tmp_path_factory.mktemp("hp-template")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli(["demo", "--example", "homelessness-prevention"], cwd=root)
    assert done.returncode == 0, done.stderr
    return root, root / "data" / "raw" / "hp" / "homelessness-prevention.yaml"


@pytest.fixture(scope="module")
def fs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Family Support demo (every source a CSV file): its spec path."""
    from conftest import make_project

    return make_project(tmp_path_factory.mktemp("fs-template"))


def fill(
    spec_path: Path,
    workbook: Path,
    sources: list[str] | None = None,
    *,
    limit: int | None = None,
    mistake: tuple[str, int, str, object] | None = None,
) -> None:
    """Fill the template's sheets with the rows of the example's own files, as a provider would:
    the first ``limit`` people of each locality (and their readings), and one ``mistake``
    (sheet, row, column, value) if given."""
    spec = load_spec(spec_path)
    book = load_workbook(workbook)
    people: set[str] | None = None
    for source, sheet in template_sheets(spec).items():
        if sources is not None and source not in sources:
            continue
        s = spec.sources[source]
        raw = read_table(spec.path(s.file), sheet=s.sheet, header_row=s.header_row)
        if limit is not None and s.kind == "people":
            raw = raw.groupby(s.columns["locality"], sort=False).head(limit)
            people = set(raw[s.columns["person_id"]])
        elif limit is not None and s.kind == "readings" and people is not None:
            raw = raw[raw[s.columns["person_id"]].isin(people)]
        ws = book[sheet]
        header = [c.value for c in ws[s.header_row] if c.value is not None]
        for i, row in enumerate(raw[header].itertuples(index=False), start=s.header_row + 1):
            for j, value in enumerate(row, start=1):
                ws.cell(row=i, column=j, value=value)
        if mistake is not None and mistake[0] == sheet:
            _, row, column, value = mistake
            ws.cell(row=row, column=header.index(column) + 1, value=value)
    book.save(workbook)


def test_every_role_has_what_and_why_in_plain_words() -> None:
    roles = {role for kind in ROLES.values() for role in kind}
    assert roles <= set(ROLE_REASONS)
    for what, why in ROLE_REASONS.values():
        assert what[0].isupper() and why.startswith("To ") and why.endswith(".")
        assert "_" not in what + why


def test_template_has_the_sheets_headers_and_rows_the_spec_reads(hp, tmp_path: Path) -> None:
    root, spec_path = hp
    done = cli(["plan", str(spec_path), "--template", str(tmp_path / "returns.xlsx")], cwd=root)
    assert done.returncode == 0, done.stderr
    # The CSV sources are named, with how to send them (save as CSV or point the spec at it).
    assert "Sheet 'spend' is read from spend.csv: save this sheet as CSV UTF-8" in done.stdout
    assert "sources.spend.sheet to 'spend'" in done.stdout and "'Clients'" not in done.stdout
    spec = load_spec(spec_path)
    book = load_workbook(tmp_path / "returns.xlsx")
    assert book.sheetnames[0] == ABOUT_SHEET
    assert {"Clients", "Outcome Readings", "presentations", "spend"} <= set(book.sheetnames)
    for source, sheet in template_sheets(spec).items():
        s = spec.sources[source]
        ws = book[sheet]
        header = [c.value for c in ws[s.header_row] if c.value is not None]
        assert header == [f.column for f in requested_fields(spec, source)]
        # Only what the plan uses: never the personal columns of the provider's export.
        assert not {"Full Name", "Email", "NHS Number", "Notes"} & set(header)
    clients = book["Clients"]
    assert clients.cell(row=1, column=1).value.startswith("Homelessness Prevention")
    rules = {str(dv.sqref).split(":")[0]: dv for dv in clients.data_validations.dataValidation}
    header = [c.value for c in clients[3]]
    letter = {name: chr(ord("A") + i) for i, name in enumerate(header)}
    start = rules[f"{letter['Support Start']}4"]
    assert start.type == "date" and "23/05/2024" in start.prompt and not start.allow_blank
    assert clients.column_dimensions[letter["Support Start"]].number_format == "dd/mm/yyyy"
    secured = rules[f"{letter['Accommodation Secured']}4"]
    assert secured.type == "list"
    lists = book[secured.formula1.split("!")[0].strip("'")]
    cells = secured.formula1.split("!")[1].replace("$", "").split(":")
    labels = [c.value for row in lists[cells[0] : cells[1]] for c in row]
    assert labels[:2] == ["Yes", "No"] and "Not known" in labels
    gender = rules[f"{letter['Gender']}4"]
    assert gender.type == "list"
    arrears = rules[f"{letter['Rent Arrears At End (£)']}4"]
    assert arrears.type == "decimal" and "pounds" in arrears.prompt
    district = rules[f"{letter['District']}4"]
    assert district.type == "list" and district.errorStyle == "warning"  # a code is fine too
    # The first sheet explains each field and why it is asked.
    about = book[ABOUT_SHEET]
    text = " ".join(str(c.value) for row in about.iter_rows() for c in row if c.value)
    assert "To know how long each person was supported and who started in the reporting" in text
    assert "Support Start" in text and "Outcome Readings" in text
    assert "Sheet 'Clients' is read as sheet 'Clients' of hp_export.xlsx" in text


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_filled_template_is_accepted_and_a_locality_runs(hp) -> None:
    root, spec_path = hp
    export = spec_path.parent / "hp_export.xlsx"
    returns = spec_path.parent / "returns.xlsx"
    write_template(load_spec(spec_path), returns)
    fill(spec_path, returns, ["clients", "readings"])
    # The provider sends the filled workbook as the file the spec names: no other change.
    shutil.copy(returns, export)
    done = cli(["validate", str(spec_path)], cwd=root)
    assert done.returncode == 0, done.stderr
    assert "clients: 885 rows OK" in done.stdout
    done = cli(
        ["run", str(spec_path), "--locality", EXETER, "--no-progress"], cwd=root, timeout=900
    )
    assert done.returncode == 0, done.stderr
    report = root / "reports" / "homelessness-prevention" / f"{EXETER}.html"
    assert "Accommodation secured" in report.read_text()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Support Start", "31/02/2024", "expected a date written as dd/mm/yyyy"),
        ("Accommodation Secured", "Maybe", "not covered by sources.clients.recodes"),
        ("Rent Arrears At End (£)", "about 300", "expected a number"),
    ],
)
def test_a_mistake_gives_one_line_naming_sheet_row_and_column(
    hp, tmp_path: Path, column: str, value: str, expected: str
) -> None:
    root, spec_path = hp
    returns = tmp_path / "returns.xlsx"
    write_template(load_spec(spec_path), returns)
    fill(spec_path, returns, ["clients"], mistake=("Clients", 17, column, value))
    args = ["validate", str(returns), "--spec", str(spec_path), "--source", "clients"]
    done = cli(args, cwd=root)
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"(sheet 'Clients'), row 17, column '{column}'" in lines[0]
    assert repr(value) in lines[0] and expected in lines[0]


def point_at(spec_path: Path, workbook: Path) -> None:
    """Point every file source of the spec at the workbook's sheet for it, as the command says."""
    raw = yaml.safe_load(spec_path.read_text())
    for name, sheet in template_sheets(load_spec(spec_path)).items():
        raw["sources"][name]["file"] = str(workbook)
        raw["sources"][name]["sheet"] = sheet
    spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))


def test_family_support_template_from_csv_sources_is_accepted(fs: Path) -> None:
    root = fs.parents[3]
    returns = fs.parent / "returns.xlsx"
    done = cli(["plan", str(fs), "--template", str(returns)], cwd=root)
    assert done.returncode == 0, done.stderr
    book = load_workbook(returns, read_only=True)
    assert {"service_users", "reviews", "timeseries", "costs"} <= set(book.sheetnames)
    book.close()
    fill(fs, returns, limit=30)
    filled = fs.with_name("from-template.yaml")  # beside the spec: the same project folder
    shutil.copy(fs, filled)
    point_at(filled, returns)
    done = cli(["validate", str(filled)], cwd=root)
    assert done.returncode == 0, done.stderr
    assert re.search(r"service_users: \d+ rows OK", done.stdout) and "reviews: " in done.stdout
    fill(fs, returns, ["service_users"], limit=30, mistake=("service_users", 40, "sex", "Unknown"))
    done = cli(["validate", str(filled)], cwd=root)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line and "(sheet 'service_users'), row 40, column 'sex'" in line
    assert "'Unknown'" in line and "expected one of 'Female', 'Male'" in line
