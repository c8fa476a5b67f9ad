"""Reports: plan (programme x locality) -> execute (papermill, an Executor) -> export -> index.

In a notebook: :func:`check_parameters`, :func:`context` and :func:`record`. From Python:
:func:`run`. From the shell: ``evalkit run SPEC``.
"""

from __future__ import annotations

from evalkit.reports.context import (
    NotebookParameterError,
    ReportContext,
    check_parameters,
    context,
    provenance,
    record,
)
from evalkit.reports.findings import Findings, compute_findings
from evalkit.reports.plan import Job, plan, preflight
from evalkit.reports.run import RunResult, run

__all__ = [
    "Findings",
    "Job",
    "NotebookParameterError",
    "ReportContext",
    "RunResult",
    "check_parameters",
    "compute_findings",
    "context",
    "plan",
    "preflight",
    "provenance",
    "record",
    "run",
]
