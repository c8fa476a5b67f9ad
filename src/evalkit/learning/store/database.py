"""The SQLite file under a reflection store: connection, schema, transactions and history.

:class:`Database` opens the file (creating or upgrading its schema), runs each change in one
``BEGIN IMMEDIATE`` transaction (:meth:`Database.write`) and keeps the audit trail, the
``history`` table: one row per change of any record (reflection, action, cycle, coding,
codebook), saying who, when, which fields and with a snapshot of the record after the change.
Triggers make history append-only; only erasure (:meth:`Database.erase_history`) rewrites rows,
and only to remove text.

Schema versions (``PRAGMA user_version``):

- 1: the first release, with an ``experiments`` table nothing wrote to;
- 2: no ``experiments`` table. Opening a version 1 store drops the table if it is empty (it is
  kept, unread, if it holds rows) and sets version 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.exceptions import DataError
from evalkit.learning.records import SLOTS, Action, Reflection

__all__ = ["BUSY_TIMEOUT_MS", "REFLECTION_FIELDS", "SCHEMA_VERSION", "Database", "now", "to_text"]

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 60_000
#: Columns of ``reflections`` that hold a field of :class:`Reflection` (``extra`` is JSON).
REFLECTION_FIELDS: tuple[str, ...] = tuple(f for f in Reflection.model_fields if f != "extra")

_APPEND_ONLY: tuple[str, ...] = (
    "CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history "
    "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history "
    "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END",
)
_SCHEMA: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS reflections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        {", ".join(f"{f} TEXT" for f in REFLECTION_FIELDS)},
        {", ".join(f"redacted_{s} TEXT" for s in SLOTS)},
        redaction_log TEXT NOT NULL,
        extra TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS reflections_locality ON reflections (programme, locality, period)",
    """CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        action TEXT NOT NULL,
        changed_fields TEXT NOT NULL,
        note TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        UNIQUE (entity, entity_id, version)
    )""",
    *_APPEND_ONLY,
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS reflections_fts USING fts5 (
        {", ".join(SLOTS)}, tokenize = 'porter unicode61'
    )""",
    "CREATE TABLE IF NOT EXISTS codebook (name TEXT PRIMARY KEY, definition TEXT NOT NULL, "
    "parent TEXT)",
    """CREATE TABLE IF NOT EXISTS codings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reflection_id INTEGER NOT NULL REFERENCES reflections (id),
        code TEXT NOT NULL REFERENCES codebook (name),
        slot TEXT NOT NULL,
        coder TEXT NOT NULL,
        coded_at TEXT NOT NULL,
        UNIQUE (reflection_id, code, slot, coder)
    )""",
    "CREATE TABLE IF NOT EXISTS cycles (cycle_id TEXT PRIMARY KEY, programme TEXT, locality TEXT, "
    "name TEXT, system_scale TEXT, phase TEXT, started_on TEXT, ended_on TEXT)",
    f"""CREATE TABLE IF NOT EXISTS actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL,
        {", ".join(f"{f} TEXT" for f in Action.model_fields)},
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    )""",
)


