"""What a report notebook works with: its spec, locality, data slices, key figures and provenance.

A report notebook does little more than::

    ctx = evalkit.reports.context(spec_path, locality, period)
    people = ctx.table("service_users")
    ...
    ctx.record("people_served", value, label="People served")

Every figure recorded goes to the run's manifest and index page, so record only figures that have
passed disclosure control.

Paths in a notebook's parameters are relative to the project folder (the one holding
``notebooks/``) whatever folder the kernel starts in (:func:`evalkit.config.locate`). The first
code cell after the parameters cell calls :func:`check_parameters`, so that a notebook run by hand
(JupyterLab, ``jupyter nbconvert --execute``, papermill, Quarto) with a misspelt parameter or a
locality the spec lacks stops with one line instead of reporting on its default locality.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import difflib
import functools
import json
import subprocess
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import __version__
from evalkit.config import ProgrammeSpec, load_spec, locate
from evalkit.exceptions import ConfigError, ParameterError
from evalkit.intake import load_partition
from evalkit.intake.partitions import STAMP
from evalkit.reports.export import FIGURE_MIME

__all__ = [
    "NotebookParameterError",
    "ReportContext",
    "check_parameters",
    "context",
    "provenance",
    "record",
]


def record(
    name: str, value: Any, *, label: str | None = None, unit: str | None = None, **extra: Any
) -> None:
    """Record a key figure of this report for the manifest and index (not shown in the page).

    ``extra`` adds JSON-able detail (an interval, the words for it) the index may show.
    """
    from IPython.display import display

    if hasattr(value, "item"):
        value = value.item()
    payload = {"name": name, "value": value, "label": label or name, "unit": unit, **extra}
    display({FIGURE_MIME: payload}, raw=True)


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


@functools.cache
def _git_state(root: Path) -> tuple[str | None, str | None]:
    """The commit and the short status of the checkout at ``root``, asked once per process (a
    report shows its provenance twice; ``git status`` may run the notebook filter)."""
    return _git(root, "rev-parse", "HEAD"), _git(
        root, "status", "--porcelain", "--untracked-files=no"
    )


def provenance(spec: ProgrammeSpec, parameters: dict[str, Any]) -> dict[str, Any]:
    """Where a report came from: versions, git commit and dirtiness, data hashes, parameters, time."""
    root = spec.project_root
    commit, status = _git_state(root)
    stamp_path = spec.processed_folder / STAMP
    raw_hashes = {}
    if stamp_path.is_file():
        raw_hashes = json.loads(stamp_path.read_text(encoding="utf-8"))["inputs"]["raw"]
    policy = spec.disclosure.policy
    return {
        "evalkit_version": __version__,
        "git_commit": commit or "not a git checkout",
        "git_dirty": None if status is None else bool(status),
        "data_sha256": raw_hashes,
        "parameters": parameters,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "disclosure_policy": policy if isinstance(policy, str) else dict(policy),
        "spec": str(spec.source),
    }


@dataclasses.dataclass
class ReportContext:
    """A report's spec, locality and data, loaded once per notebook."""

    spec: ProgrammeSpec
    locality: str
    period: str

    @property
    def locality_name(self) -> str:
        """The locality's name as the spec gives it (or the shipped list has it)."""
        return self.spec.locality_name(self.locality)

    @property
    def disclosure_policy(self) -> str | dict[str, Any]:
        """The small-number policy named in the spec."""
        return self.spec.disclosure.policy

    def table(self, name: str, locality: str | None = None) -> pd.DataFrame:
        """This locality's slice of a prepared source (or another locality's, such as a
        never-treated comparison area's series)."""
        code = locality or self.locality
        key = f"{name}/{code}"
        if key not in self._tables:
            self._tables[key] = load_partition(self.spec, name, code)
        return self._tables[key]

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return {}

    def record(self, name: str, value: Any, **kwargs: Any) -> None:
        """Record a key figure (see :func:`record`)."""
        record(name, value, **kwargs)

    def provenance(self) -> dict[str, Any]:
        """Provenance of this report (see :func:`provenance`)."""
        params = {
            "spec_path": str(self.spec.source),
            "locality": self.locality,
            "period": self.period,
        }
        return provenance(self.spec, params)


def context(spec_path: str, locality: str, period: str = "") -> ReportContext:
    """Load the spec and return the context of one locality's report.

    ``spec_path`` is absolute or relative to the project folder, whatever the working folder
    (:func:`evalkit.config.locate`).
    """
    spec = load_spec(locate(spec_path))
    if locality not in spec.localities:
        raise ConfigError(f"locality {locality!r} is not in {spec_path}")
    return ReportContext(spec=spec, locality=locality, period=period or spec.reporting_period.label)


#: The first line of the cell that papermill (``# Parameters``) or Quarto (``# Injected
#: Parameters``) injects after a notebook's ``parameters`` cell to override its defaults.
INJECTED_COMMENTS = ("# Parameters", "# Injected Parameters")
#: Names papermill itself injects when asked (``--inject-paths``): never a notebook's mistake.
_PAPERMILL_NAMES = frozenset({"PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH"})


