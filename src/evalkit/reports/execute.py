"""Run one job: execute its notebook with papermill, export HTML, write it atomically.

This runs in a worker (a process of the pool, or a Dask worker). It never raises for a failed
notebook: it returns a :class:`JobOutcome` with the failing cell and error, keeps the executed
notebook under ``_failed/`` for inspection, and leaves any previous good report in place.

The tables a report published (:mod:`evalkit.reports.downloads`) are written beside its page as
CSV files and one XLSX workbook, after the notebook ran and exported and before the page that
links them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

from evalkit._io import atomic_write_text
from evalkit.intake.partitions import ALL_LOCALITIES
from evalkit.reports import downloads
from evalkit.reports._imports import without_iri_grammars
from evalkit.reports.export import FIGURE_MIME, export_html
from evalkit.reports.kernels import (
    KernelSession,
    discard_warm_session,
    fresh_session,
    register_engine,
    warm_session,
)
from evalkit.reports.logs import NoiseFilter
from evalkit.reports.plan import Job

__all__ = ["JobOutcome", "execute_job", "figures_from"]


@dataclasses.dataclass(frozen=True)
class JobOutcome:
    """What happened to one job."""

    key: str
    report: str
    locality: str
    status: str  # "ok", "failed" or "skipped"
    started: float
    finished: float
    html_path: str | None = None
    failed_notebook: str | None = None
    log_path: str | None = None
    cell: int | None = None
    error: str | None = None
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)
    cache_key: str | None = None
    worker_pid: int | None = None
    downloads: tuple[str, ...] = ()  # the report's tables as CSV and XLSX, beside its page

    @property
    def seconds(self) -> float:
        """Wall time of the job."""
        return round(self.finished - self.started, 3)


def figures_from(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The key figures a notebook recorded with :func:`evalkit.reports.record`."""
    figures: dict[str, Any] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if FIGURE_MIME in data:
                payload = data[FIGURE_MIME]
                figures[payload["name"]] = {k: v for k, v in payload.items() if k != "name"}
    return figures


def _job_logger(job: Job) -> tuple[logging.Logger, logging.Handler]:
    job.log_path.parent.mkdir(parents=True, exist_ok=True)
    job.log_path.write_text("", encoding="utf-8")
    handler = logging.FileHandler(job.log_path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoiseFilter())
    # Only this job's thread writes here (a Dask worker may run several jobs in threads).
    thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == thread)
    logger = logging.getLogger("papermill")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler


def _failure_cell(exc: BaseException) -> tuple[int | None, str]:
    cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", None)
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:] or [""]
    if isinstance(evalue, list):
        evalue = evalue[0]
    return cell, f"{ename}: {evalue}"


def _stopped_cell(path: Path) -> int | None:
    """The execution count (or index) of the last cell that started: where the kernel stopped."""
    with contextlib.suppress(Exception):
        import nbformat  # slow to import (jsonschema); only the pipeline needs it

        nb = nbformat.read(path, as_version=4)
        started = [
            (index, cell)
            for index, cell in enumerate(nb.cells)
            if cell.get("metadata", {}).get("papermill", {}).get("start_time")
        ]
        if started:
            index, cell = started[-1]
            return cell.get("execution_count") or index
    return None


def execute_job(
    job: Job, cache_key: str | None = None, *, fast: bool = False, scratch: str | None = None
) -> JobOutcome:
    """Execute, export and write one report; return its outcome (never raises for a bad notebook).

    The report runs in a kernel evalkit starts (a fresh one of its own, pre-imported while the
    previous report ran; or this worker's reused warm kernel when ``fast``)
    with its standard error sent to the job's log. A watchdog kills the kernel when the report
    has run for ``job.timeout`` seconds; the report then fails with a message saying so.
    Scratch files go under ``scratch`` when that folder exists here (the run's own temporary
    folder, removed by the run even if this worker is killed), else the system's.
    """
    logger, handler = _job_logger(job)
    try:
        return _execute(job, cache_key, logger, fast, scratch)
    finally:
        logger.removeHandler(handler)
        handler.close()


def _execute(
    job: Job, cache_key: str | None, logger: logging.Logger, fast: bool, scratch: str | None
) -> JobOutcome:
    without_iri_grammars()
    import papermill

    started = time.time()
    logger.info("job %s: %s", job.key, job.parameters)
    folder = scratch if scratch and os.path.isdir(scratch) else None
    work = Path(tempfile.mkdtemp(prefix=f"evalkit-{job.locality}-", dir=folder))
    executed = work / "executed.ipynb"
    common = {
        "key": job.key,
        "report": job.report,
        "locality": job.locality,
        "log_path": str(job.log_path),
        "cache_key": cache_key,
        "worker_pid": os.getpid(),
    }
    session: KernelSession | None = None
    expired = threading.Event()
    timer: threading.Timer | None = None
    ok = exporting = False
    try:
        session = warm_session(job.kernel, job.cwd) if fast else fresh_session(job.kernel, job.cwd)

        def expire() -> None:
            expired.set()
            session.kill()

        timer = threading.Timer(job.timeout, expire)
        timer.daemon = True
        with session.logging_to(job.log_path):
            timer.start()
            nb = papermill.execute_notebook(
                str(job.notebook),
                str(executed),
                parameters=job.parameters,
                engine_name=register_engine(),
                km=session.km,
                kernel_name=job.kernel,
                cwd=str(job.cwd),
                progress_bar=False,
                log_output=True,
                execution_timeout=job.timeout + 5,  # the watchdog ends the report first
                request_save_on_cell_execute=False,  # written once, at the end ...
                partial_path=str(executed),  # ... or where it stopped, if it did not end
            )
        timer.cancel()
        exporting = True
        title = f"{job.title}: {job.locality_name}" + (
            "" if job.locality == ALL_LOCALITIES else f" ({job.locality})"
        )
        tables = downloads.prepare(nb, job.html_path, report=title)
        page = export_html(nb, title=title)
        written = tables.write() if tables is not None else []
        atomic_write_text(job.html_path, page)
        logger.info("job %s: wrote %s and %d download(s)", job.key, job.html_path, len(written))
        ok = True
        return JobOutcome(
            status="ok",
            started=started,
            finished=time.time(),
            html_path=str(job.html_path),
            figures=figures_from(nb),
            downloads=tuple(str(p) for p in written),
            **common,
        )
    except Exception as exc:  # a failed notebook is a result, not a crash of the run
        if timer is not None:
            timer.cancel()
        cell, error = _failure_cell(exc)
        if expired.is_set():
            error = (
                f"timed out: the report ran for more than its limit of {job.timeout} s "
                "(timeout_seconds in the spec, or --timeout); its kernel was stopped"
            )
        elif exporting:
            error = f"the notebook ran but exporting it to HTML failed: {error}"
        elif session is not None and not session.alive():
            error = f"the kernel died while running this report ({error})"
        if cell is None and not exporting and executed.is_file():
            cell = _stopped_cell(executed)
        logger.error("job %s failed at cell %s: %s", job.key, cell, error)
        failed = None
        if executed.is_file():
            job.failed_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, job.failed_path)
            failed = str(job.failed_path)
        return JobOutcome(
            status="failed",
            started=started,
            finished=time.time(),
            failed_notebook=failed,
            cell=cell,
            error=error,
            **common,
        )
    finally:
        if session is not None:
            if not fast:
                session.shutdown()
            elif ok:
                session.reports += 1
            else:  # a warm kernel that failed a report is not trusted with the next one
                discard_warm_session()
        shutil.rmtree(work, ignore_errors=True)
