"""Failure isolation: a report that raises, hangs, kills its kernel or its worker fails alone.

Real papermill and real Jupyter kernels, on a small probe notebook (see ``_reports.py``) whose
behaviour for each locality is set in ``behaviour.json``, so the notebook's source (and so the
cache key) stays the same between runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from _reports import THREE, behave, cli, probe_project, project_root
from evalkit.config import load_spec
from evalkit.reports import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

BAD, GOOD = THREE[0], THREE[1:]


@pytest.fixture(scope="module")
def failed_after_good(tmp_path_factory: pytest.TempPathFactory):
    """A good run of three localities, then a forced rerun (CLI) where the first one raises."""
    spec_path = probe_project(tmp_path_factory.mktemp("isolation"))
    spec = load_spec(spec_path)
    first = run(spec, progress=False, workers=2)
    assert first.exit_code == 0, first.failures
    before = (spec.output_folder / f"{BAD}.html").read_bytes()
    behave(spec_path, {BAD: "raise"})
    done = cli(["run", str(spec_path), "--force", "--no-progress"], cwd=project_root(spec_path))
    return spec, before, done


def test_one_failure_exits_1_and_prints_locality_cell_and_error(failed_after_good) -> None:
    _, _, done = failed_after_good
    assert done.returncode == 1, done.stderr
    assert "2 report(s) written, 0 unchanged, 1 failed" in done.stdout
    failed = [line for line in done.stderr.splitlines() if "FAILED" in line]
    assert len(failed) == 1
    assert BAD in failed[0] and "at cell" in failed[0]
    assert "ValueError: planted failure for E08000012" in failed[0]
    assert "Traceback" not in done.stderr


def test_the_others_complete(failed_after_good) -> None:
    spec, _, _ = failed_after_good
    manifest = json.loads((spec.output_folder / "manifest.json").read_text())
    status = {r["locality"]: r["status"] for r in manifest["reports"]}
    assert status == {BAD: "failed", **dict.fromkeys(GOOD, "ok")}


def test_failures_written_to_manifest_failures_json_and_run_log(failed_after_good) -> None:
    spec, _, _ = failed_after_good
    folder = spec.output_folder
    manifest = json.loads((folder / "manifest.json").read_text())
    (failure,) = manifest["failures"]
    assert failure["locality"] == BAD and failure["locality_name"] == "Liverpool"
    assert isinstance(failure["cell"], int)
    assert failure["error"] == "ValueError: planted failure for E08000012"
    assert json.loads((folder / "failures.json").read_text()) == manifest["failures"]
    run_log = (folder / "_logs" / "run.log").read_text()
    last = run_log[run_log.rindex("=== run started") :]
    assert f"failed   programme_report/{BAD}" in last and "planted failure" in last
    assert "2 ran, 0 skipped (unchanged), 1 failed" in last


def test_failed_notebook_is_kept_with_its_error(failed_after_good) -> None:
    spec, _, _ = failed_after_good
    kept = spec.output_folder / "_failed" / "programme_report" / f"{BAD}.ipynb"
    nb = nbformat.read(kept, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["evalue"] == "planted failure for E08000012"


def test_previous_good_report_is_kept_byte_identical_and_the_index_says_so(
    failed_after_good,
) -> None:
    spec, before, _ = failed_after_good
    assert (spec.output_folder / f"{BAD}.html").read_bytes() == before
    manifest = json.loads((spec.output_folder / "manifest.json").read_text())
    entry = next(r for r in manifest["reports"] if r["locality"] == BAD)
    assert entry["previous_report_kept"] and entry["html"] == f"{BAD}.html"
    index = (spec.output_folder / "index.html").read_text()
    assert "Failed: see above (the previous report is shown)" in index
    assert "1 report(s) failed" in index
    assert not list(spec.output_folder.glob(".*.tmp"))  # no half-written files left


def test_a_failed_report_is_rerun_next_time_even_if_nothing_changed(failed_after_good) -> None:
    spec, _, _ = failed_after_good
    behave(spec.source, {})
    again = run(spec, progress=False, workers=2)
    status = {o.locality: o.status for o in again.outcomes}
    assert status == {BAD: "ok", **dict.fromkeys(GOOD, "skipped")}
    assert json.loads((spec.output_folder / "failures.json").read_text()) == []


def test_hung_report_times_out_and_dead_kernel_fails_alone(tmp_path: Path) -> None:
    spec_path = probe_project(tmp_path)
    behave(spec_path, {THREE[0]: "hang", THREE[1]: "die"})
    done = cli(
        ["run", str(spec_path), "--timeout", "12", "--no-progress"], cwd=project_root(spec_path)
    )
    assert done.returncode == 1, done.stderr
    manifest = json.loads((load_spec(spec_path).output_folder / "manifest.json").read_text())
    by = {r["locality"]: r for r in manifest["reports"]}
    assert by[THREE[2]]["status"] == "ok"
    assert by[THREE[0]]["status"] == "failed" and "timed out" in by[THREE[0]]["error"]
    assert "limit of 12 s" in by[THREE[0]]["error"]
    # The hang sleeps 600 s and cli() gives up after 300 s, so the run ending at all shows the
    # 12 s limit stopped it; how long it took is no assert (it flakes on a loaded machine).
    assert by[THREE[1]]["status"] == "failed" and "kernel died" in by[THREE[1]]["error"]
    assert by[THREE[0]]["cell"] is not None and by[THREE[1]]["cell"] is not None
    assert "Traceback" not in done.stderr


def test_worker_killed_mid_run_fails_that_report_only(tmp_path: Path) -> None:
    spec_path = probe_project(tmp_path)
    behave(spec_path, {THREE[0]: "kill-worker"})
    result = run(load_spec(spec_path), progress=False, workers=2)
    status = {o.locality: o.status for o in result.outcomes}
    assert status == {THREE[0]: "failed", THREE[1]: "ok", THREE[2]: "ok"}
    (failure,) = result.failures
    assert "worker process died" in failure.error
    assert result.exit_code == 1
