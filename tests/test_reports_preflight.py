"""Pre-flight: bad notebooks, parameters and localities stop the run before any kernel starts.

Each case runs ``evalkit run`` in a subprocess and expects one line on standard error naming the
problem, exit status 2, no traceback, and nothing under ``reports/``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from _needs import need
from _reports import BEHAVIOUR, cli, notebook, project_root, set_reports
from evalkit.config import load_spec
from evalkit.exceptions import ConfigError
from evalkit.reports import plan, preflight

TWO = ["E08000012", "E06000017"]


def _one_line_exit_2(spec_path: Path, expected: list[str]) -> None:
    root = project_root(spec_path)
    done = cli(["run", str(spec_path), "--no-progress"], cwd=root, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("evalkit: error:")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    assert not (root / "reports").exists()


def _with_notebook(spec_path: Path, nb: nbformat.NotebookNode) -> Path:
    path = project_root(spec_path) / "notebooks" / "bad.ipynb"
    nbformat.write(nb, path)
    set_reports(spec_path, "notebooks/bad.ipynb", TWO)
    return path


def test_notebook_without_parameters_cell(fresh_project: Path) -> None:
    _with_notebook(fresh_project, notebook([BEHAVIOUR], parameters=None))
    _one_line_exit_2(fresh_project, ["bad.ipynb", "no cell tagged 'parameters'"])


def test_misspelt_parameter(fresh_project: Path) -> None:
    params = 'spec_path: str = ""\nlocalty: str = "E08000012"\nperiod: str = ""'
    _with_notebook(fresh_project, notebook(["print(localty)"], parameters=params))
    _one_line_exit_2(fresh_project, ["'locality' is not declared", "localty"])


def test_parameter_of_wrong_type(fresh_project: Path) -> None:
    params = 'spec_path: str = ""\nlocality: str = "E08000012"\nperiod: int = 2024'
    _with_notebook(fresh_project, notebook(["print(period)"], parameters=params))
    _one_line_exit_2(fresh_project, ["'period'", "value ''", "expected int"])


def test_locality_with_no_data(fresh_project: Path) -> None:
    raw = yaml.safe_load(fresh_project.read_text())
    raw["localities"] = [*raw["localities"], "E06000001"]  # Hartlepool: no rows in the demo
    raw["launches"]["E06000001"] = "2022-04-01"
    fresh_project.write_text(yaml.safe_dump(raw, sort_keys=False))
    _one_line_exit_2(fresh_project, ["no people served in locality E06000001 (Hartlepool)"])


def test_unknown_locality_on_the_command_line(fresh_project: Path) -> None:
    root = project_root(fresh_project)
    done = cli(["run", str(fresh_project), "--locality", "E06000001"], cwd=root, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'E06000001' is not in" in done.stderr
    assert not (root / "reports").exists()


def test_locality_codes_stay_strings_and_match_a_str_parameter(fresh_project: Path) -> None:
    spec = load_spec(fresh_project)
    jobs = plan(spec, TWO)
    preflight(jobs)  # no error: codes such as E06000017 are strings, as the notebook declares
    assert all(isinstance(j.parameters["locality"], str) for j in jobs)


def test_preflight_error_names_notebook_parameter_value_and_type(fresh_project: Path) -> None:
    params = 'spec_path: str = ""\nlocality: int = 0\nperiod: str = ""'
    path = _with_notebook(fresh_project, notebook(["print(locality)"], parameters=params))
    jobs = plan(load_spec(fresh_project), ["E06000017"])
    with pytest.raises(ConfigError) as err:
        preflight(jobs)
    message = str(err.value)
    assert str(path) in message and "'locality'" in message
    assert "'E06000017'" in message and "expected int" in message


def test_bad_cli_options_exit_2(fresh_project: Path) -> None:
    root = project_root(fresh_project)
    done = cli(["run", str(fresh_project), "--timeout", "0"], cwd=root, timeout=120)
    assert done.returncode == 2 and "timeout 0" in done.stderr and "Traceback" not in done.stderr
    done = cli(["run", str(fresh_project), "--format", "docx"], cwd=root, timeout=120)
    assert done.returncode == 2 and "invalid choice: 'docx'" in done.stderr
    assert not (root / "reports").exists()


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_full_disk_is_one_line_exit_2_and_no_partial_report(tmp_path) -> None:
    # A real full disk: a 64 KiB tmpfs as the report folder (needs root, as on the CI machine).
    import subprocess

    from conftest import make_project

    spec_path = make_project(tmp_path / "project")
    small = tmp_path / "small-disk"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        need(False, f"cannot mount a small tmpfs here ({mounted.stderr.strip()})")
    try:
        raw = yaml.safe_load(spec_path.read_text())
        raw["output_dir"] = str(small)
        raw["allow_outside"] = True  # the small disk is outside the project on purpose
        raw["reports"] = raw["reports"][:1]
        spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
        done = cli(
            ["run", str(spec_path), "--locality", "E08000012", "--no-progress"],
            cwd=tmp_path / "project",
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "disk full" in done.stderr and len(done.stderr.strip().splitlines()) <= 2
        report = small / "family-support" / "E08000012.html"
        assert not report.exists()
        leftovers = [p.name for p in (small / "family-support").glob("*.html*")]
        assert leftovers == []  # no half-written report or temporary file
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_parameters_are_read_as_papermill_reads_them(tmp_path: Path) -> None:
    """evalkit reads a notebook's parameters without importing papermill (an unchanged rerun
    needs neither it nor nbformat): the same names, declared types and defaults as papermill's
    own ``inspect_notebook``, for every notebook shipped and for the forms a parameters cell
    takes (annotations, none, comments, a default over several lines)."""
    import ast

    import papermill

    from conftest import REPO
    from evalkit.reports.plan import notebook_parameters

    def value(default: str) -> object:
        try:  # papermill joins a default written over several lines without its line breaks
            return ast.literal_eval(default)
        except (ValueError, SyntaxError):
            return default

    def view(params: dict) -> dict:
        return {k: (v["inferred_type_name"], value(v["default"])) for k, v in params.items()}

    odd = tmp_path / "odd.ipynb"
    cell = nbformat.v4.new_code_cell(
        'spec_path: str = "spec.yaml"  # the spec\n'
        "locality = 'E08000012'\n"
        "# a comment line\n"
        "period: str = ''\n"
        "draws: int = 1_000\n"
        "weights: dict = {\n    'a': 1,\n    'b': 2,\n}\n"
        "flag: bool = False\n"
    )
    cell.metadata["tags"] = ["parameters"]
    kernel = {
        "kernelspec": {"name": "evalkit", "display_name": "Python (evalkit)", "language": "python"}
    }
    nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata=kernel), odd)
    notebooks = [*sorted((REPO / "notebooks").glob("*.ipynb")), odd]
    assert len(notebooks) >= 6
    for path in notebooks:
        assert view(notebook_parameters(path)) == view(papermill.inspect_notebook(str(path))), path
