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


@pytest.mark.parametrize("name", ["programme_report.ipynb"])
def test_report_notebooks_declare_the_pipeline_parameters(name: str) -> None:
    params = notebook_parameters(REPO / "notebooks" / name)
    assert {"spec_path", "locality", "period"} <= set(params)
    assert all(
        params[p]["inferred_type_name"] == "str" for p in ("spec_path", "locality", "period")
    )
