"""The main job: every report of a programme, for every locality, in parallel, with nothing lost.

:func:`run` plans the jobs, checks them before any kernel starts, prepares the partitioned inputs,
skips reports whose cache key has not changed (when their page and the downloads it links are all
there), executes the rest on a :class:`concurrent.futures.Executor` (a process pool sized to the
machine, or a Dask cluster), and writes ``manifest.json``, ``index.html``, ``failures.json`` and
a block of ``_logs/run.log``. One locality failing never stops the others. Each report runs in a
kernel evalkit starts (fresh, or in fast mode the worker's warm kernel) and is stopped when it
passes its time limit.

If a pool worker dies (killed, out of memory), the pool breaks and every unfinished job gets
``BrokenProcessPool``. The jobs that had started are suspects: each is retried alone in a fresh
single-worker pool, so the one that kills its worker again is reported as failed and the innocent
ones complete; jobs that had not started go back to a fresh parallel pool.

Hostile and careless use is guarded (:mod:`evalkit.reports.guard`): a locality given twice is one
job; a report folder that cannot be written stops the run before the data is prepared; two runs of
one programme take turns to prepare the data and to merge their reports into the manifest, so
neither loses the other's entries; Ctrl-C stops the workers and their kernels; workers die with a
killed runner, and the next run removes the temporary folder it left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from evalkit._io import file_sha256
from evalkit.config import ProgrammeSpec
from evalkit.exceptions import PipelineError
from evalkit.intake import prepare
from evalkit.reports import downloads
from evalkit.reports.cache import (
    cache_key,
    notebook_source_hash,
    package_fingerprint,
    side_inputs_fingerprint,
)
from evalkit.reports.cluster import check_workers, release_workers
from evalkit.reports.execute import JobOutcome, execute_job
from evalkit.reports.guard import (
    check_writable,
    process_pool,
    programme_lock,
    remove_stale_scratch,
    scratch_folder,
    stop_workers_on_interrupt,
)
from evalkit.reports.index import read_manifest, write_index, write_manifest
from evalkit.reports.logs import write_failures, write_run_log
from evalkit.reports.pdf import check_pdf_support, write_pdfs
from evalkit.reports.plan import Job, plan, preflight

__all__ = ["FORMATS", "SCHEDULER_TIMEOUT", "RunResult", "default_workers", "run"]

#: Output formats: HTML always; PDF printed from it by headless Chromium on request.
FORMATS = ("html", "pdf")
#: Seconds to wait for a Dask scheduler to answer before giving up with a clear error.
SCHEDULER_TIMEOUT = 5


@dataclasses.dataclass(frozen=True)
class RunResult:
    """The outcome of a run: one :class:`JobOutcome` per job, and where the index is."""

    outcomes: list[JobOutcome]
    index_path: Path
    manifest_path: Path
    seconds: float

    @property
    def failures(self) -> list[JobOutcome]:
        """The jobs that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every report is good, 1 when any failed."""
        return 1 if self.failures else 0

    def counts(self) -> dict[str, int]:
        """How many jobs ran, were skipped, failed."""
        out = {"ok": 0, "skipped": 0, "failed": 0}
        for o in self.outcomes:
            out[o.status] += 1
        return out


def default_workers() -> int:
    """Workers for the process pool: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _executor(
    workers: int, scheduler: str | None, jobs: list[Job] | None = None
) -> Iterator[Executor]:
    """A process pool of ``workers``, or an executor on the Dask cluster at ``scheduler`` whose
    workers have been checked (:func:`evalkit.reports.cluster.check_workers`) for ``jobs``."""
    if scheduler is None:
        with process_pool(workers) as pool:
            yield pool
        return
    try:
        from distributed import Client
    except ImportError:
        raise PipelineError(
            "--scheduler needs Dask's distributed package; install it with "
            "pip install 'evalkit[distributed]'"
        ) from None
    try:
        client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PipelineError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {SCHEDULER_TIMEOUT} s "
            f"({reason}); expected the address of a running scheduler, e.g. tcp://127.0.0.1:8786"
        ) from None
    try:
        if jobs is not None:
            check_workers(client, jobs)
        with client.get_executor(pure=False) as executor:
            yield executor
    finally:
        release_workers(client)
        client.close()


