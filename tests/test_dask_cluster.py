"""A real Dask cluster: a scheduler and workers started with the ``dask`` command line, on loopback.

The workers run in a folder of their own, without the pseudonymisation key, and read the project
at the same path as ``evalkit run``. A worker killed mid-run is restarted by its nanny and its
report is rescheduled; a worker that lacks the kernel or cannot read the project is named in one
line before any report starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import yaml

from _reports import THREE, TWO, cli, demo_run, notebook, reports_of, set_reports

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

DASK = str(Path(sys.executable).parent / "dask")
_TIMESTAMP = __import__("re").compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|\+00:00)?")


def _content(html: str) -> str:
    """The whole page (charts included) with the run's timestamps removed."""
    return _TIMESTAMP.sub("<time>", html)


def _worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A worker's environment: this one without the pseudonymisation key (workers need none)."""
    env = {k: v for k, v in os.environ.items() if k not in ("EVALKIT_PSEUDONYM_KEY",)}
    env.update(extra or {})
    return env


@contextlib.contextmanager
def dask_cluster(
    where: Path, workers: dict[str, dict], timeout: float = 120
) -> Iterator[tuple[str, dict[str, str]]]:
    """A ``dask scheduler`` and one ``dask worker`` per entry of ``workers`` (its name: options
    ``env`` and ``prefix``, a command put before ``dask``), each a process group of its own,
    working in ``where``. Yields the scheduler address and each worker's address by name."""
    from distributed import Client

    where.mkdir(parents=True, exist_ok=True)
    where.chmod(0o777)
    scheduler_file = where / "scheduler.json"
    procs: list[subprocess.Popen] = []

    def start(cmd: list[str], env: dict[str, str]) -> None:
        log = open(where / f"{len(procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=where,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        start(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            _worker_env(),
        )
        deadline = time.monotonic() + timeout
        while not scheduler_file.is_file() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline, (where / "0.log").read_text()
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for name, options in workers.items():
            local = where / name
            local.mkdir()
            local.chmod(0o777)
            start(
                [
                    *options.get("prefix", []),
                    DASK,
                    "worker",
                    address,
                    "--name",
                    name,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    str(local),
                ],
                _worker_env({"HOME": str(local), **options.get("env", {})}),
            )
        with Client(address, timeout="30s") as client:
            try:
                client.wait_for_workers(len(workers), timeout=timeout)
            except TimeoutError:
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in where.glob("*.log"))
                raise AssertionError(f"the workers did not all start:\n{logs}") from None
            by_name = {
                str(info["name"]): addr for addr, info in client.scheduler_info()["workers"].items()
            }
        yield address, by_name
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_run(tmp_path_factory)


def test_reports_from_a_real_cluster_are_identical_to_local_ones(demo, tmp_path: Path) -> None:
    spec, pages = demo
    with dask_cluster(tmp_path / "elsewhere", {"w1": {}, "w2": {}}) as (address, _):
        done = cli(
            ["run", str(spec.source), "--scheduler", address, "--force", "--no-progress"]
            + [f"--locality={code}" for code in TWO],
            cwd=spec.project_root,
            timeout=900,
        )
    assert done.returncode == 0, done.stderr
    on_cluster = reports_of(spec.output_folder)
    assert set(on_cluster) == set(pages)
    for name, page in pages.items():
        assert _content(on_cluster[name]) == _content(page), name
    log = (spec.output_folder / "_logs" / "run.log").read_text()
    assert f"scheduler={address}" in log


# Locality E08000011's report, the first time it runs, records its worker's process id and waits
# (for at most two minutes) until that worker is gone (and its zygote, and so this kernel, with
# it); every other run of it is quick.
SLOW_ONCE = """\
import os, pathlib, time
_pid = pathlib.Path("worker.pid")
if locality == "E08000011" and not _pid.exists():
    _parent = os.getppid()
    _worker = _parent  # the worker started this kernel, or forked it through its zygote
    if b"evalkit.reports.zygote" in pathlib.Path(f"/proc/{_parent}/cmdline").read_bytes():
        _worker = int(pathlib.Path(f"/proc/{_parent}/stat").read_text().rsplit(")", 1)[1].split()[1])
    _pid.write_text(str(_worker))
    _until = time.monotonic() + 120
    while os.getppid() == _parent and time.monotonic() < _until:
        time.sleep(0.1)
"""
SHOW = """\
from IPython.display import HTML, display
display(HTML(f"<h1>Probe report for {locality}</h1>"))
"""


