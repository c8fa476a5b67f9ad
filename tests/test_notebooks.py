"""Committed notebooks carry no outputs, declare the project's kernel and their parameters, check
those parameters first, and the report notebooks carry Quarto front matter."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from evalkit.reports.plan import notebook_parameters

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
REPORTS = [
    "programme_report.ipynb",
    "locality_comparison.ipynb",
    "learning_review.ipynb",
    "social_value.ipynb",
]
KERNELSPEC = {"name": "evalkit", "display_name": "Python (evalkit)", "language": "python"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs_or_execution_counts(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], (
                f"{path.name}: a cell has outputs (they can carry personal data)"
            )
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_declares_the_projects_kernel(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert dict(nb.metadata.kernelspec) == KERNELSPEC, path.name


def _parameters_cell(nb: nbformat.NotebookNode) -> int:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged 'parameters'"
    return tagged[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_code_cell_after_the_parameters_checks_them(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    after = next(c for c in nb.cells[_parameters_cell(nb) + 1 :] if c.cell_type == "code")
    assert "reports.check_parameters(globals()" in after.source, path.name
    # the check reads each parameter's type from its annotation, as papermill's inspection does
    for name, param in notebook_parameters(path).items():
        assert param["inferred_type_name"] in {"str", "int", "float", "bool"}, (path.name, name)


@pytest.mark.parametrize("name", REPORTS)
def test_report_notebooks_carry_quarto_front_matter_that_hides_code(name: str) -> None:
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "raw"
    assert first.source.startswith("---\n") and first.source.rstrip().endswith("---")
    front = yaml.safe_load(first.source.strip().strip("-"))
    assert front["title"]
    assert front["execute"] == {"enabled": True, "echo": False, "warning": False}
    assert front["format"]["html"]["embed-resources"] is True  # self-contained, as evalkit's
    # evalkit's HTML export leaves out cells tagged 'remove' (papermill and nbconvert run no raw
    # cell); Quarto leaves out cells tagged 'remove-cell'
    assert "remove" in first.metadata.get("tags", [])
    for cell in nb.cells:
        if "remove" in cell.metadata.get("tags", []) and cell.cell_type == "markdown":
            assert "remove-cell" in cell.metadata["tags"], name


@pytest.mark.parametrize("name", REPORTS)
def test_report_notebooks_declare_the_pipeline_parameters(name: str) -> None:
    params = notebook_parameters(REPO / "notebooks" / name)
    assert {"spec_path", "locality", "period"} <= set(params)
    assert all(
        params[p]["inferred_type_name"] == "str" for p in ("spec_path", "locality", "period")
    )


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_getting_started_runs_top_to_bottom_and_shows_the_planted_effect(tmp_path: Path) -> None:
    import papermill

    out = tmp_path / "getting_started.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "getting_started.ipynb"),
        str(out),
        kernel_name="evalkit",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    text = "".join(
        o.get("text", "")
        for c in nbformat.read(out, as_version=4).cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    assert "The service is estimated to have raised wellbeing" in text
    assert "level-3 design" in text and "Planted effect: 3.0" in text
    assert "NET of deadweight" in text and "suppressed" in text