def _run_job(job: Job, key: str, markers: str, fast: bool = False) -> JobOutcome:
    """Worker entry point: mark the job as started, then execute it."""
    with contextlib.suppress(OSError):  # a remote Dask worker cannot see the local folder
        Path(markers, job.key.replace("/", "__")).write_text(str(os.getpid()), encoding="utf-8")
    return execute_job(job, key, fast=fast, scratch=markers)


def _died(job: Job, key: str, started: float) -> JobOutcome:
    return JobOutcome(
        key=job.key,
        report=job.report,
        locality=job.locality,
        status="failed",
        started=started,
        finished=time.time(),
        log_path=str(job.log_path),
        error="the worker process died while running this report (killed or out of memory)",
        cache_key=key,
    )


def _crashed(job: Job, key: str, started: float, exc: BaseException) -> JobOutcome:
    return dataclasses.replace(_died(job, key, started), error=f"{type(exc).__name__}: {exc}")


def _execute(
    jobs: list[Job], keys: dict[str, str], workers: int, scheduler: str | None, fast: bool, bar
) -> list[JobOutcome]:
    outcomes: dict[str, JobOutcome] = {}
    markers = scratch_folder()  # removed by the next run if this one is killed
    pending = list(jobs)
    try:
        while pending:
            suspects: list[Job] = []
            started = time.time()
            with _executor(workers, scheduler, pending) as executor:
                futures = {
                    executor.submit(_run_job, j, keys[j.key], markers, fast): j for j in pending
                }
                pending = []
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        outcomes[job.key] = future.result()
                    except BrokenProcessPool:
                        marker = Path(markers, job.key.replace("/", "__"))
                        (suspects if marker.exists() else pending).append(job)
                        continue
                    except Exception as exc:  # e.g. Dask's KilledWorker after its retries
                        outcomes[job.key] = _crashed(job, keys[job.key], started, exc)
                    bar.update(1)
            for job in suspects:
                t0 = time.time()
                with process_pool(1) as alone:
                    try:
                        outcomes[job.key] = alone.submit(
                            _run_job, job, keys[job.key], markers, fast
                        ).result()
                    except BrokenProcessPool:
                        outcomes[job.key] = _died(job, keys[job.key], t0)
                bar.update(1)
    finally:
        shutil.rmtree(markers, ignore_errors=True)
    return [outcomes[j.key] for j in jobs]


def _skipped(job: Job, key: str, prev: dict) -> JobOutcome:
    now = time.time()
    return JobOutcome(
        key=job.key,
        report=job.report,
        locality=job.locality,
        status="skipped",
        started=now,
        finished=now,
        html_path=str(job.html_path),
        log_path=str(job.log_path),
        figures=prev.get("figures", {}),
        cache_key=key,
        downloads=tuple(str(p) for p in downloads.linked(job.html_path)),
    )


def _programme_lock(spec: ProgrammeSpec, say: bool) -> contextlib.AbstractContextManager[None]:
    """The programme's lock (:func:`~evalkit.reports.guard.programme_lock`), saying so if it waits."""

    def waiting() -> None:
        print(
            f"evalkit: waiting for another run of {spec.programme} to finish preparing its data "
            "or updating its index",
            file=sys.stderr,
        )

    return programme_lock(spec.source, waiting=waiting if say else None)


