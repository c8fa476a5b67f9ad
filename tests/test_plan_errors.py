"""Bad plans and bad data through the real command: one line, exit 2, nothing under reports/.

Each case is a mistake a user makes when writing a spec for their own export: a mapped column
missing from the file, a recode that leaves labels uncovered, a date not in the declared format,
an outcome whose kind does not fit its values, a design that needs a role the data lack.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from _reports import cli
from test_intake_mapping import HEADER, _project, _rows

REPO = Path(__file__).resolve().parents[1]


def _change_rows(change):
    rows = _rows()
    change(rows)
    return rows


CASES = {
    "mapped column missing": (
        {"header": ["Start" if h == "Support Start" else h for h in HEADER]},
        None,
        ["column 'Support Start' named in spec field sources.clients.columns.start_date"],
    ),
    "recode leaves a label": (
        {"rows": _change_rows(lambda r: r[3].__setitem__(7, "Possibly"))},
        None,
        ["row 5, column 'Housed At Exit': value 'Possibly'", "sources.clients.recodes"],
    ),
    "date not in the declared format": (
        {"rows": _change_rows(lambda r: r[6].__setitem__(3, "2024-02-30"))},
        None,
        ["row 8, column 'Support Start': value '2024-02-30'", "dd/mm/yyyy"],
    ),
    "outcome kind does not fit": (
        {"rows": _change_rows(lambda r: r[2].__setitem__(9, "lots"))},
        None,
        ["row 4, column 'Arrears End': value 'lots'", "outcomes[1].after"],
    ),
    "design needs a missing role": (
        {},
        lambda raw: raw.update(designs={"comparison_group": True}),
        ["designs.comparison_group", "'group'"],
    ),
    "outcome on a source that does not exist": (
        {},
        lambda raw: raw["outcomes"][0].update(source="readings"),
        ["outcomes[0].source", "'readings' is not a source"],
    ),
    "scale without its range": (
        {},
        lambda raw: raw["outcomes"][1].update(kind="scale"),
        ["outcomes[1].range", "a scale needs its range"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_plan_or_export_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    files, edit, expected = CASES[case]
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    spec_path = _project(tmp_path, **files)
    if edit is not None:
        raw = yaml.safe_load(spec_path.read_text())
        edit(raw)
        spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    for command in (["validate", str(spec_path)], ["run", str(spec_path), "--no-progress"]):
        done = cli(command, cwd=tmp_path, timeout=120)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("evalkit: error:")
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        for words in expected:
            assert words in done.stderr, done.stderr
    assert not (tmp_path / "reports").exists()
    assert not (tmp_path / "data" / "processed" / "housing-advice").exists()
