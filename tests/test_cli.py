"""The evalkit command: help with examples, clear one-line errors with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from _reports import cli
from evalkit.cli import build_parser, main


def _run(args: list[str], cwd: Path | None = None):
    return cli(args, cwd=cwd or Path.cwd())


def test_every_command_has_help_with_examples() -> None:
    parser = build_parser()
    assert "examples:" in parser.format_help()
    commands = parser._subparsers._group_actions[0].choices
    assert {"demo", "validate", "run"} <= set(commands)
    for name, sub in commands.items():
        assert "examples:" in sub.format_help(), name


def test_help_runs_from_the_shell() -> None:
    done = _run(["--help"])
    assert done.returncode == 0 and "evalkit run" in done.stdout


def test_demo_then_validate(tmp_path: Path) -> None:
    done = _run(["demo", "--dir", str(tmp_path / "demo")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "family-support.yaml" in done.stdout
    done = _run(["validate", str(tmp_path / "demo" / "family-support.yaml")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "programme spec OK" in done.stdout and "service_users:" in done.stdout
    spec = str(tmp_path / "demo" / "family-support.yaml")
    done = _run(["validate", str(tmp_path / "demo" / "reviews.csv"), "--spec", spec], cwd=tmp_path)
    assert done.returncode == 0 and "rows OK as source 'reviews'" in done.stdout, done.stderr


def test_validating_a_workbook_checks_every_sheet_the_spec_reads(tmp_path: Path) -> None:
    # a user trial: a workbook with a people sheet and a costs sheet was checked on one sheet
    done = _run(["demo", "--example", "homelessness-prevention", "--dir", "hp"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    workbook, spec = (
        tmp_path / "hp" / "hp_export.xlsx",
        tmp_path / "hp" / "homelessness-prevention.yaml",
    )
    done = _run(["validate", str(workbook), "--spec", str(spec)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert "sheet 'Clients'" in lines[0] and "as source 'clients' (people)" in lines[0]
    assert "sheet 'Outcome Readings'" in lines[1] and "as source 'readings'" in lines[1]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.update(localites=r.pop("localities")), "did you mean 'localities'"),
        (lambda r: r["localities"].append("E99999999"), "E99999999"),
        (
            lambda r: r["sources"]["service_users"].update(file="data/raw/demo/missing.csv"),
            "not found",
        ),
    ],
)
def test_bad_spec_gives_one_line_exit_2_no_traceback_and_no_reports(
    fresh_project: Path, change, expected: str
) -> None:
    raw = yaml.safe_load(fresh_project.read_text())
    change(raw)
    fresh_project.write_text(yaml.safe_dump(raw))
    root = fresh_project.parents[3]
    done = _run(["run", str(fresh_project), "--no-progress"], cwd=root)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("evalkit: error:") and expected in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2
    assert not (root / "reports").exists()


def test_bad_data_file_exits_2_naming_row_and_column(fresh_project: Path) -> None:
    path = fresh_project.parent / "service_users.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("wellbeing_start")] = "high"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    root = fresh_project.parents[3]
    done = _run(["run", str(fresh_project), "--no-progress"], cwd=root)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "row 4, column 'wellbeing_start': value 'high'" in done.stderr
    assert not (root / "reports").exists()


def test_validate_a_data_file_without_a_spec_points_to_init(tmp_path: Path, capsys) -> None:
    path = tmp_path / "export.csv"
    path.write_text("a,b\n1,2\n")
    assert main(["validate", str(path)]) == 2
    assert "evalkit init" in capsys.readouterr().err