def run(
    spec: ProgrammeSpec,
    *,
    localities: list[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: bool = True,
    fast: bool = False,
    timeout: int | None = None,
    formats: tuple[str, ...] = ("html",),
) -> RunResult:
    """Produce every report of ``spec`` (or of the ``localities`` given); see the module docstring.

    Parameters
    ----------
    spec
        The programme spec (from :func:`evalkit.config.load_spec`).
    localities
        Only these locality codes (default: every locality of the spec).
    workers
        Parallel workers of the process pool (default: the CPUs available).
    scheduler
        The address of a Dask scheduler to run on instead of the process pool.
    force
        Rerun every report even when its cache key has not changed.
    progress
        Show a progress bar on standard error.
    fast
        Reuse one warm kernel per worker (reset between reports) instead of a fresh kernel per
        report: the imports are paid once per worker.
    timeout
        Seconds a report may run before its kernel is stopped and it fails (default: the spec's
        ``timeout_seconds``).
    formats
        ``("html",)`` (default) or ``("html", "pdf")``: PDFs are printed from the HTML by
        headless Chromium, beside it.
    """
    from tqdm.auto import tqdm

    t0 = time.time()
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise PipelineError(
            f"output format {unknown[0]!r} is not known; expected one of {', '.join(FORMATS)}"
        )
    if timeout is not None and timeout <= 0:
        raise PipelineError(f"timeout {timeout!r} is not a positive number of seconds")
    if workers is not None and workers < 1:
        raise PipelineError(f"workers {workers!r} is not a positive number; expected 1 or more")
    if "pdf" in formats:
        check_pdf_support()  # fails now, before any kernel starts, if Chromium is missing
    # A locality given twice is one job (and one line of the index).
    jobs = plan(spec, list(dict.fromkeys(localities)) if localities else None)
    if timeout is not None:
        jobs = [dataclasses.replace(j, timeout=timeout) for j in jobs]
    preflight(jobs)
    folder = spec.output_folder
    check_writable(
        [folder, *(p.parent for j in jobs for p in (j.html_path, j.log_path, j.failed_path))],
        f"output_dir in {spec.source}",
    )
    remove_stale_scratch()
    with _programme_lock(spec, progress):  # one run at a time prepares the data
        intake = prepare(spec)
        previous = {r["key"]: r for r in read_manifest(folder).get("reports", [])}
    spec_hash = file_sha256(spec.source)
    notebook_hashes = {nb: notebook_source_hash(nb) for nb in {j.notebook for j in jobs}}
    side = {
        "spec": spec_hash,
        "package": package_fingerprint(),
        "inputs": side_inputs_fingerprint(
            spec.source,
            spec.processed_folder / "learning.sqlite",
            partitioned=[p for name, p in spec.data_files().items() if name != "reflections"],
        ),
    }
    keys = {
        j.key: cache_key(
            notebook_hashes[j.notebook],
            j.parameters,
            intake.partition_hashes(j.locality),
            side,
        )
        for j in jobs
    }
    fresh: dict[str, JobOutcome] = {}
    to_run = []
    for job in jobs:
        prev = previous.get(job.key)
        if (
            not force
            and prev
            and prev.get("status") in ("ok", "skipped")
            and prev.get("cache_key") == keys[job.key]
            and job.html_path.is_file()
            and not downloads.missing(job.html_path)  # its CSV and XLSX files are there too
        ):
            fresh[job.key] = _skipped(job, keys[job.key], prev)
        else:
            to_run.append(job)
    n_workers = max(1, min(workers or default_workers(), len(to_run) or 1))
    with (
        tqdm(
            total=len(to_run),
            desc=f"{spec.programme} reports",
            unit="report",
            disable=not progress,
            file=sys.stderr,
        ) as bar,
        stop_workers_on_interrupt(),
    ):
        ran = _execute(to_run, keys, n_workers, scheduler, fast, bar) if to_run else []
    by_key = {**fresh, **{o.key: o for o in ran}}
    outcomes = [by_key[j.key] for j in jobs]
    if "pdf" in formats:
        write_pdfs(
            [Path(o.html_path) for o in outcomes if o.status in ("ok", "skipped") and o.html_path],
            force=force,
        )
    with _programme_lock(spec, progress):
        # Keep the reports of localities not in this run, as the manifest holds them now (another
        # run may have added some since this one started), so that the index stays whole.
        others = [r for r in read_manifest(folder).get("reports", []) if r["key"] not in by_key]
        manifest_path = write_manifest(spec, jobs, outcomes, others, seconds=time.time() - t0)
        index_path = write_index(spec, manifest_path)
        write_failures(folder, read_manifest(folder)["failures"])
        write_run_log(
            folder,
            outcomes,
            started=t0,
            finished=time.time(),
            settings={
                "spec": spec.source,
                "reports": len(jobs),
                "workers": None if scheduler else n_workers,
                "scheduler": scheduler,
                "mode": "fast (warm kernels)" if fast else "fresh kernel per report",
                "force": force or None,
                "formats": "+".join(formats),
            },
        )
    return RunResult(outcomes, index_path, manifest_path, round(time.time() - t0, 3))
