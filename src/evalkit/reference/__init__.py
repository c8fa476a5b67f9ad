"""Reference data shipped with evalkit, each file with its source and vintage.

``sources.yaml`` beside this module records, for every data file, where it comes from, its
vintage, its licence and whether it was checked against the primary document (``verified``).
Read files with :func:`load_table`; read the record with :func:`source_of`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import yaml

from evalkit.exceptions import ConfigError, DataError

__all__ = [
    "known_locality_name",
    "load_table",
    "load_yaml",
    "localities",
    "locality_name",
    "path_of",
    "source_of",
]

_PACKAGE = "evalkit.reference"


def path_of(filename: str):
    """A traversable path to a shipped reference file."""
    path = resources.files(_PACKAGE) / filename
    if not path.is_file():
        raise ConfigError(f"reference file {filename!r} is not shipped with evalkit")
    return path


@cache
def _sources() -> dict[str, dict[str, Any]]:
    with path_of("sources.yaml").open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def source_of(filename: str) -> dict[str, Any]:
    """The source record (source, vintage, licence, verified, notes) of a shipped file."""
    try:
        return dict(_sources()[filename])
    except KeyError:
        raise ConfigError(f"reference file {filename!r} has no entry in sources.yaml") from None


def load_table(filename: str, **read_csv_kwargs: Any) -> pd.DataFrame:
    """Read a shipped CSV; ``df.attrs['source']`` holds its source record."""
    with path_of(filename).open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, **read_csv_kwargs)
    df.attrs["source"] = source_of(filename)
    return df


def load_yaml(filename: str) -> Any:
    """Read a shipped YAML file."""
    with path_of(filename).open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _locality_table() -> pd.DataFrame:
    return load_table("english_upper_tier_local_authorities.csv", dtype=str).set_index("code")


def localities() -> pd.DataFrame:
    """The 153 upper-tier local authorities of England (code, name, type), as of April 2023."""
    return _locality_table().reset_index()


def locality_name(code: str) -> str:
    """The name of an English upper-tier local authority from its ONS code (e.g. E08000012)."""
    table = _locality_table()
    if code not in table.index:
        raise DataError(
            f"locality code {code!r} is not an English upper-tier local authority code; "
            "expected a code such as 'E08000012' from english_upper_tier_local_authorities.csv"
        )
    return str(table.at[code, "name"])


def known_locality_name(code: str) -> str | None:
    """The name of a local authority in the shipped list, or None: the list checks, never gates."""
    table = _locality_table()
    return str(table.at[code, "name"]) if code in table.index else None
