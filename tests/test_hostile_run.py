"""Hostile and careless use of ``evalkit run``: one line, the right exit status, nothing lost.

Every case runs the real command (``python -m evalkit.cli`` under the interpreter running the
tests) and checks the exact exit status, that standard error is one line without a traceback, and
that the reports already in the programme's folder (manifest, index, pages) are unchanged. The
cases that run reports use real kernels on a small notebook that waits while a file
``hold-<locality>`` exists in the project folder, so a test can keep a report running for as long
as it needs (to signal the run, or to let another run finish first) without timing anything.

Processes are found through ``/proc``: each run gets an environment variable with a tag of its
own, which its workers and kernels inherit, so a process left behind is one still carrying it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from _reports import SHOW, THREE, notebook, set_reports
from conftest import make_project

L1, L2, L3 = THREE
EVALKIT = [sys.executable, "-m", "evalkit.cli"]
TAG = "EVALKIT_HOSTILE_RUN_TAG"
#: Seconds to wait for something that takes one or two in an idle machine (never asserted on).
PATIENCE = 180

HOLD = """\
import pathlib, time
_hold = pathlib.Path(f"hold-{locality}")
for _ in range(3000):
    if not _hold.exists():
        break
    time.sleep(0.1)
"""

linux_only = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="finds processes through Linux's /proc"
)


def _env(tmp: Path, tag: str = "") -> dict[str, str]:
    """The test's environment, with a temporary folder of its own and the run's tag."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp), TAG: tag or uuid.uuid4().hex}


def _evalkit(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALKIT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or os.environ.copy(),
        timeout=PATIENCE * 2,
    )


def _start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``evalkit ARGS`` started in a session of its own (so signals reach only it)."""
    return subprocess.Popen(
        [*EVALKIT, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _one_line(returncode: int, stderr: str, status: int, expected: str) -> None:
    """Exit ``status``, and ``expected`` in a standard error of one line without a traceback."""
    assert returncode == status, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert expected in stderr, stderr


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _tagged(tag: str, command: bytes = b"") -> list[int]:
    """Live processes that carry ``tag`` (and whose command line holds ``command``)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes().split(b"\0")
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:  # exited, or not ours
            continue
        if f"{TAG}={tag}".encode() in environ and command in cmdline:
            found.append(int(entry.name))
    return found


def _kernels(tag: str) -> list[int]:
    """Live report kernels that carry ``tag``: started as ``ipykernel``, or forked by a zygote
    (whose command line they keep)."""
    found = []
    for pid in _tagged(tag):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            parent_cmdline = Path(f"/proc/{parent}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ipykernel" in cmdline or b"evalkit.reports.zygote" in parent_cmdline:
            found.append(pid)
    return found


def _until(condition: Callable[[], object], what: str) -> None:
    """Wait until ``condition()`` holds (polling); fail saying ``what`` after :data:`PATIENCE`."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {PATIENCE} s: {what}")
        time.sleep(0.2)


def _without_logs(snapshot: dict[str, bytes]) -> dict[str, bytes]:
    """A report folder's files but the logs (a stopped report's own log may be new)."""
    return {k: v for k, v in snapshot.items() if "_logs" not in k.split("/")}


def _manifest_keys(folder: Path) -> list[str]:
    return [r["key"] for r in json.loads((folder / "manifest.json").read_text())["reports"]]


# --- options and paths refused before anything runs ------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project with reports from an earlier run in its folder; returns (spec, project root).

    The earlier reports are written by hand: the cases here are refused before any report runs,
    so only their bytes matter.
    """
    root = tmp_path_factory.mktemp("hostile-run")
    spec = make_project(root)
    nbformat.write(notebook([HOLD, SHOW]), root / "notebooks" / "held.ipynb")
    set_reports(spec, "notebooks/held.ipynb", THREE)
    folder = root / "reports" / "family-support"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"reports": [{"key": "programme_report/E08000014"}]}')
    (folder / "index.html").write_text("<h1>the index of an earlier run</h1>")
    (folder / f"{L3}.html").write_text("<h1>an earlier report</h1>")
    return spec, root


