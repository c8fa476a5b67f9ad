"""What an example may overwrite: only the files and the learning log it wrote itself.

``evalkit demo`` writes into a folder the user names, and rebuilds the demo's learning log. Both
may hold the user's own work: a ``service_users.csv`` of their own, reflections they added to
the log. So before anything is written:

- each file the example would write must be absent, or listed in the folder's record of what
  the example wrote (:data:`RECORD`) with the same content (SHA-256) as when it was written;
  a file the user wrote or changed since is refused, unless ``force`` is given;
- the learning log must be absent, or hold nothing but what the demo put there (every change in
  its history made by the demo or by the automatic redaction pass); a log anyone else wrote to
  is never replaced, whatever ``force`` says.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from evalkit._io import atomic_write_text, file_sha256
from evalkit.exceptions import DataError

__all__ = [
    "DEMO_ACTORS",
    "RECORD",
    "check_learning_log",
    "data_dir",
    "record_written",
    "refuse_foreign",
]

#: The record, beside the files, of what an example wrote: programme and file -> SHA-256.
RECORD = ".evalkit-demo.json"
#: Who makes the changes in a demo learning log: the demo and the automatic redaction pass.
DEMO_ACTORS = ("system:demo", "system:redaction")


def data_dir(directory: Path, spec_name: str) -> str:
    """The folder of the example's files as its spec names it: relative to the project folder
    (the one the spec's paths are read from, :func:`evalkit.config.find_root`) when inside it,
    else absolute, so that the spec finds its files whatever folder it is run from."""
    from evalkit.config import find_root

    folder = directory.resolve()
    root = find_root(folder / spec_name)
    return (folder.relative_to(root) if folder.is_relative_to(root) else folder).as_posix()


def _record(directory: Path, programme: str) -> dict[str, str]:
    """The files the example wrote in ``directory``, with their SHA-256 then; {} if none."""
    try:
        record = json.loads((directory / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(record, dict) or record.get("programme") != programme:
        return {}
    files = record.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def refuse_foreign(directory: Path, names: Iterable[str], programme: str, *, force: bool) -> None:
    """Raise DataError naming the first file the example would overwrite that is not its own.

    A file is the example's own if the folder's record lists it with the content it has now.
    """
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory}: not a folder; expected a folder for the example's files")
    if force:
        return
    ours = _record(directory, programme)
    foreign = [
        n
        for n in names
        if (directory / n).exists()
        and not ((directory / n).is_file() and ours.get(n) == file_sha256(directory / n))
    ]
    if foreign:
        also = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise DataError(
            f"{directory / foreign[0]}: already exists and was not written by the {programme} "
            f"example, or was changed since{also}; refusing to overwrite it: choose an empty "
            "folder, move the file, or pass --force to overwrite"
        )


def record_written(directory: Path, names: Iterable[str], programme: str) -> Path:
    """Write the record of the files the example has just written (with their SHA-256)."""
    files = {n: file_sha256(directory / n) for n in names if (directory / n).is_file()}
    text = json.dumps({"programme": programme, "files": files}, indent=2) + "\n"
    return atomic_write_text(directory / RECORD, text)


def _others(path: Path) -> int | None:
    """How many changes in the log's history someone other than the demo made (None: unreadable)."""
    actors = ", ".join("?" * len(DEMO_ACTORS))
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                f"SELECT count(*) FROM history WHERE changed_by NOT IN ({actors})", DEMO_ACTORS
            ).fetchone()
    except sqlite3.Error:
        return None
    return int(row[0])


def check_learning_log(path: Path) -> None:
    """Raise DataError unless the learning log at ``path`` is absent or the demo's own.

    The demo rebuilds its learning log from scratch; a log that holds anybody else's
    reflections, reviews, codes or actions (or that cannot be read) is never replaced.
    """
    if not path.exists():
        leftovers = [p for p in path.parent.glob(path.name + "-*") if p.is_file()]
        if not leftovers:
            return
        path = leftovers[0]
        others = None
    else:
        others = _others(path)
    if others == 0:
        return
    what = (
        f"holds {others} change(s) not made by the demo (reflections, reviews, codes or actions)"
        if others
        else "is not a learning log the demo wrote"
    )
    raise DataError(
        f"{path}: this learning log {what}; the demo never replaces it: move it elsewhere (or "
        "write the demo into another project folder) and run evalkit demo again"
    )
