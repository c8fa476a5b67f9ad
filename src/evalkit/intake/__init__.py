"""Intake: read each source the spec names, map and validate it, pseudonymise, partition.

``data/raw/`` is read-only. :func:`prepare` reads every source of a programme spec (a file, or the
rows an SQL query returns from a database: :func:`read_query`), keeps only the
columns the plan uses, applies the declared missing-value markers, recodes and date format,
replaces identifiers by keyed hashes, keeps the records of the reporting period, and writes each
source once to ``data/processed/<programme>/<source>/locality_code=<code>/part-0.parquet`` (hive
layout), so each report reads only its own locality's slice with :func:`load_partition`. A file
``_intake.json`` records the hash of each raw file (or query's rows) and of each partition:
:func:`prepare` skips the work when the raw data and the plan have not changed, and the report
cache keys use the partition hashes.
"""

from __future__ import annotations

from evalkit.intake.database import read_query
from evalkit.intake.mapping import map_source, used_columns
from evalkit.intake.partitions import (
    IntakeResult,
    load_partition,
    partition_path,
    prepare,
    validate_inputs,
)
from evalkit.intake.pseudonymise import load_key, pseudonym, pseudonymise
from evalkit.intake.readers import read_table, sheet_names
from evalkit.intake.schemas import Column, validate_table

__all__ = [
    "Column",
    "IntakeResult",
    "load_key",
    "load_partition",
    "map_source",
    "partition_path",
    "prepare",
    "pseudonym",
    "pseudonymise",
    "read_query",
    "read_table",
    "sheet_names",
    "used_columns",
    "validate_inputs",
    "validate_table",
]
