"""Committed notebooks carry no outputs; each report notebook declares its parameters."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from evalkit.reports.plan import notebook_parameters

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


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


@pytest.mark.parametrize(
    "name",
    [
        "programme_report.ipynb",
        "locality_comparison.ipynb",
        "learning_review.ipynb",
        "social_value.ipynb",
    ],
)
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