BAD_OPTIONS = [
    (["--jobs", "0"], "argument --jobs: '0' is not a whole number of 1 or more"),
    (["--jobs", "-1"], "argument --jobs: '-1' is not a whole number of 1 or more"),
    (["--jobs", "x"], "argument --jobs: 'x' is not a whole number of 1 or more"),
    (["--jobs", "1.5"], "argument --jobs: '1.5' is not a whole number of 1 or more"),
    (["--jobs", ""], "argument --jobs: '' is not a whole number of 1 or more"),
    (["--jobs"], "argument --jobs: expected one argument"),
    (["--timeout", "0"], "timeout 0 is not a positive number of seconds"),
    (["--timeout", "-5"], "timeout -5 is not a positive number of seconds"),
    (["--timeout", "soon"], "argument --timeout: invalid int value: 'soon'"),
    (["--locality", "E99999999"], "locality 'E99999999' is not in"),
    (["--locality", L2, "--locality", "E99999999"], "locality 'E99999999' is not in"),
    (["--locality", ""], "locality '' is not in"),
    (["--locality", L1.lower()], f"locality '{L1.lower()}' is not in"),
    (["--format", "docx"], "argument --format: invalid choice: 'docx'"),
    (["--jbos", "2"], "unrecognized arguments: --jbos 2"),
]


@pytest.mark.parametrize(
    ("args", "expected"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS]
)
def test_bad_option_is_one_line_exit_2_and_nothing_changes(project, args, expected) -> None:
    spec, root = project
    before = _snapshot(root / "reports")
    done = _evalkit(["run", str(spec), "--no-progress", *args], cwd=root)
    _one_line(done.returncode, done.stderr, 2, expected)
    assert _snapshot(root / "reports") == before


@pytest.mark.parametrize(
    ("spec_name", "expected"),
    [
        ("missing.yaml", "missing.yaml: programme spec not found"),
        ("data/raw/demo", "programme spec not found; expected a YAML file"),  # a folder
        (None, "the following arguments are required: spec"),
    ],
    ids=["missing", "folder", "none"],
)
def test_bad_spec_argument_is_one_line_exit_2(project, spec_name, expected) -> None:
    _, root = project
    before = _snapshot(root / "reports")
    done = _evalkit(["run", *([spec_name] if spec_name else []), "--no-progress"], cwd=root)
    _one_line(done.returncode, done.stderr, 2, expected)
    assert _snapshot(root / "reports") == before


def test_unreachable_scheduler_is_one_line_exit_2(project) -> None:
    spec, root = project
    before = _snapshot(root / "reports")
    # Port 9 (discard) has no Dask scheduler; without the distributed package the line says so.
    done = _evalkit(["run", str(spec), "--no-progress", "--scheduler", "tcp://127.0.0.1:9"], root)
    _one_line(done.returncode, done.stderr, 2, "scheduler")
    assert _snapshot(root / "reports") == before


@pytest.mark.parametrize("blocked", ["reports/family-support", "reports"], ids=["folder", "parent"])
def test_report_folder_that_is_a_file_is_found_before_anything_runs(tmp_path, blocked) -> None:
    root = tmp_path / "project"
    spec = make_project(root)
    (root / blocked).parent.mkdir(parents=True, exist_ok=True)
    (root / blocked).write_text("a file where the report folder should be\n")
    done = _evalkit(["run", str(spec), "--no-progress", "--locality", L1], cwd=root)
    _one_line(
        done.returncode,
        done.stderr,
        2,
        f"report folder {root / 'reports' / 'family-support'} cannot be written",
    )
    assert f"{root / blocked} is a file, not a folder" in done.stderr
    assert (root / blocked).read_text() == "a file where the report folder should be\n"
    assert not (root / "data" / "processed").exists()  # no data prepared, no kernel started


