"""The homelessness-prevention example: a provider's own export, deterministic, with recoverable
planted truths, a spec that validates, and no overwriting of other people's files.

The truths are recovered by simple computations on the written files (pandas and openpyxl only,
not evalkit's intake), each with a tolerance of about three standard errors, or 0.3 points for
the stability score where that is wider.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit import demo
from evalkit.config import load_spec
from evalkit.demo import homelessness_prevention as hp
from evalkit.exceptions import DataError
from evalkit.reference import source_of

DATE_TEXT = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


def _write(root: Path, seed: int = hp.DEFAULT_SEED) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    return hp.write(root / "data" / "raw" / "hp", seed=seed)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("hp-project"))


@pytest.fixture(scope="module")
def folder(spec_path: Path) -> Path:
    return spec_path.parent


@pytest.fixture(scope="module")
def truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def clients(folder: Path) -> pd.DataFrame:
    # "N/A" is the provider's marker, not pandas' missing value: only empty cells are missing.
    return pd.read_excel(
        folder / hp.WORKBOOK,
        sheet_name="Clients",
        header=2,
        dtype=object,
        keep_default_na=False,
        na_values=[""],
    )


@pytest.fixture(scope="module")
def readings(folder: Path) -> pd.DataFrame:
    return pd.read_excel(folder / hp.WORKBOOK, sheet_name="Outcome Readings", dtype=object)


@pytest.fixture(scope="module")
def series(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / hp.SERIES, dtype={"Month": str})


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


def _district(clients: pd.DataFrame, truth: dict, code: str) -> pd.DataFrame:
    return clients[clients["District"] == truth["localities"][code]["name"]]


# -- registry, determinism and layout ---------------------------------------------------------


def test_registered_as_an_example() -> None:
    assert demo.EXAMPLES["homelessness-prevention"] is hp
    assert demo.EXAMPLES["family-support"].PROGRAMME == "family-support"
    assert hp.PROGRAMME == "homelessness-prevention"
    assert demo.PROGRAMME == "family-support"  # the existing exports are unchanged


def test_same_seed_same_files_and_another_seed_differs(tmp_path: Path, folder: Path) -> None:
    again = _write(tmp_path / "again").parent
    for name in (hp.SERIES, hp.SPEND, "truth.json", "README.md"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    assert _cells(again / hp.WORKBOOK) == _cells(folder / hp.WORKBOOK)
    other = _write(tmp_path / "other", seed=7).parent
    assert (other / hp.SERIES).read_bytes() != (folder / hp.SERIES).read_bytes()
    assert _cells(other / hp.WORKBOOK)["Clients"] != _cells(folder / hp.WORKBOOK)["Clients"]


def test_generate_matches_the_written_files(folder: Path, series: pd.DataFrame) -> None:
    data = hp.generate()
    assert data.truth == json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    assert data.localities == list(hp.DISTRICTS)
    written = pd.read_csv(folder / hp.SERIES, dtype=str)
    pd.testing.assert_frame_equal(written, data.presentations.astype(str))


def test_workbook_has_a_cover_sheet_first_and_the_header_on_row_3(folder: Path) -> None:
    cells = _cells(folder / hp.WORKBOOK)
    assert list(cells) == ["Cover", "Clients", "Outcome Readings"]
    assert cells["Cover"][0][0] == "Homelessness Prevention Service"
    assert any("FICTIONAL" in (row[0] or "") for row in cells["Cover"])
    rows = cells["Clients"]
    assert rows[0][0] == "Homelessness Prevention Service – client extract"
    assert rows[1][0] == "Extracted 05/04/2025"
    assert list(rows[2]) == list(hp.CLIENT_COLUMNS)
    assert len(rows) - 3 == sum(d.clients for d in hp.DISTRICTS.values())
    assert list(cells["Outcome Readings"][0]) == list(hp.READING_COLUMNS)


def test_dates_are_dd_mm_yyyy_text_with_days_above_12(clients, readings, series) -> None:
    for frame, column in (
        (clients, "Support Start"),
        (clients, "Support End"),
        (readings, "Assessment Date"),
        (series, "Month"),
    ):
        values = frame[column].dropna()
        assert len(values) and values.map(lambda v: isinstance(v, str)).all(), column
        parts = values.str.extract(DATE_TEXT).astype(float)
        assert parts.notna().all().all(), column
        assert parts[1].between(1, 12).all(), column
        if column != "Month":  # months start on the 1st
            assert (parts[0] > 12).any(), column
    assert (series["Month"].str[:2] == "01").all()
    # The referral date is a real date cell, as exports often mix the two.
    assert clients["Date Referred"].map(lambda v: isinstance(v, dt.datetime)).all()
    open_cases = clients["Support End"].isna()
    assert 0 < open_cases.sum() < len(clients) / 3


def test_values_look_like_a_providers_export(clients, readings, series, folder) -> None:
    assert set(clients["District"]) == {d.name for d in hp.DISTRICTS.values()}
    assert set(clients["Gender"]) == {*hp.GENDERS}
    assert set(clients["Prevention Duty"]) == {"Yes", "No"}
    assert set(clients["Accommodation Secured"].dropna()) == {"Yes", "No", "Not known"}
    assert set(clients["Sustained 6 Months"].dropna()) == {"Yes", "No", "Not known"}
    assert "Not known" in set(clients["Age"]) and "Not known" in set(clients["Ethnicity"])
    ages = pd.to_numeric(clients["Age"], errors="coerce").dropna()
    assert ages.between(16, 90).all() and (ages < 18).any() and (ages >= 65).any()
    assert "N/A" in set(clients["Rent Arrears At End (£)"])
    assert clients["Client Ref"].is_unique
    assert clients["Household Ref"].nunique() < len(clients)  # some households share a ref
    # Personal columns are present (the spec must leave them out), and obviously fake.
    assert clients["NHS Number"].str.match(r"^999 \d{3} \d{4}$").all()
    assert clients["Email"].str.endswith("@example.org").all()
    assert set(readings["Assessment"]) == {"Intake", "Review", "Exit"}
    assert readings["Housing Stability Score"].astype(int).between(1, 10).all()
    assert set(readings["Client Ref"]) <= set(clients["Client Ref"])
    assert set(series["Council"]) == {
        *(d.name for d in hp.DISTRICTS.values()),
        *(name for name, _ in hp.COMPARISON_DISTRICTS.values()),
    }
    assert series.groupby("Council")["Month"].nunique().eq(48).all()
    spend_bytes = (folder / hp.SPEND).read_bytes()
    assert spend_bytes.startswith(b"\xef\xbb\xbf")  # a BOM, as Excel's "CSV UTF-8" writes
    spend = pd.read_csv(folder / hp.SPEND, encoding="utf-8-sig", dtype=str)
    assert list(spend.columns) == ["District", "Year", "Cost Type", "Amount (£)"]
    assert set(spend["Year"]) == {"2023/24", "2024/25"}
    assert (spend["Amount (£)"].astype(float) > 0).all()


def test_sample_sizes_one_district_small(clients, truth) -> None:
    sizes = {code: len(_district(clients, truth, code)) for code in truth["localities"]}
    assert sizes[hp.SMALL_LOCALITY] == 25
    assert all(150 <= n <= 400 for c, n in sizes.items() if c != hp.SMALL_LOCALITY)


# -- the spec -------------------------------------------------------------------------------


def _header(spec, name: str) -> list[str]:
    s = spec.sources[name]
    path = spec.path(s.file)
    if s.sheet:
        return [str(v) for v in _cells(path)[s.sheet][s.header_row - 1] if v is not None]
    return list(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)


def test_spec_validates_and_names_only_columns_in_the_files(spec_path: Path, truth) -> None:
    spec = load_spec(spec_path)
    root = spec_path.parents[3]
    assert spec.root == root.resolve() and spec.programme == hp.PROGRAMME
    assert {n: s.kind for n, s in spec.sources.items()} == {
        "clients": "people",
        "readings": "readings",
        "presentations": "series",
        "spend": "costs",
    }
    people = spec.people
    assert (people.sheet, people.header_row, people.date_format) == ("Clients", 3, "dd/mm/yyyy")
    assert "group" not in people.columns and not people.groups
    assert spec.sources["readings"].sheet == "Outcome Readings"
    assert spec.sources["presentations"].frequency == "month"
    assert all(p.is_file() for p in spec.data_files().values())
    assert spec.localities == {c: t["name"] for c, t in truth["localities"].items()}
    assert spec.comparison_localities == {
        c: t["name"] for c, t in truth["comparison_localities"].items()
    }
    assert {c: d.isoformat() for c, d in spec.launches.items()} == {
        c: t["launch"] for c, t in truth["localities"].items()
    }
    d = spec.designs
    assert (d.before_after, d.time_series, d.never_treated, d.staggered) == (True,) * 4
    assert not d.comparison_group and d.matching is None
    assert spec.disclosure.policy == "ons_10_5"
    assert [(r.name, r.scope) for r in spec.reports] == [
        ("programme_report", "locality"),
        ("comparison", "programme"),
    ]
    assert spec.cost_benefit is not None and spec.reporting_period.select == "started"
    kinds = {o.name: (o.kind, spec.outcome_kind(o)) for o in spec.outcomes}
    assert kinds == {
        "Accommodation secured": ("binary", "people"),
        "Sustained for 6 months": ("binary", "people"),
        "Rent arrears": ("money", "people"),
        "Housing stability": ("scale", "readings"),
        "Homelessness presentations": ("count", "series"),
    }
    # Every column the spec names is in its file; no personal column is named anywhere.
    named: dict[str, set[str]] = {n: set(s.columns.values()) for n, s in spec.sources.items()}
    named["clients"] |= set(people.recodes) | {c.column for c in spec.characteristics}
    for o in spec.outcomes:
        source = spec.outcome_source(o)
        if spec.outcome_kind(o) == "readings":
            named[source].add(o.column)
        else:
            named[source] |= {c for c in (o.before, o.after, o.population) if c}
    for name, columns in named.items():
        assert columns <= set(_header(spec, name)), name
    assert not set(hp.PERSONAL_COLUMNS) & set().union(*named.values())
    # The occasions named by the readings outcome exist in the sheet.
    stability = next(o for o in spec.outcomes if o.name == "Housing stability")
    assert (stability.before, stability.after) == ("Intake", "Exit")


def test_template_is_shipped_with_a_source_record() -> None:
    record = source_of(hp.TEMPLATE)
    assert record["source"] and record["vintage"] and "verified" in record


# -- the planted truths, recovered from the files --------------------------------------------


def test_stability_gain_from_intake_to_exit(clients, readings, truth) -> None:
    scores = readings.assign(score=readings["Housing Stability Score"].astype(float))
    wide = scores.pivot_table(index="Client Ref", columns="Assessment", values="score")
    wide = wide.join(clients.set_index("Client Ref")["District"])
    change = (wide["Exit"] - wide["Intake"]).dropna()
    districts = wide.loc[change.index, "District"]
    for t in truth["localities"].values():
        got = change[districts == t["name"]]
        tolerance = max(0.3, 3 * got.std() / np.sqrt(len(got)))
        assert abs(got.mean() - t["stability_gain"]) < tolerance, (t["name"], got.mean())


def test_share_with_accommodation_secured_and_sustained(clients, truth) -> None:
    for code, t in truth["localities"].items():
        answers = _district(clients, truth, code)["Accommodation Secured"]
        known = answers[answers.isin(["Yes", "No"])]
        p = t["accommodation_secured_share"]
        got = (known == "Yes").mean()
        assert abs(got - p) < 3 * np.sqrt(p * (1 - p) / len(known)), (t["name"], got)
    secured = clients[clients["Accommodation Secured"] == "Yes"]["Sustained 6 Months"]
    known = secured[secured.isin(["Yes", "No"])]
    p = truth["sustained_given_secured"]
    assert abs((known == "Yes").mean() - p) < 3 * np.sqrt(p * (1 - p) / len(known))
    # Not due yet: support ended less than six months before the extract.
    ended = pd.to_datetime(clients["Support End"], format="%d/%m/%Y")
    recent = ended > pd.Timestamp(truth["extract_date"]) - pd.Timedelta(days=183)
    assert clients.loc[recent, "Sustained 6 Months"].isna().all()


def test_rent_arrears_fall(clients, truth) -> None:
    start = pd.to_numeric(clients["Rent Arrears At Start (£)"])
    end = pd.to_numeric(clients["Rent Arrears At End (£)"], errors="coerce")  # N/A, open
    for t in truth["localities"].values():
        rows = (clients["District"] == t["name"]) & (start > 0) & end.notna()
        s, e = start[rows], end[rows]
        ratio = e.sum() / s.sum()
        se = np.sqrt(((e - ratio * s) ** 2).sum()) / s.sum()
        expected = 1 - t["arrears_fall_share"]
        assert abs(ratio - expected) < max(3 * se, 0.02), (t["name"], ratio)
        assert (e <= s).all()


def test_presentation_rate_ratios_against_never_treated(series, truth) -> None:
    s = series.assign(month=pd.to_datetime(series["Month"], format="%d/%m/%Y"))
    count, households = "Homelessness Presentations", "Households"
    never = [t["name"] for t in truth["comparison_localities"].values()]
    comparison = s[s["Council"].isin(never)].groupby("month")[[count, households]].sum()
    od = truth["presentations"]["overdispersion_sd"]

    def rate(frame: pd.DataFrame, rows: np.ndarray) -> float:
        return frame[count][rows].sum() / frame[households][rows].sum()

    for t in truth["localities"].values():
        area = s[s["Council"] == t["name"]].set_index("month")
        after = np.asarray(area.index >= pd.Timestamp(t["launch"]))
        # The difference in differences of log rates removes the common trend and season.
        ratio = (rate(area, after) / rate(area, ~after)) / (
            rate(comparison, after) / rate(comparison, ~after)
        )
        counts = [f[count][rows].sum() for f in (area, comparison) for rows in (after, ~after)]
        se = np.sqrt(
            sum(1 / n for n in counts) + 2 * od**2 * (1 / after.sum() + 1 / (~after).sum())
        )
        assert abs(np.log(ratio / t["presentation_rate_ratio"])) < 3 * se, (t["name"], ratio)
    # The never-treated districts share the trend: rates rise, and neither drops at a launch.
    first, last = comparison.iloc[:12], comparison.iloc[-12:]
    assert last[count].sum() / last[households].sum() > first[count].sum() / first[households].sum()


# -- never overwrite someone else's file -----------------------------------------------------


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "raw" / "hp"
    folder.mkdir(parents=True)
    theirs = folder / hp.SPEND
    theirs.write_text("somebody's own spending file\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"spend\.csv.*not written by the homelessness"):
        _write(tmp_path)
    assert theirs.read_text(encoding="utf-8") == "somebody's own spending file\n"
    assert sorted(p.name for p in folder.iterdir()) == [hp.SPEND]  # nothing else written


def test_refuses_a_truth_json_of_another_example(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "raw" / "hp"
    folder.mkdir(parents=True)
    other = {"programme": "family-support", "files": [hp.WORKBOOK]}
    (folder / "truth.json").write_text(json.dumps(other), encoding="utf-8")
    (folder / hp.WORKBOOK).write_bytes(b"not ours")
    with pytest.raises(DataError, match=r"hp_export\.xlsx"):
        _write(tmp_path)
    assert (folder / hp.WORKBOOK).read_bytes() == b"not ours"


def test_rewrites_its_own_files_and_leaves_others_alone(tmp_path: Path) -> None:
    spec_path = _write(tmp_path, seed=3)
    folder = spec_path.parent
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    before = (folder / hp.SERIES).read_bytes()
    assert _write(tmp_path) == spec_path  # the default seed over the example's own files
    assert (folder / hp.SERIES).read_bytes() != before
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not list(folder.glob(".*.tmp"))
    assert json.loads((folder / "truth.json").read_text(encoding="utf-8"))["seed"] == 2025
