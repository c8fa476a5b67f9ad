"""Cache keys for reports: a report is rerun only when something it depends on has changed.

The key of a job is the SHA-256 of: the notebook's source with outputs and execution counts
stripped, the job's parameters, the hash of each input partition for its locality, the evalkit
version and the hash of its code and reference data (so an editable install that changes a
section reruns the reports), the environment (Python version and the versions of the packages
that shape a report), and the other inputs a notebook reads (:func:`side_inputs_fingerprint`: the
spec, the files beside it such as the social value bids, and the learning log).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from evalkit import __version__

__all__ = [
    "cache_key",
    "environment_fingerprint",
    "notebook_source_hash",
    "package_fingerprint",
    "side_inputs_fingerprint",
    "tree_fingerprint",
]

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


def tree_fingerprint(root: Path) -> str:
    """SHA-256 of the files under ``root``, by path and content.

    Every file, in sorted order of its path, contributes its path relative to ``root`` (UTF-8)
    and then its bytes; ``__pycache__`` folders are left out.
    """
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def package_fingerprint() -> str:
    """:func:`tree_fingerprint` of evalkit's own files (code and reference data), once per process."""
    import evalkit

    return tree_fingerprint(Path(evalkit.__file__).parent)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_hash(path: Path) -> str:
    """SHA-256 of a SQLite store's content (not its file bytes, which readers may touch)."""
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for line in connection.iterdump():
            digest.update(line.encode("utf-8"))
        return digest.hexdigest()
    finally:
        connection.close()


def side_inputs_fingerprint(
    spec_path: Path, learning_store: Path | None = None, *, partitioned: Iterable[Path] = ()
) -> dict[str, str]:
    """Hashes of what a notebook may read besides its partitions: the spec's folder and the log.

    Every file beside the spec (for example the social value bids and delivery returns) and the
    content of the learning log count, so that a change to any of them reruns the reports. The
    ``partitioned`` data files are left out: their locality partitions are in the key already, so
    a change to one locality's rows reruns only that locality.
    """
    skip = {Path(p).resolve() for p in partitioned}
    hashes = {
        str(p): _file_hash(p)
        for p in sorted(spec_path.parent.iterdir())
        if p.is_file() and p.resolve() not in skip
    }
    if learning_store is not None and learning_store.is_file():
        hashes[str(learning_store)] = _store_hash(learning_store)
    return hashes


def notebook_source_hash(path: Path) -> str:
    """SHA-256 of a notebook's cell types and sources (outputs, counts and metadata ignored).

    A version-4 notebook is read as JSON (nbformat is slow to import and an unchanged rerun
    needs nothing else from it); older ones through nbformat, which converts them.
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if raw.get("nbformat") == 4:
        cells = [
            (
                c["cell_type"],
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
                sorted(c.get("metadata", {}).get("tags", [])),
            )
            for c in raw["cells"]
        ]
    else:
        from evalkit.reports._imports import without_iri_grammars

        without_iri_grammars()
        import nbformat

        nb = nbformat.reads(json.dumps(raw), as_version=4)
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