def _probe(root: Path, cells: list[str], kernel: str | None = None) -> Path:
    from conftest import make_project

    spec_path = make_project(root)
    nbformat.write(notebook(cells), root / "notebooks" / "probe.ipynb")
    set_reports(spec_path, "notebooks/probe.ipynb", THREE)
    if kernel is not None:
        raw = yaml.safe_load(spec_path.read_text())
        raw["kernel"] = kernel
        spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return spec_path


def test_a_worker_killed_mid_run_is_restarted_and_its_report_rescheduled(tmp_path: Path) -> None:
    root = tmp_path / "project"
    spec_path = _probe(root, [SLOW_ONCE, SHOW])
    with dask_cluster(tmp_path / "elsewhere", {"w1": {}, "w2": {}}) as (address, _):
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evalkit.cli",
                "run",
                str(spec_path),
                "--scheduler",
                address,
                "--no-progress",
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            marker = root / "worker.pid"
            deadline = time.monotonic() + 300
            while not (marker.is_file() and marker.read_text().strip()):
                assert run.poll() is None, run.communicate()
                assert time.monotonic() < deadline, "the slow report never started"
                time.sleep(0.2)
            worker = int(marker.read_text())
            os.kill(worker, signal.SIGKILL)  # the Dask worker process (its nanny survives)
            _, err = run.communicate(timeout=600)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
    assert run.returncode == 0, err
    folder = root / "reports" / "family-support"
    for code in THREE:
        assert f"Probe report for {code}" in (folder / f"{code}.html").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {r["status"] for r in manifest["reports"]} == {"ok"}


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_a_worker_without_the_kernel_is_named_in_one_line(tmp_path: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    kernels = tmp_path / "jupyter" / "kernels" / "evalkit-cluster-only"
    shutil.copytree(KernelSpecManager().get_kernel_spec("evalkit").resource_dir, kernels)
    root = tmp_path / "project"
    spec_path = _probe(root, [SHOW], kernel="evalkit-cluster-only")
    has_kernel = {"env": {"JUPYTER_PATH": str(tmp_path / "jupyter")}}
    with dask_cluster(tmp_path / "elsewhere", {"has-kernel": has_kernel, "no-kernel": {}}) as (
        address,
        workers,
    ):
        done = cli(["run", str(spec_path), "--scheduler", address, "--no-progress"], root)
    line = _one_line_error(done)
    assert line.startswith(f"evalkit: error: Dask worker {workers['no-kernel']} ")
    assert "'evalkit-cluster-only' is not installed" in line
    assert workers["has-kernel"] not in line
    assert not (root / "reports" / "family-support" / "manifest.json").exists()


def _can_hide_folders() -> bool:
    """Whether a process can be given a view of the files with a folder emptied (as root)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _can_hide_folders(), reason="needs root and mount namespaces to hide data from a worker"
)
def test_a_worker_that_cannot_see_the_data_is_named_in_one_line(tmp_path: Path) -> None:
    root = tmp_path / "project"
    spec_path = _probe(root, [SHOW])
    processed = root / "data" / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    # The second worker sees the project, but an empty folder where the prepared data is.
    hidden = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
    hidden += ['mount -t tmpfs none "$0" && exec "$@"', str(processed)]
    with dask_cluster(tmp_path / "elsewhere", {"sees-data": {}, "no-data": {"prefix": hidden}}) as (
        address,
        workers,
    ):
        done = cli(["run", str(spec_path), "--scheduler", address, "--no-progress"], root)
    line = _one_line_error(done)
    assert line.startswith(f"evalkit: error: Dask worker {workers['no-data']} ")
    assert f"cannot read the prepared data: {processed}" in line
    assert workers["sees-data"] not in line
