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
from evalkit.config.sources import IDENTIFIER_ROLES
from evalkit.exceptions import DataError
from evalkit.intake.database import read_query, rows_sha256
from evalkit.intake.mapping import map_source
from evalkit.intake.pseudonymise import load_key, pseudonymise
from evalkit.intake.readers import read_table

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.config import ProgrammeSpec

__all__ = [
    "IntakeResult",
    "SourceCheck",
    "load_partition",
    "partition_path",
    "prepare",
    "validate_inputs",
]

STAMP = "_intake.json"
#: The locality of a report that covers the whole programme.
ALL_LOCALITIES = "all"
_PARTITION_FILE = "part-0.parquet"


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


def _key_fingerprint(key: bytes) -> str:
    return hmac.new(key, b"evalkit-key-fingerprint", hashlib.sha256).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What intake reads: each file source's path, and each query source's rows (fetched once).

    Messages name a file by its path and a query by its spec field (``sources.<name>.query``).
    """

    files: dict[str, Path]
    queried: dict[str, pd.DataFrame]

    @property
    def where(self) -> dict[str, str]:
        """How messages name each input, by source name."""
        return {
            **{name: str(path) for name, path in self.files.items()},
            **{name: df.attrs["where"] for name, df in self.queried.items()},
        }

    def hashes(self) -> dict[str, str]:
        """The hash of each input: a file's bytes, a query's rows."""
        return {
            **{name: file_sha256(path) for name, path in self.files.items()},
            **{name: rows_sha256(df) for name, df in self.queried.items()},
        }


def _stamp_inputs(spec: ProgrammeSpec, inputs: _Inputs, key: bytes) -> dict[str, Any]:
    plan = spec.model_dump(
        mode="json",
        include={
            "reporting_period",
            "localities",
            "comparison_localities",
            "sources",
            "characteristics",
            "outcomes",
            "designs",
        },
    )
    return {
        "evalkit_version": __version__,
        "key": _key_fingerprint(key),
        "spec": hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest(),
        "raw": dict(sorted(inputs.hashes().items())),
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


def _read_inputs(spec: ProgrammeSpec) -> _Inputs:
    """Check that every data file exists and run every query (each once)."""
    files = spec.data_files()
    for name, path in files.items():
        if not path.is_file():
            field = "eligible.file" if name == "eligible" else f"sources.{name}.file"
            raise DataError(f"{path}: data file named in {spec.source} ({field}) not found")
    queried = {
        name: read_query(str(s.query), str(s.url_env), source=name)
        for name, s in spec.query_sources().items()
    }
    return _Inputs(files, queried)


def _select_period(spec: ProgrammeSpec, tables: dict[str, pd.DataFrame]) -> None:
    """Keep the records the reporting period covers (see :class:`evalkit.config.PeriodSpec`)."""
    period = spec.reporting_period
    if period.select == "all":
        return
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    people = tables[spec.people_source]
    # Eligible people not served have no start date: their referral (if any) places them.
    started = people["start_date"]
    if "referral_date" in people.columns:
        started = started.fillna(people["referral_date"])
    begun = started <= end
    if period.select == "started":
        keep = begun & (started >= start)
    else:
        ended = people["end_date"] if "end_date" in people else pd.Series(pd.NaT, people.index)
        keep = begun & (ended.isna() | (ended >= start))
    keep |= started.isna()  # nothing places them in time: kept, as eligible people not served
    tables[spec.people_source] = people[keep].copy()
    tables[spec.people_source].attrs = {**people.attrs, "outside_period": int((~keep).sum())}
    kept = set(people.loc[keep, "person_id"])
    for name, s in spec.sources.items():
        df = tables[name]
        if s.kind == "readings":
            tables[name] = df[df["person_id"].isin(kept)]
        elif s.kind == "series":
            tables[name] = df[df["period"] <= end]


def _readings_localities(
    spec: ProgrammeSpec, tables: dict[str, pd.DataFrame], where: dict[str, str]
) -> None:
    """Readings without a locality column take each person's locality from the people source."""
    people = tables[spec.people_source].drop_duplicates("person_id").set_index("person_id")
    for name, s in spec.sources.items():
        df = tables[name]
        if s.kind != "readings":
            continue
        if "locality_code" not in df.columns:
            df = df.assign(locality_code=df["person_id"].map(people["locality_code"]))
        unknown = df["locality_code"].isna() | ~df["person_id"].isin(people.index)
        if unknown.any():
            first = unknown.idxmax()
            row = int(first) + int(df.attrs.get("first_row", 2))
            raise DataError(
                f"{where[name]}, row {row}, column {s.columns['person_id']!r}: person "
                f"{df.at[first, 'person_id']!r} is not in the {spec.people_source} source; "
                "expected every reading to belong to a person in it"
            )
        tables[name] = df


#: The columns of an eligible-population file: counts by characteristic and category.
ELIGIBLE_COLUMNS = ("locality", "characteristic", "category", "count")


