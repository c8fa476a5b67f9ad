"""Pseudonymisation of identifiers at intake, by a keyed hash (HMAC-SHA256).

The key never enters git. It is read, in order, from the environment variable
``EVALKIT_PSEUDONYM_KEY``, from the file named by ``EVALKIT_KEY_FILE``, or from the default key file
``.secrets/pseudonym.key`` under the project folder (git-ignored). ``evalkit demo`` creates that file
for the demo if it is missing; for real data, make the key yourself and keep it safe: anyone with
the key and a list of identifiers can re-identify people.

The project folder is the one holding ``notebooks/``, found by walking up from the working folder
(:func:`evalkit.config.project_folder`), so the same key is found from a notebook's kernel, which
starts in ``notebooks/``, as from the command line in the project folder. A relative
``EVALKIT_KEY_FILE`` is read from the project folder too (:func:`evalkit.config.locate`).

The same identifier and key always give the same pseudonym, so records link across files and runs;
without the key, the pseudonym cannot be reversed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from evalkit.exceptions import PrivacyError

__all__ = [
    "DEFAULT_KEY_FILE",
    "create_key_file",
    "key_file",
    "load_key",
    "pseudonym",
    "pseudonymise",
]

KEY_ENV = "EVALKIT_PSEUDONYM_KEY"
KEY_FILE_ENV = "EVALKIT_KEY_FILE"
DEFAULT_KEY_FILE = Path(".secrets") / "pseudonym.key"
_MIN_KEY_LENGTH = 16


def key_file() -> Path:
    """The key file: the one ``EVALKIT_KEY_FILE`` names, else the project's default one."""
    from evalkit.config import locate, project_folder

    named = os.environ.get(KEY_FILE_ENV)
    return locate(named) if named else project_folder() / DEFAULT_KEY_FILE


def load_key() -> bytes:
    """The pseudonymisation key, or a PrivacyError saying how to provide one."""
    value = os.environ.get(KEY_ENV)
    origin = f"environment variable {KEY_ENV}"
    if not value:
        path = key_file()
        origin = f"key file {path}"
        if not path.is_file():
            raise PrivacyError(
                f"no pseudonymisation key: set {KEY_ENV}, or {KEY_FILE_ENV} to a key file, "
                f"or create {path} ('evalkit init' creates one for a new programme, "
                "'evalkit demo' for the demo data)"
            )
        value = path.read_text(encoding="utf-8").strip()
    if len(value) < _MIN_KEY_LENGTH:
        raise PrivacyError(
            f"the pseudonymisation key from {origin} is {len(value)} characters long; "
            f"expected at least {_MIN_KEY_LENGTH}"
        )
    return value.encode("utf-8")


def create_key_file(path: Path | None = None) -> Path:
    """Create a random key file (mode 600) if none exists; return its path (by default the one
    :func:`load_key` reads: ``EVALKIT_KEY_FILE`` or the project's ``.secrets/pseudonym.key``)."""
    path = Path(path or key_file())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path


def pseudonym(identifier: object, key: bytes, *, prefix: str = "", length: int = 12) -> str:
    """The keyed-hash pseudonym of one identifier: ``prefix`` + the first ``length`` hex digits."""
    digest = hmac.new(key, str(identifier).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def pseudonymise(
    df: pd.DataFrame, columns: dict[str, str], *, key: bytes | None = None
) -> pd.DataFrame:
    """A copy of ``df`` with each column in ``columns`` replaced by its pseudonym.

    ``columns`` maps a column name to the prefix its pseudonyms carry, e.g. ``{"person_id": "p-"}``.
    Missing values stay missing.
    """
    key = key if key is not None else load_key()
    out = df.copy()
    for column, prefix in columns.items():
        values = out[column]
        uniques = values.dropna().unique()
        mapping = {u: pseudonym(u, key, prefix=prefix) for u in uniques}
        out[column] = values.map(mapping)
    return out
