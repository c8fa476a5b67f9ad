"""Intake: read the raw input files, validate them, pseudonymise identifiers, write partitions.

``data/raw/`` is read-only. :func:`prepare` writes validated, pseudonymised tables once to
``data/processed/<programme>/<table>/locality_code=<code>/part-0.parquet`` (hive layout), so each
report reads only its own locality's slice with :func:`load_partition`. A file ``_intake.json``
records the hash of each raw file and of each partition: :func:`prepare` skips the work when the raw
files have not changed, and the report cache keys use the partition hashes.
"""

from __future__ import annotations

from evalkit.intake.partitions import IntakeResult, load_partition, partition_path, prepare
from evalkit.intake.pseudonymise import load_key, pseudonym, pseudonymise
from evalkit.intake.readers import read_table
from evalkit.intake.schemas import SCHEMAS, Column, validate_table

__all__ = [
    "SCHEMAS",
    "Column",
    "IntakeResult",
    "load_key",
    "load_partition",
    "partition_path",
    "prepare",
    "pseudonym",
    "pseudonymise",
    "read_table",
    "validate_table",
]