class NotebookParameterError(ParameterError):
    """A notebook's parameters are wrong: a name its parameters cell does not declare, a value of
    the wrong type, a spec that cannot be read or a locality the spec does not declare.

    In a notebook it shows as its one-line message, without a traceback.
    """

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return [f"{type(self).__name__}: {self}"]


def _declared(namespace: Mapping[str, Any]) -> dict[str, str]:
    """The notebook's parameters and their declared types, from the annotations that its
    parameters cell writes (``locality: str = "E08000012"``) into the kernel's namespace."""
    annotations = namespace.get("__annotations__")
    if annotations is None and callable(namespace.get("__annotate__")):  # Python 3.14 (PEP 649)
        try:
            annotations = namespace["__annotate__"](1)
        except Exception:  # an annotation that cannot be evaluated: no types to check
            annotations = None
    return {name: getattr(t, "__name__", str(t)) for name, t in dict(annotations or {}).items()}


def _injected(namespace: Mapping[str, Any]) -> list[str]:
    """The names assigned by the cell run just before the calling one, if papermill or Quarto
    injected it.

    Both insert their cell right after the ``parameters`` cell, so it runs just before the first
    code cell after it (the one that calls :func:`check_parameters`). IPython keeps each cell's
    source in ``In``, the calling cell last.
    """
    history = namespace.get("In") or namespace.get("_ih") or []
    if len(history) < 2:
        return []
    source = str(history[-2])
    lines = [line for line in source.splitlines() if not line.startswith("#|")]  # Quarto options
    if not lines or lines[0].strip() not in INJECTED_COMMENTS:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_parameters(
    namespace: Mapping[str, Any], *, require_locality: bool = True, require_spec: bool = True
) -> None:
    """Check a notebook's parameters where it runs; raise a one-line error for the first problem.

    Call it with ``globals()`` from the first code cell after the parameters cell, whose
    parameters are declared with their types (``locality: str = "E08000012"``). It stops the
    notebook with a :class:`NotebookParameterError` when

    - papermill or Quarto injected a name the parameters cell does not declare (papermill only
      warns, then runs the notebook with its defaults: a misspelt ``-p localty E08000011`` would
      otherwise give the report of the default locality);
    - a parameter's value is not of its declared type, as :func:`evalkit.reports.preflight`
      checks before ``evalkit run`` starts a kernel (papermill reads ``-p period 2024`` as a
      number; ``-r`` passes text);
    - ``spec_path`` (relative to the project folder, or absolute) names no readable spec;
    - ``locality`` is not one of the spec's localities, or is empty where ``require_locality``.

    ``require_locality=False`` is for notebooks that cover every locality (the comparison) or
    where the locality is optional (the capture form); a locality given is still checked.
    ``require_spec=False`` lets ``spec_path`` name no file (the capture form, given its store,
    needs no spec); a spec that is there must still be valid.

    It also forgets the tables recorded for downloads by an earlier run of the notebook in the
    same kernel (:func:`evalkit.reports.downloads.clear`): a notebook's downloads are the tables
    of its own run.
    """
    from evalkit.reports import downloads
    from evalkit.reports.plan import _TYPE_CHECKS, _declared_type

    downloads.clear()

    declared = _declared(namespace)
    if not declared:
        raise NotebookParameterError(
            "the parameters cell declares no parameter with its type; write each as "
            "name: type = default (locality: str = 'E08000012')"
        )
    for name in _injected(namespace):
        if name not in declared and name not in _PAPERMILL_NAMES:
            raise NotebookParameterError(
                f"parameter {name!r} is not declared in this notebook's parameters cell"
                f"{_did_you_mean(name, list(declared))}; expected one of "
                f"{', '.join(sorted(declared))}"
            )
    for name, annotation in declared.items():
        if name not in namespace:
            continue
        value = namespace[name]
        type_name = _declared_type({"inferred_type_name": annotation})
        expected = _TYPE_CHECKS.get(type_name)
        if expected is not None and not isinstance(value, expected):
            hint = " (give it as text: quoted, or with papermill -r NAME VALUE)"
            raise NotebookParameterError(
                f"parameter {name!r} has value {value!r:.80} of type {type(value).__name__}; "
                f"expected {type_name}{hint if type_name == 'str' else ''}"
            )
    spec_path = namespace.get("spec_path") if "spec_path" in declared else None
    if not spec_path:
        return
    path = locate(spec_path)
    if not require_spec and not path.is_file():
        return
    try:
        spec = load_spec(path)
    except ConfigError as exc:
        raise NotebookParameterError(f"parameter 'spec_path': {exc}") from None
    if "locality" not in declared:
        return
    code = namespace.get("locality") or ""
    if code in spec.localities or (not code and not require_locality):
        return
    by_name = {spec.locality_name(c).casefold(): c for c in spec.localities}
    named = by_name.get(str(code).strip().casefold())
    hint = f" (the code of {code} is {named})" if named else ""
    what = f"locality {code!r} is not in {spec.source}" if code else "no locality given"
    raise NotebookParameterError(f"{what}{hint}; expected one of {', '.join(spec.localities)}")
