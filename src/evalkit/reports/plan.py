"""Plan a run: one job per (report notebook, locality), checked before any kernel starts."""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

from evalkit.config import ProgrammeSpec, ReportSpec
from evalkit.exceptions import ConfigError, PipelineError
from evalkit.intake.partitions import ALL_LOCALITIES

__all__ = ["Job", "notebook_parameters", "plan", "preflight"]

MAIN_REPORT = "programme_report"


@dataclasses.dataclass(frozen=True)
class Job:
    """One notebook to run for one locality, and where its outputs go."""

    programme: str
    report: str
    title: str
    locality: str
    locality_name: str
    notebook: Path
    parameters: dict[str, Any]
    html_path: Path
    failed_path: Path
    log_path: Path
    kernel: str
    timeout: int
    cwd: Path

    @property
    def key(self) -> str:
        """A stable name for the job: ``<report>/<locality>``."""
        return f"{self.report}/{self.locality}"


def _html_path(folder: Path, report: ReportSpec, locality: str) -> Path:
    if report.name == MAIN_REPORT:
        return folder / f"{locality}.html"
    return folder / report.name / f"{locality}.html"


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (papermill's view)."""
    if not path.is_file():
        raise ConfigError(f"{path}: report notebook not found")
    stat = path.stat()
    return _parameters(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parameters(path: Path, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    """:func:`notebook_parameters` once per version of a notebook (a run has one per report).

    Read as papermill reads a Python notebook's parameters cell (one ``name = default`` or
    ``name: type = default`` per line; ``inferred_type_name`` is the annotation, or ``None``),
    from the notebook's JSON: papermill and nbformat are slow to import, and an unchanged rerun
    needs neither.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the notebook ({type(exc).__name__}: {exc})"
        ) from None
    cell = next(
        (
            c
            for c in cells
            if isinstance(c, dict) and "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        None,
    )
    params: dict[str, dict[str, Any]] = {}
    if cell is not None:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            raise ConfigError(
                f"{path}: the cell tagged 'parameters' is not valid Python (line {exc.lineno}: "
                f"{exc.msg})"
            ) from None
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name, annotation, value = node.target.id, ast.unparse(node.annotation), node.value
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                name, annotation, value = node.targets[0].id, "None", node.value
            else:
                continue
            default = "None" if value is None else ast.get_source_segment(source, value)
            params[name] = {"name": name, "inferred_type_name": annotation, "default": default}
    if not params:
        raise ConfigError(
            f"{path}: no cell tagged 'parameters'; expected one cell with that tag declaring "
            "spec_path, locality and period"
        )
    return params


_TYPE_CHECKS = {"str": str, "int": int, "float": (int, float), "bool": bool}


def _declared_type(param: dict[str, Any]) -> str:
    """The declared type (annotation), else the type of the default if it is a plain literal."""
    declared = param.get("inferred_type_name", "None")
    if declared in _TYPE_CHECKS:
        return declared
    try:
        return type(ast.literal_eval(param.get("default", ""))).__name__
    except (ValueError, SyntaxError):
        return "None"


def preflight(jobs: list[Job]) -> None:
    """Check every job's parameters against its notebook's parameters cell, before any kernel runs.

    Unknown or misspelt names and values of the wrong type are errors. A locality code such as
    E06000001 stays a string.
    """
    declared: dict[Path, dict[str, dict[str, Any]]] = {}
    for job in jobs:
        params = declared.setdefault(job.notebook, notebook_parameters(job.notebook))
        for name, value in job.parameters.items():
            if name not in params:
                raise ConfigError(
                    f"{job.notebook}: parameter {name!r} is not declared in the parameters cell; "
                    f"expected one of {', '.join(sorted(params))}"
                )
            type_name = _declared_type(params[name])
            expected = _TYPE_CHECKS.get(type_name)
            if expected is not None and not isinstance(value, expected):
                raise ConfigError(
                    f"{job.notebook}: parameter {name!r} for {job.locality} has value {value!r} "
                    f"of type {type(value).__name__}; expected {type_name}"
                )


def plan(spec: ProgrammeSpec, localities: list[str] | None = None) -> list[Job]:
    """The jobs of a run: each report of the spec for each locality (or the ``localities`` given)."""
    chosen = list(localities) if localities else list(spec.localities)
    unknown = [c for c in chosen if c not in spec.localities]
    if unknown:
        raise PipelineError(
            f"locality {unknown[0]!r} is not in {spec.source}; expected one of "
            f"{', '.join(spec.localities)}"
        )
    folder = spec.output_folder
    jobs = []
    for report in spec.reports:
        notebook = spec.path(report.notebook)
        whole = report.scope == "programme"
        for code in [ALL_LOCALITIES] if whole else chosen:
            parameters = {
                "spec_path": str(spec.source),
                "locality": "" if whole else code,
                "period": "",  # empty: the reporting period of the spec
            }
            jobs.append(
                Job(
                    programme=spec.programme,
                    report=report.name,
                    title=report.title,
                    locality=code,
                    locality_name=f"all {len(spec.localities)} localities"
                    if whole
                    else spec.locality_name(code),
                    notebook=notebook,
                    parameters=parameters,
                    html_path=folder / f"{report.name}.html"
                    if whole
                    else _html_path(folder, report, code),
                    failed_path=folder / "_failed" / report.name / f"{code}.ipynb",
                    log_path=folder / "_logs" / report.name / f"{code}.log",
                    kernel=spec.kernel,
                    timeout=spec.timeout_seconds,
                    cwd=spec.project_root,
                )
            )
    return jobs