def test_log_folder_that_is_a_file_is_found_before_anything_runs(project) -> None:
    spec, root = project
    folder = root / "reports" / "family-support"
    (folder / "_logs").write_text("not a folder\n")
    try:
        before = _snapshot(root / "reports")
        done = _evalkit(["run", str(spec), "--no-progress", "--locality", L1], cwd=root)
        _one_line(
            done.returncode,
            done.stderr,
            2,
            f"report folder {folder / '_logs' / 'programme_report'} cannot be",
        )
        assert _snapshot(root / "reports") == before
    finally:
        (folder / "_logs").unlink()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder regardless")
def test_read_only_report_folder_is_found_before_anything_runs(project) -> None:
    spec, root = project
    folder = root / "reports" / "family-support"
    before = _snapshot(root / "reports")
    folder.chmod(0o555)
    try:
        done = _evalkit(["run", str(spec), "--no-progress", "--locality", L1], cwd=root)
    finally:
        folder.chmod(0o755)
    _one_line(done.returncode, done.stderr, 2, f"report folder {folder} cannot be written")
    assert _snapshot(root / "reports") == before


@pytest.mark.parametrize(
    ("args", "status"),
    [(["validate", "{spec}", "--spec-only"], 141), (["run", "--help"], 0)],
    ids=["validate", "help"],
)
def test_reader_gone_ends_quietly(project, args, status) -> None:
    """``evalkit ... | head`` where head has already gone: no traceback, nothing on standard
    error; status 141 as for SIGPIPE (argparse's help ignores the closed pipe: status 0)."""
    spec, root = project
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [*EVALKIT, *(a.format(spec=spec) for a in args)],
            cwd=root,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=PATIENCE,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (status, "")


def test_run_refuses_workers_below_one_from_python_too(project) -> None:
    from evalkit.config import load_spec
    from evalkit.exceptions import PipelineError
    from evalkit.reports import run

    spec, root = project
    before = _snapshot(root / "reports")
    for workers in (0, -1):
        with pytest.raises(PipelineError, match=f"workers {workers} is not a positive number"):
            run(load_spec(spec), workers=workers, progress=False)
    assert _snapshot(root / "reports") == before


def test_only_the_scratch_of_dead_runs_is_removed(tmp_path) -> None:
    from evalkit.reports.guard import remove_stale_scratch

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    mine = tmp_path / f"evalkit-run-{os.getpid()}-live"
    gone = tmp_path / f"evalkit-run-{int(dead.stdout)}-dead"
    other = tmp_path / "evalkit-run-notapid"
    for folder in (mine, gone, other):
        (folder / "sub").mkdir(parents=True)
    assert remove_stale_scratch(tmp_path) == [gone]
    assert mine.is_dir() and other.is_dir() and not gone.exists()


