"""Validated, pseudonymised input data partitioned by locality (parquet, hive layout)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalkit import __version__
from evalkit._io import atomic_write_text, file_sha256
from evalkit.exceptions import DataError
from evalkit.intake.pseudonymise import load_key, pseudonymise
from evalkit.intake.readers import read_table
from evalkit.intake.schemas import Column, schema_for, validate_table
from evalkit.reference import locality_name

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.config import ProgrammeSpec

__all__ = ["IntakeResult", "load_partition", "partition_path", "prepare", "validate_inputs"]

STAMP = "_intake.json"
#: The locality of a report that covers the whole programme.
ALL_LOCALITIES = "all"
_PARTITION_FILE = "part-0.parquet"
_SCALE_RANGES = {"swemwbs": (7, 35), "wemwbs": (14, 70)}


@dataclasses.dataclass(frozen=True)
class IntakeResult:
    """What intake wrote: the hash of every partition, by table and locality."""

    folder: Path
    partitions: dict[str, dict[str, str]]
    raw_hashes: dict[str, str]
    reused: bool

    def partition_hashes(self, locality: str) -> dict[str, str]:
        """The hash of each table's partition for one locality (tables it has rows in).

        For :data:`ALL_LOCALITIES` (a report on the whole programme), every partition's hash.
        """
        if locality == ALL_LOCALITIES:
            return {f"{t}/{c}": h for t, p in self.partitions.items() for c, h in p.items()}
        return {t: p[locality] for t, p in self.partitions.items() if locality in p}


def partition_path(folder: Path, table: str, locality: str) -> Path:
    """Where one locality's slice of a table is stored."""
    return folder / table / f"locality_code={locality}" / _PARTITION_FILE


def _extra_columns(spec: ProgrammeSpec, table: str) -> list[Column]:
    extra: list[Column] = []
    if table == "service_users":
        if spec.wellbeing is not None:
            low, high = _SCALE_RANGES.get(spec.wellbeing.scale, (None, None))
            for name in (spec.wellbeing.pre, spec.wellbeing.post):
                extra.append(Column(name, "integer", nullable=True, low=low, high=high))
        for indicator in spec.indicators:
            kind = "binary" if indicator.unit == "share" else "number"
            for name in (indicator.column, indicator.baseline_column):
                if name:
                    extra.append(Column(name, kind, nullable=True))
    if table == "reviews" and spec.distance_travelled is not None:
        dt = spec.distance_travelled
        extra += [Column(a, "integer", nullable=True, low=dt.low, high=dt.high) for a in dt.areas]
    return extra


def _check_localities(df: pd.DataFrame, table: str, source: str, allowed: set[str]) -> pd.DataFrame:
    codes = df["locality_code"]
    for code in codes.unique():
        try:
            locality_name(str(code))
        except DataError:
            row = int((codes == code).to_numpy().argmax()) + 2
            raise DataError(
                f"{source}, row {row}, column 'locality_code': value {code!r} is not an English "
                "upper-tier local authority code; expected a code such as 'E08000012'"
            ) from None
    return df[codes.isin(allowed)]