def now() -> str:
    """The current UTC time as ISO 8601 text, to the microsecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def to_text(value: Any) -> str | None:
    """A value as stored: None kept, booleans '1'/'0', dates ISO, anything else ``str``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Database:
    """One SQLite file in write-ahead-log mode, with the schema of a reflection store.

    Several processes may write at once: each change takes the write lock with ``BEGIN
    IMMEDIATE`` and others wait up to a minute (``busy_timeout``) rather than fail. A writer that
    dies mid-transaction leaves nothing of it and loses nothing committed before.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        where = f"reflection store {str(self.path)!r}"
        try:
            self.conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise DataError(f"{where} cannot be opened: {exc}") from None
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise DataError(
                f"{where} cannot be opened: {exc}; expected an evalkit learning.sqlite file"
            ) from None
        except BaseException:
            self.conn.close()
            raise

    def _open(self) -> None:
        """Set the connection up (WAL, busy timeout), then create or upgrade the schema."""
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        version = self._user_version()
        if version > SCHEMA_VERSION:
            raise DataError(
                f"reflection store {str(self.path)!r} has schema version {version}; this "
                f"evalkit reads version {SCHEMA_VERSION} or older - upgrade evalkit"
            )
        if version < SCHEMA_VERSION:
            with self.write() as conn:
                self._upgrade(conn, self._user_version())  # read again under the write lock

    def _user_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @staticmethod
    def _upgrade(conn: sqlite3.Connection, version: int) -> None:
        """Bring the schema from ``version`` (0: a new file) to :data:`SCHEMA_VERSION`."""
        if version >= SCHEMA_VERSION:
            return  # another process upgraded it while we waited for the lock
        for statement in _SCHEMA:
            conn.execute(statement)
        if version == 1:
            tables = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'experiments'")
            if tables.fetchone() and not conn.execute("SELECT 1 FROM experiments").fetchone():
                conn.execute("DROP TABLE experiments")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE; rolled back on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise DataError(
                f"reflection store {str(self.path)!r} is busy or locked ({exc}) after waiting "
                f"{BUSY_TIMEOUT_MS // 1000} s; expected other writers to finish - try again"
            ) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def frame(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """The rows of a query as a DataFrame (columns named as the query names them)."""
        cursor = self.conn.execute(sql, tuple(params))
        columns = [d[0] for d in cursor.description or []]
        return pd.DataFrame([tuple(r) for r in cursor.fetchall()], columns=columns)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``'ok'`` for a sound file."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def compact(self) -> None:
        """Rewrite the file without free pages (VACUUM) and empty the write-ahead log.

        Afterwards no deleted or overwritten text is left in the file's free pages or in old
        log frames. DataError if another program is reading the store, so that the log could not
        be emptied (after waiting for it as long as for a writer).
        """
        self.conn.execute("VACUUM")
        busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            raise DataError(
                f"reflection store {str(self.path)!r} is being read by another program, so "
                "old copies of erased text may remain in its write-ahead log; expected no other "
                "reader - close the other programs and run the same erase command again"
            )

    # -- history: the audit trail -----------------------------------------------------------
    @staticmethod
    def append_history(
        conn: sqlite3.Connection,
        entity: str,
        entity_id: int,
        version: int,
        by: str,
        action: str,
        fields: Iterable[str],
        snapshot: Mapping[str, Any],
        note: str = "",
    ) -> None:
        """Append one row to the audit trail (inside the caller's transaction)."""
        conn.execute(
            "INSERT INTO history (entity, entity_id, version, changed_at, changed_by, action,"
            " changed_fields, note, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entity,
                int(entity_id),
                int(version),
                now(),
                by,
                action,
                json.dumps(sorted(fields)),
                note,
                json.dumps(dict(snapshot), default=str),
            ),
        )

    @staticmethod
    def next_version(conn: sqlite3.Connection, entity: str, entity_id: int) -> int:
        """The version the next history row of a record gets (1 for a new record)."""
        row = conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM history WHERE entity = ? AND entity_id = ?",
            (entity, int(entity_id)),
        ).fetchone()
        return int(row[0]) + 1

    def history(self, entity: str, entity_id: int | None = None) -> pd.DataFrame:
        """The audit trail of one kind of record (or one record): who, when, what, why."""
        sql = (
            "SELECT entity, entity_id, version, changed_at, changed_by, action, changed_fields,"
            " note FROM history WHERE entity = ?"
        )
        params: list[Any] = [entity]
        if entity_id is not None:
            sql += " AND entity_id = ?"
            params.append(int(entity_id))
        return self.frame(sql + " ORDER BY id", params)

    def snapshot(self, entity: str, entity_id: int, version: int) -> dict[str, Any]:
        """The full record as it was at ``version``, from its history row."""
        try:
            row = self.conn.execute(
                "SELECT snapshot FROM history WHERE entity = ? AND entity_id = ? AND version = ?",
                (entity, int(entity_id), int(version)),
            ).fetchone()
        except OverflowError:  # beyond SQLite's 64-bit integers: no such record
            row = None
        if row is None:
            raise DataError(
                f"{entity} {str(entity_id)[:30]!r} has no version {str(version)[:30]!r} in the store"
            )
        return dict(json.loads(row[0]))

    @staticmethod
    def erase_history(
        conn: sqlite3.Connection,
        entity: str,
        entity_id: int,
        scrub: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> int:
        """Remove text from every history row of one record; return how many rows changed.

        Each snapshot is replaced by ``scrub(snapshot)`` and each note is emptied; who, when, the
        action and the fields changed stay. This is the one change history allows: the
        append-only triggers are lifted and put back inside the caller's transaction, so no other
        connection ever sees history without them.
        """
        rows = conn.execute(
            "SELECT id, snapshot FROM history WHERE entity = ? AND entity_id = ?",
            (entity, int(entity_id)),
        ).fetchall()
        conn.execute("DROP TRIGGER IF EXISTS history_no_update")
        conn.execute("DROP TRIGGER IF EXISTS history_no_delete")
        for row in rows:
            cleaned = scrub(json.loads(row["snapshot"]))
            conn.execute(
                "UPDATE history SET snapshot = ?, note = '' WHERE id = ?",
                (json.dumps(cleaned, default=str), row["id"]),
            )
        for statement in _APPEND_ONLY:
            conn.execute(statement)
        return len(rows)