# --- runs that run reports ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project whose report for the third locality was run for real; (spec, project root)."""
    root = tmp_path_factory.mktemp("hostile-run-kernels")
    spec = make_project(root)
    nbformat.write(notebook([HOLD, SHOW]), root / "notebooks" / "held.ipynb")
    set_reports(spec, "notebooks/held.ipynb", THREE)
    done = _evalkit(["run", str(spec), "--no-progress", "--locality", L3], cwd=root)
    assert done.returncode == 0, done.stderr
    return spec, root


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_locality_given_twice_runs_once_and_is_listed_once(ran) -> None:
    spec, root = ran
    folder = root / "reports" / "family-support"
    earlier = next(
        r
        for r in json.loads((folder / "manifest.json").read_text())["reports"]
        if r["locality"] == L3
    )
    done = _evalkit(
        # More workers than reports is fine: as many as there are reports.
        [
            "run",
            str(spec),
            "--no-progress",
            "--force",
            "--locality",
            L1,
            "--locality",
            L1,
            "--jobs",
            "1000",
        ],
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    assert "1 report(s) written, 0 unchanged, 0 failed" in done.stdout
    keys = _manifest_keys(folder)
    assert sorted(keys) == sorted({f"programme_report/{L1}", f"programme_report/{L3}"})
    assert (folder / "index.html").read_text().count(f"<td>{L1}</td>") == 1
    kept = next(
        r
        for r in json.loads((folder / "manifest.json").read_text())["reports"]
        if r["locality"] == L3
    )
    assert kept == earlier


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
@linux_only
def test_two_runs_at_once_lose_no_manifest_entry(ran, tmp_path) -> None:
    """Run A reads the manifest, then waits in its report while run B writes its entry; when A
    writes, B's entry (and the earlier run's) is still there."""
    spec, root = ran
    folder = root / "reports" / "family-support"
    hold = root / f"hold-{L2}"
    hold.touch()
    tag = uuid.uuid4().hex
    first = _start(
        ["run", str(spec), "--no-progress", "--force", "--locality", L2],
        root,
        _env(tmp_path / "a", tag),
    )
    try:
        _until(lambda: _kernels(tag), "run A's report to start")
        second = _evalkit(
            ["run", str(spec), "--no-progress", "--force", "--locality", L1],
            root,
            _env(tmp_path / "b"),
        )
        assert second.returncode == 0, second.stderr
        assert f"programme_report/{L1}" in _manifest_keys(folder)
        hold.unlink()
        _, err = first.communicate(timeout=PATIENCE)
    finally:
        hold.unlink(missing_ok=True)
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert sorted(_manifest_keys(folder)) == [f"programme_report/{c}" for c in sorted(THREE)]
    index = (folder / "index.html").read_text()
    assert all(index.count(f"<td>{c}</td>") == 1 for c in THREE)


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
@linux_only
@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal-ctrl-c", "kill-int-pid"])
def test_ctrl_c_stops_cleanly_leaving_nothing_running(ran, tmp_path, whole_group) -> None:
    """Ctrl-C in a terminal signals the whole foreground group; ``kill -INT`` only the runner."""
    spec, root = ran
    before = _snapshot(root / "reports")
    hold = root / f"hold-{L2}"
    hold.touch()
    tag = uuid.uuid4().hex
    running = _start(
        ["run", str(spec), "--no-progress", "--force", "--locality", L2],
        root,
        _env(tmp_path, tag),
    )
    try:
        _until(lambda: _kernels(tag), "the report's kernel to start")
        if whole_group:
            os.killpg(running.pid, signal.SIGINT)
        else:
            running.send_signal(signal.SIGINT)
        _, err = running.communicate(timeout=PATIENCE)
    finally:
        hold.unlink(missing_ok=True)
        if running.poll() is None:
            running.kill()
    _one_line(running.returncode, err, 130, "evalkit: interrupted")
    _until(lambda: not _tagged(tag), "the run's workers and kernels to exit")
    assert _without_logs(_snapshot(root / "reports")) == _without_logs(before)


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
@linux_only
def test_killed_run_takes_its_workers_and_the_next_run_removes_its_scratch(ran, tmp_path) -> None:
    spec, root = ran
    before = _snapshot(root / "reports")
    hold = root / f"hold-{L2}"
    hold.touch()
    tag = uuid.uuid4().hex
    env = _env(tmp_path / "tmp", tag)
    running = _start(["run", str(spec), "--no-progress", "--force", "--locality", L2], root, env)
    try:
        _until(lambda: _kernels(tag), "the report's kernel to start")
        running.kill()  # SIGKILL: the runner gets no chance to clean up
        running.wait(timeout=PATIENCE)
        _until(lambda: not _tagged(tag), "the killed run's workers and kernels to exit")
    finally:
        hold.unlink(missing_ok=True)
        if running.poll() is None:
            running.kill()
    scratch = list((tmp_path / "tmp").glob(f"evalkit-run-{running.pid}-*"))
    assert len(scratch) == 1 and scratch[0].is_dir()
    assert _without_logs(_snapshot(root / "reports")) == _without_logs(before)
    # The next run removes the dead run's folder.
    done = _evalkit(["run", str(spec), "--no-progress", "--locality", L3], root, env)
    assert done.returncode == 0, done.stderr
    assert not scratch[0].exists()