def _key_fingerprint(key: bytes) -> str:
    return hmac.new(key, b"evalkit-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def _stamp_inputs(spec: ProgrammeSpec, files: dict[str, Path], key: bytes) -> dict[str, Any]:
    relevant = {
        "localities": spec.localities,
        "comparison_localities": spec.comparison_localities,
        "pseudonymise": spec.pseudonymise,
        "indicators": [i.model_dump() for i in spec.indicators],
        "wellbeing": spec.wellbeing.model_dump() if spec.wellbeing else None,
        "distance": spec.distance_travelled.model_dump() if spec.distance_travelled else None,
    }
    return {
        "evalkit_version": __version__,
        "key": _key_fingerprint(key),
        "spec": hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest(),
        "raw": {name: file_sha256(path) for name, path in sorted(files.items())},
    }


def _write_table(
    folder: Path, table: str, df: pd.DataFrame, localities: list[str]
) -> dict[str, str]:
    """Write one table's partitions into a fresh folder, then swap it in; return partition hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{table}.", dir=folder))
    hashes: dict[str, str] = {}
    for code, part in df.groupby("locality_code", sort=True):
        if code not in localities:
            continue
        target = partition_path(staging, ".", str(code))
        target.parent.mkdir(parents=True, exist_ok=True)
        part.drop(columns="locality_code").to_parquet(target, index=False)
        hashes[str(code)] = file_sha256(target)
    final = folder / table
    if final.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{table}.old.", dir=folder))
        final.rename(trash / table)
        staging.rename(final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.rename(final)
    return hashes


def _input_files(spec: ProgrammeSpec) -> dict[str, Path]:
    files = {name: path for name, path in spec.data_files().items() if name != "reflections"}
    for name, path in files.items():
        if not path.is_file():
            raise DataError(f"{path}: data file {name!r} named in {spec.source} not found")
    return files


def _load_tables(
    spec: ProgrammeSpec, files: dict[str, Path], key: bytes | None
) -> dict[str, pd.DataFrame]:
    """Read and validate every input file; pseudonymise identifiers when a key is given."""
    all_codes = [*spec.localities, *spec.comparison_localities]
    tables: dict[str, pd.DataFrame] = {}
    for name, path in files.items():
        source = str(path)
        raw = read_table(path)
        typed = validate_table(raw, schema_for(name, _extra_columns(spec, name)), source=source)
        allowed = set(all_codes if name == "timeseries" else spec.localities)
        typed = _check_localities(typed, name, source, allowed)
        columns = {c: p for c, p in spec.pseudonymise.items() if c in typed.columns}
        tables[name] = pseudonymise(typed, columns, key=key) if columns and key else typed
    served = set(tables["service_users"]["locality_code"].unique())
    empty = [c for c in spec.localities if c not in served]
    if empty:
        names = ", ".join(f"{c} ({locality_name(c)})" for c in empty)
        raise DataError(
            f"{files['service_users']}: no rows for locality {names} listed in {spec.source}; "
            "expected at least one service-user record per locality in the spec"
        )
    return tables


def validate_inputs(spec: ProgrammeSpec) -> dict[str, int]:
    """Check every data file the spec names, writing nothing; return the rows kept per table."""
    return {name: len(df) for name, df in _load_tables(spec, _input_files(spec), None).items()}


def prepare(spec: ProgrammeSpec, *, force: bool = False) -> IntakeResult:
    """Validate, pseudonymise and partition the spec's data files (skipped when unchanged)."""
    folder = spec.processed_folder
    files = _input_files(spec)
    key = load_key()
    inputs = _stamp_inputs(spec, files, key)
    stamp_path = folder / STAMP
    if not force and stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        complete = all(
            partition_path(folder, t, c).is_file()
            for t, parts in stamp.get("partitions", {}).items()
            for c in parts
        )
        if stamp.get("inputs") == inputs and complete:
            return IntakeResult(folder, stamp["partitions"], inputs["raw"], reused=True)

    all_codes = [*spec.localities, *spec.comparison_localities]
    tables = _load_tables(spec, files, key)
    partitions: dict[str, dict[str, str]] = {}
    for name, df in tables.items():
        partitions[name] = _write_table(folder, name, df, all_codes)
    atomic_write_text(
        stamp_path,
        json.dumps({"inputs": inputs, "partitions": partitions}, indent=2, sort_keys=True) + "\n",
    )
    return IntakeResult(folder, partitions, inputs["raw"], reused=False)


def load_partition(spec: ProgrammeSpec, table: str, locality: str) -> pd.DataFrame:
    """One locality's slice of a prepared table (empty frame with no columns if it has none)."""
    path = partition_path(spec.processed_folder, table, locality)
    if not path.is_file():
        table_folder = spec.processed_folder / table
        if not table_folder.is_dir():
            raise DataError(
                f"{table_folder}: table {table!r} has not been prepared; run 'evalkit run' "
                "(or evalkit.intake.prepare) first"
            )
        return pd.DataFrame()
    df = pd.read_parquet(path)
    df.insert(0, "locality_code", locality)
    return df