def _eligible(spec: ProgrammeSpec, path: Path) -> pd.DataFrame:
    """The eligible population by locality, characteristic and category (counts)."""
    from evalkit.intake.mapping import locality_codes
    from evalkit.intake.schemas import Column, validate_table

    raw = read_table(path)
    names = [c.name for c in spec.characteristics]
    rules = [
        Column("locality", "text"),
        Column("characteristic", "category", choices=tuple(names)),
        Column("category", "text"),
        Column("count", "integer", low=0),
    ]
    typed = validate_table(raw, rules, source=str(path))
    return locality_codes(typed, spec, str(path), "locality", int(raw.attrs["first_row"]))


def _load_tables(
    spec: ProgrammeSpec, inputs: _Inputs, key: bytes | None
) -> dict[str, pd.DataFrame]:
    """Read, map and validate every source; pseudonymise identifiers when a key is given."""
    files, where = inputs.files, inputs.where
    tables: dict[str, pd.DataFrame] = {}
    for name, s in spec.sources.items():
        if name in inputs.queried:
            raw = inputs.queried[name]
        else:
            raw = read_table(files[name], sheet=s.sheet, header_row=s.header_row)
        typed = map_source(spec, name, raw, where[name])
        typed.attrs["first_row"] = raw.attrs.get("first_row", 2)
        tables[name] = typed
    _readings_localities(spec, tables, where)
    _check_occasions(spec, tables, where)
    if "eligible" in files:
        tables["eligible"] = _eligible(spec, files["eligible"])
    if key is not None:
        for name, df in tables.items():
            ids = {r: p for r, p in IDENTIFIER_ROLES.items() if r in df.columns}
            if ids:
                tables[name] = pseudonymise(df, ids, key=key)
    _select_period(spec, tables)
    people = tables[spec.people_source]
    served = set(people.loc[people["group"] == "participant", "locality_code"].unique())
    empty = [c for c in spec.localities if c not in served]
    if empty:
        names = ", ".join(f"{c} ({spec.locality_name(c)})" for c in empty)
        raise DataError(
            f"{where[spec.people_source]}: no people served in locality {names} "
            f"({spec.reporting_period.describe()}); expected at least one record per locality "
            "listed in the spec"
        )
    return tables


@dataclasses.dataclass(frozen=True)
class SourceCheck:
    """What intake made of one source: rows kept, rows left out and why, occasions found."""

    rows: int
    excluded: int = 0
    outside_period: int = 0
    occasions: dict[str, int] = dataclasses.field(default_factory=dict)

    def describe(self) -> str:
        """One line for ``evalkit validate``."""
        text = f"{self.rows} rows OK"
        if self.excluded:
            text += f"; {self.excluded} left out by exclude"
        if self.outside_period:
            text += f"; {self.outside_period} outside the reporting period, left out"
        if self.occasions:
            found = ", ".join(f"{k!r} {v}" for k, v in self.occasions.items())
            text += f"; occasions: {found}"
        return text


def validate_inputs(spec: ProgrammeSpec) -> dict[str, SourceCheck]:
    """Check every data file and query the spec names, writing nothing; say what was kept."""
    out = {}
    for name, df in _load_tables(spec, _read_inputs(spec), None).items():
        occasions = {}
        if "occasion" in df.columns:
            counts = df["occasion"].astype("string").str.strip().value_counts(dropna=True)
            occasions = {str(k): int(v) for k, v in counts.items()}
        out[name] = SourceCheck(
            rows=len(df),
            excluded=int(df.attrs.get("excluded", 0)),
            outside_period=int(df.attrs.get("outside_period", 0)),
            occasions=occasions,
        )
    return out


def _check_occasions(
    spec: ProgrammeSpec, tables: dict[str, pd.DataFrame], where: dict[str, str]
) -> None:
    """Every occasion an outcome names is in its readings (or nobody would be compared)."""
    for i, o in enumerate(spec.outcomes):
        source = spec.outcome_source(o)
        if spec.sources[source].kind != "readings":
            continue
        found = tables[source]["occasion"].dropna().astype(str).str.strip()
        labels = set(found.str.casefold())
        for side, which in (("before", o.before), ("after", o.after)):
            if which and which not in ("first", "last") and which.casefold() not in labels:
                listed = ", ".join(map(repr, sorted(set(found))[:12]))
                raise DataError(
                    f"{where[source]}: no reading is recorded as {which!r}, the occasion named in "
                    f"spec field outcomes[{i}].{side}; the occasions in the file are: {listed}"
                )


def prepare(spec: ProgrammeSpec, *, force: bool = False) -> IntakeResult:
    """Validate, pseudonymise and partition the spec's data (skipped when unchanged).

    Data files are compared with the last run's by their hash; query sources are run and their
    rows compared by their hash (see :func:`~evalkit.intake.database.rows_sha256`).
    """
    folder = spec.processed_folder
    raw_inputs = _read_inputs(spec)
    key = load_key()
    inputs = _stamp_inputs(spec, raw_inputs, key)
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
    tables = _load_tables(spec, raw_inputs, key)
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
