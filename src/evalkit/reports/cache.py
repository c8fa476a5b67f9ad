"""Cache keys for reports: a report is rerun only when something it depends on has changed.

The key of a job is the SHA-256 of: the notebook's source with outputs and execution counts
stripped, the job's parameters, the hash of each input partition for its locality, the evalkit
version, and the environment (Python version and the versions of the packages that shape a report).
"""

from __future__ import annotations

import hashlib
import json
import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import nbformat

from evalkit import __version__

__all__ = ["cache_key", "environment_fingerprint", "notebook_source_hash"]

_ENV_PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "nbconvert",
    "papermill",
)


@cache
def environment_fingerprint() -> dict[str, str]:
    """Python and package versions that can change what a report shows."""
    env = {"python": platform.python_version()}
    for name in _ENV_PACKAGES:
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = "absent"
    return env


def notebook_source_hash(path: Path) -> str:
    """SHA-256 of a notebook's cell types and sources (outputs, counts and metadata ignored)."""
    nb = nbformat.read(path, as_version=4)
    cells = [
        (c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", []))) for c in nb.cells
    ]
    return hashlib.sha256(json.dumps(cells).encode("utf-8")).hexdigest()


def cache_key(
    notebook_hash: str,
    parameters: dict[str, Any],
    partition_hashes: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> str:
    """The cache key of one report."""
    payload = {
        "notebook": notebook_hash,
        "parameters": parameters,
        "partitions": dict(sorted(partition_hashes.items())),
        "evalkit": __version__,
        "environment": environment_fingerprint(),
        "extra": extra or {},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
