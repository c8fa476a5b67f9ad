"""Run one job: execute its notebook with papermill, export HTML, write it atomically.

This runs in a worker (a process of the pool, or a Dask worker). It never raises for a failed
notebook: it returns a :class:`JobOutcome` with the failing cell and error, keeps the executed
notebook under ``_failed/`` for inspection, and leaves any previous good report in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from evalkit._io import atomic_write_text
from evalkit.reports.export import FIGURE_MIME, export_html
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


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's standard error (and so the kernel's) to ``path`` for the block.

    Kernels inherit the worker's stderr, where they print start-up chatter such as the warning
    about TCP transport; it belongs in the locality's log, not on the analyst's terminal.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def execute_job(
    job: Job, cache_key: str | None = None, *, capture_stderr: bool = True
) -> JobOutcome:
    """Execute, export and write one report; return its outcome (never raises for a bad notebook).

    With ``capture_stderr`` (the default in evalkit's own worker processes) the kernel's standard
    error goes to the job's log; a Dask worker running several tasks at once passes False.
    """
    logger, handler = _job_logger(job)
    context = _stderr_to(job.log_path) if capture_stderr else contextlib.nullcontext()
    with context:
        return _execute(job, cache_key, logger, handler)


def _execute(
    job: Job, cache_key: str | None, logger: logging.Logger, handler: logging.Handler
) -> JobOutcome:
    import papermill

    started = time.time()
    logger.info("job %s: %s", job.key, job.parameters)
    work = Path(tempfile.mkdtemp(prefix=f"evalkit-{job.locality}-"))
    executed = work / "executed.ipynb"
    common = {
        "key": job.key,
        "report": job.report,
        "locality": job.locality,
        "log_path": str(job.log_path),
        "cache_key": cache_key,
        "worker_pid": os.getpid(),
    }
    try:
        papermill.execute_notebook(
            str(job.notebook),
            str(executed),
            parameters=job.parameters,
            kernel_name=job.kernel,
            cwd=str(job.cwd),
            progress_bar=False,
            log_output=True,
            execution_timeout=job.timeout,
            request_save_on_cell_execute=False,
        )
        nb = nbformat.read(executed, as_version=4)
        title = f"{job.title}: {job.locality_name} ({job.locality})"
        atomic_write_text(job.html_path, export_html(nb, title=title))
        logger.info("job %s: wrote %s", job.key, job.html_path)
        return JobOutcome(
            status="ok",
            started=started,
            finished=time.time(),
            html_path=str(job.html_path),
            figures=figures_from(nb),
            **common,
        )
    except Exception as exc:  # a failed notebook is a result, not a crash of the run
        cell, error = _failure_cell(exc)
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
        logger.removeHandler(handler)
        handler.close()
        shutil.rmtree(work, ignore_errors=True)
