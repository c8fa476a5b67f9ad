"""Runs on a Dask cluster: what every worker must see, checked before any report is sent to it.

A worker of a multi-machine run executes reports itself: it starts the Jupyter kernel named by
the spec, reads the spec, the notebooks and the prepared partitions, and writes the pages, logs
and downloads into the report folder, all at the same paths as the machine that runs
``evalkit run``. :func:`check_workers` asks every connected worker (``Client.run``) whether it
can, and turns the first worker that cannot into one line naming the worker and what it lacks,
so that a run never half-completes on the workers that happen to be set up.

The pseudonymisation key is not among the things checked: workers read partitions that intake
already pseudonymised, on the machine that runs ``evalkit run``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from evalkit.exceptions import PipelineError
from evalkit.intake.partitions import STAMP, partition_path
from evalkit.reports.plan import Job

__all__ = [
    "WORKER_WAIT",
    "Needs",
    "check_worker",
    "check_workers",
    "needs_of",
    "release_workers",
]

#: Seconds to wait for at least one worker to join the scheduler.
WORKER_WAIT = 10


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def needs_of(jobs: list[Job]) -> dict[str, Any]:
    """What a worker must read and write to run ``jobs``: plain strings, sent to each worker."""
    from evalkit.config import load_spec

    first = jobs[0]
    spec = load_spec(Path(first.parameters["spec_path"]))
    processed = spec.processed_folder
    partitions: list[str] = []
    stamp = processed / STAMP
    if stamp.is_file():
        listed = json.loads(stamp.read_text(encoding="utf-8")).get("partitions", {})
        partitions = [
            str(partition_path(processed, table, code))
            for table, parts in sorted(listed.items())
            for code in sorted(parts)
        ]
    import evalkit

    return {
        "kernels": sorted({j.kernel for j in jobs}),
        "folders": sorted({str(j.cwd) for j in jobs}),
        "read": sorted({str(spec.source), *(str(j.notebook) for j in jobs)}),
        "data": ([str(stamp)] if stamp.is_file() else []) + partitions,
        "write": sorted(
            {str(j.html_path.parent) for j in jobs} | {str(j.log_path.parent) for j in jobs}
        ),
        "evalkit": evalkit.__version__,
    }


Needs = dict[str, Any]


def _kernel_problem(name: str) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return (
            f"the Jupyter kernel {name!r} is not installed for its Python ({sys.executable}); "
            f"install it there with: python -m ipykernel install --sys-prefix --name {name}"
        )
    program = spec.argv[0] if spec.argv else ""
    if os.path.isabs(program) and not os.access(program, os.X_OK):
        return f"the Jupyter kernel {name!r} starts {program}, which is not there"
    return None


def check_worker(needs: Needs) -> list[str]:
    """Run on a worker: what it lacks to run the reports described by ``needs`` (empty if none)."""
    import evalkit

    problems: list[str] = []
    if evalkit.__version__ != needs["evalkit"]:
        problems.append(
            f"it has evalkit {evalkit.__version__}, the run uses {needs['evalkit']} "
            "(expected the same environment on every worker)"
        )
    for name in needs["kernels"]:
        found = _kernel_problem(name)
        if found:
            problems.append(found)
    for folder in needs["folders"]:
        if not (os.path.isdir(folder) and os.access(folder, os.R_OK | os.X_OK)):
            problems.append(f"it cannot read the project folder {folder}")
    if problems:
        return problems
    for path in needs["read"]:
        if not os.access(path, os.R_OK):
            problems.append(f"it cannot read {path}")
    missing = [p for p in needs["data"] if not os.access(p, os.R_OK)]
    if missing:
        more = f" (and {len(missing) - 1} more file(s))" if len(missing) > 1 else ""
        problems.append(f"it cannot read the prepared data: {missing[0]}{more}")
    for folder in needs["write"]:
        there = _nearest_existing(Path(folder))
        if not os.access(there, os.W_OK | os.X_OK):
            problems.append(f"it cannot write the report folder {folder}")
            break
    return problems


def _where(address: str, info: dict[str, Any]) -> str:
    host = info.get("host")
    return f"Dask worker {address}" + (f" (host {host})" if host else "")


def _run_check(needs: Needs) -> dict[str, Any]:
    return {"host": socket.gethostname(), "problems": check_worker(needs)}


def check_workers(client, jobs: list[Job], wait: float = WORKER_WAIT) -> int:
    """Check every worker of ``client`` can run ``jobs``; return how many workers there are.

    Raises :class:`~evalkit.exceptions.PipelineError` (one line) naming the first worker that
    lacks something, and what, or saying that no worker joined the scheduler within ``wait``
    seconds.
    """
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError:
        raise PipelineError(
            f"no Dask worker joined the scheduler at {client.scheduler.address} within {wait} s; "
            "expected at least one, started with: dask worker SCHEDULER_ADDRESS"
        ) from None
    if not jobs:
        return len(client.scheduler_info()["workers"])
    needs = needs_of(jobs)
    answers = client.run(_run_check, needs, on_error="return")
    bad: list[str] = []
    for address in sorted(answers):
        answer = answers[address]
        if isinstance(answer, BaseException):
            reason = str(answer).strip().splitlines()[0] if str(answer).strip() else ""
            bad.append(
                f"Dask worker {address} cannot run evalkit's check "
                f"({type(answer).__name__}: {reason}); expected evalkit installed there"
            )
        elif answer["problems"]:
            bad.append(
                f"{_where(address, answer)} cannot run these reports: {answer['problems'][0]}"
            )
    if bad:
        others = f" (and {len(bad) - 1} other worker(s))" if len(bad) > 1 else ""
        raise PipelineError(
            f"{bad[0]}{others}; every worker needs the project folder at the same path, the "
            "same environment and the report kernel"
        )
    return len(answers)


def release_workers(client) -> None:
    """Stop the zygotes the run left on every worker (never raises), so that no process that
    imported today's code waits idle for tomorrow's run."""
    from evalkit.reports.zygote import shutdown_zygotes

    with contextlib.suppress(Exception):
        client.run(shutdown_zygotes, on_error="ignore")
