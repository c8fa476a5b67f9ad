"""Incremental reruns and logs: only what changed is rerun; logs are complete and free of noise.

One probe project (three localities, real kernels) is shared by the tests; each test first brings
it up to date (:func:`_settled`: a run, so whatever an earlier test changed is rerun), then makes
one change and checks which reports ran. The tests therefore pass in any order (pytest-randomly).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from _reports import THREE, cli, probe_project, project_root
from evalkit.config import load_spec
from evalkit.reports import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    spec = load_spec(probe_project(tmp_path_factory.mktemp("cache")))
    first = run(spec, progress=False, workers=2)
    assert first.exit_code == 0, first.failures
    return spec


def _statuses(spec, **kwargs) -> dict[str, str]:
    result = run(spec, progress=False, workers=2, **kwargs)
    assert result.exit_code == 0, result.failures
    return {o.locality: o.status for o in result.outcomes}


def _settled(spec):
    """``spec`` after a run, so that every report is up to date whatever ran before."""
    _statuses(spec)
    return spec


def _notebook(spec):
    return spec.project_root / "notebooks" / "probe.ipynb"


def test_rerun_with_nothing_changed_skips_all(project) -> None:
    _settled(project)
    assert set(_statuses(project).values()) == {"skipped"}


def test_changing_one_localitys_data_reruns_only_that_locality(project) -> None:
    _settled(project)
    path = project.data_files()["service_users"]
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["locality_code"] == THREE[1] and r["wellbeing_end"])
    row["wellbeing_end"] = "20" if row["wellbeing_end"] != "20" else "21"  # within 7-35
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    statuses = _statuses(project)
    assert statuses == {THREE[0]: "skipped", THREE[1]: "ok", THREE[2]: "skipped"}


def test_output_only_changes_to_the_notebook_do_not_invalidate(project) -> None:
    _settled(project)
    nb = nbformat.read(_notebook(project), as_version=4)
    code = nb.cells[-1]
    code.execution_count = 42
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="left over\n")]
    code.metadata["scrolled"] = True
    nb.metadata["celltoolbar"] = "Tags"
    nbformat.write(nb, _notebook(project))
    assert set(_statuses(project).values()) == {"skipped"}


def test_changing_the_notebook_source_reruns_all(project) -> None:
    _settled(project)
    nb = nbformat.read(_notebook(project), as_version=4)
    nb.cells[-1].source += "\n# a changed line"
    nbformat.write(nb, _notebook(project))
    assert set(_statuses(project).values()) == {"ok"}


def test_force_reruns_all(project) -> None:
    _settled(project)
    assert set(_statuses(project).values()) == {"skipped"}
    assert set(_statuses(project, force=True).values()) == {"ok"}


def test_one_log_per_locality_without_the_transport_warning(project) -> None:
    logs = project.output_folder / "_logs" / "programme_report"
    assert sorted(p.stem for p in logs.glob("*.log")) == sorted(THREE)
    for path in logs.glob("*.log"):
        text = path.read_text()
        assert "Executing notebook with kernel: evalkit" in text
        assert "without encryption" not in text


def test_run_log_records_what_ran_was_skipped_and_timings(tmp_path) -> None:
    # A project of its own: the shared one's log depends on which tests ran before (xdist).
    spec = load_spec(probe_project(tmp_path))
    assert set(_statuses(spec).values()) == {"ok"}
    assert set(_statuses(spec).values()) == {"skipped"}
    text = (spec.output_folder / "_logs" / "run.log").read_text()
    blocks = text.split("=== run started")[1:]
    assert len(blocks) == 2  # every run appends one block
    first, skipped = blocks
    assert "workers=2" in first and "mode=fresh kernel per report" in first
    assert "3 ran, 0 skipped (unchanged), 0 failed" in first
    assert f"skipped  programme_report/{THREE[0]}" in skipped
    assert " s\n" in first and "=== run finished" in first


def test_cli_terminal_output_has_no_transport_warning(project) -> None:
    root = project_root(project.source)
    done = cli(["run", str(project.source), "--force", "--fast", "--jobs", "2"], cwd=root)
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr + done.stdout
    assert "3 report(s) written, 0 unchanged, 0 failed" in done.stdout
    manifest = json.loads((project.output_folder / "manifest.json").read_text())
    assert manifest["counts"] == {"ok": 3, "skipped": 0, "failed": 0}


def test_side_inputs_fingerprint_sees_files_beside_the_spec_and_the_learning_log(fresh_project):
    from evalkit.config import load_spec
    from evalkit.demo import load_demo_reflections
    from evalkit.learning import ReflectionStore
    from evalkit.reports.cache import side_inputs_fingerprint

    spec = load_spec(fresh_project)
    store = load_demo_reflections(fresh_project)
    before = side_inputs_fingerprint(spec.source, store)
    with ReflectionStore(store) as opened:  # reading the log changes nothing
        opened.shareable()
    assert side_inputs_fingerprint(spec.source, store) == before
    bids = fresh_project.parent / "social_value_bids.csv"
    bids.write_text(bids.read_text().replace("Oakfield", "Oakvale", 1))
    after_bids = side_inputs_fingerprint(spec.source, store)
    assert after_bids[str(bids)] != before[str(bids)]
    with ReflectionStore(store) as opened:
        record = opened.shareable().iloc[0]
        opened.update(int(record["id"]), {"what_we_learned": "Something new."}, by="tester")
    assert side_inputs_fingerprint(spec.source, store)[str(store)] != after_bids[str(store)]


def test_package_fingerprint_is_the_documented_digest_and_covers_reference_data(tmp_path):
    import hashlib
    import shutil

    import evalkit
    from evalkit.reports.cache import package_fingerprint, tree_fingerprint

    # A copy of the package, fingerprinted by the function and by hashlib as documented.
    copy = tmp_path / "evalkit"
    shutil.copytree(
        Path(evalkit.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    digest = hashlib.sha256()
    for path in sorted(p for p in copy.rglob("*") if p.is_file()):
        digest.update(path.relative_to(copy).as_posix().encode("utf-8"))
        digest.update(path.read_bytes())
    assert tree_fingerprint(copy) == digest.hexdigest() == package_fingerprint()

    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert tree_fingerprint(copy) == digest.hexdigest()  # caches are left out

    reference = sorted((copy / "reference").glob("*.csv"))[0]
    reference.write_bytes(reference.read_bytes() + b"\n")
    changed = tree_fingerprint(copy)
    assert changed != digest.hexdigest()  # reference data counts, not only code
    reference.rename(reference.with_name("renamed.csv"))
    assert tree_fingerprint(copy) != changed  # so does a file's name


def test_notebook_source_hash_reads_json_as_nbformat_does(tmp_path: Path) -> None:
    """The hash read from a notebook's JSON equals the one from nbformat's reading (cell types,
    sources joined, tags): caches made before stay valid; a version-3 notebook still hashes."""
    import hashlib

    from conftest import REPO
    from evalkit.reports.cache import notebook_source_hash

    def through_nbformat(path: Path) -> str:
        nb = nbformat.read(path, as_version=4)
        cells = [
            (c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", []))) for c in nb.cells
        ]
        return hashlib.sha256(json.dumps(cells).encode("utf-8")).hexdigest()

    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 6
    for path in notebooks:
        assert notebook_source_hash(path) == through_nbformat(path), path.name
    old = tmp_path / "v3.ipynb"
    nbformat.write(
        nbformat.v3.new_notebook(
            worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell("x = 1")])]
        ),
        old,
        version=3,
    )
    assert notebook_source_hash(old) == through_nbformat(old)
