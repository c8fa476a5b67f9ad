"""What a report notebook works with: its spec, locality, data slices, key figures and provenance.

A report notebook does little more than::

    ctx = evalkit.reports.context(spec_path, locality, period)
    people = ctx.table("service_users")
    ...
    ctx.record("people_served", value, label="People served")

Every figure recorded goes to the run's manifest and index page, so record only figures that have
passed disclosure control.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import __version__
from evalkit.config import ProgrammeSpec, load_spec
from evalkit.intake import load_partition
from evalkit.intake.partitions import STAMP
from evalkit.reports.export import FIGURE_MIME

__all__ = ["ReportContext", "context", "provenance", "record"]


def record(name: str, value: Any, *, label: str | None = None, unit: str | None = None) -> None:
    """Record a key figure of this report for the manifest and index (not shown in the page)."""
    from IPython.display import display

    if hasattr(value, "item"):
        value = value.item()
    payload = {"name": name, "value": value, "label": label or name, "unit": unit}
    display({FIGURE_MIME: payload}, raw=True)


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def provenance(spec: ProgrammeSpec, parameters: dict[str, Any]) -> dict[str, Any]:
    """Where a report came from: versions, git commit and dirtiness, data hashes, parameters, time."""
    root = spec.project_root
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
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
    """Load the spec and return the context of one locality's report."""
    spec = load_spec(spec_path)
    if locality not in spec.localities:
        from evalkit.exceptions import ConfigError

        raise ConfigError(f"locality {locality!r} is not in {spec_path}")
    return ReportContext(spec=spec, locality=locality, period=period or spec.reporting_period.label)
