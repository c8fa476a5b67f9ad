"""The reflection store: one SQLite file per programme, safe for several writers at once.

``ReflectionStore(path)`` keeps reflections, their full history, codes, learning cycles, experiments
and actions in one SQLite database (default ``data/processed/<programme>/learning.sqlite``).

How it keeps data safe
----------------------
- Write-ahead logging (WAL) and one ``BEGIN IMMEDIATE`` transaction per change: a writer that dies
  mid-transaction leaves nothing of that transaction and loses nothing committed before it. Other
  writers wait (``busy_timeout``) rather than fail, so several processes can add reflections at
  once.
- Every change appends a row to ``history`` (who, when, which fields, and a full snapshot of the new
  version). Triggers forbid updating or deleting history rows.
- Authors and the people named in ``by=`` are stored as keyed-hash pseudonyms
  (:func:`evalkit.intake.pseudonymise.pseudonym`; the key lives outside the repository).
- Free text is redacted (:func:`evalkit.learning.redaction.redact`) whenever it is stored; the
  original text stays in the store for the reviewer, and only redacted text is indexed for search or
  leaves the store. A reflection reaches ``shareable`` only through a person's review and only with
  consent; :meth:`ReflectionStore.shareable` is the only source of text for reports and exports.
  Withdrawing consent removes a reflection from every later output and from the search index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._validate import require_choice
from evalkit.exceptions import DataError, ParameterError, PrivacyError
from evalkit.intake.pseudonymise import load_key, pseudonym
from evalkit.learning.cycle_records import CycleRecords, _now, _to_text
from evalkit.learning.records import (
    SHARING_SCOPES,
    SLOTS,
    Action,
    Reflection,
    period_end,
    validate,
)
from evalkit.learning.redaction import redact

__all__ = ["SHARED_COLUMNS", "TRANSITIONS", "ReflectionStore", "default_store_path"]

#: Allowed workflow moves; ``withdrawn`` is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "withdrawn"),
    "submitted": ("redaction_pending", "withdrawn"),
    "redaction_pending": ("reviewed", "withdrawn"),
    "reviewed": ("shareable", "redaction_pending", "withdrawn"),
    "shareable": ("reviewed", "redaction_pending", "withdrawn"),
    "withdrawn": (),
}
#: Columns of :meth:`ReflectionStore.shareable`: redacted text and attributes, no original text.
SHARED_COLUMNS: tuple[str, ...] = (
    "id",
    "programme",
    "learning_cycle",
    "locality",
    "period",
    "system_scale",
    "author",
    "role",
    "template",
    *SLOTS,
    "confidence",
    "sharing_scope",
    "reflected_on",
)
_FIELDS = tuple(f for f in Reflection.model_fields if f != "extra")
_UPDATABLE = frozenset(_FIELDS) - {"author", "status", "programme", "template"} | {"extra"}
_PSEUDONYM = re.compile(r"^a-[0-9a-f]{12}$")
_BUSY_TIMEOUT_MS = 60_000
_SCHEMA_VERSION = 1

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS reflections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    {", ".join(f"{f} TEXT" for f in _FIELDS)},
    {", ".join(f"redacted_{s} TEXT" for s in SLOTS)},
    redaction_log TEXT NOT NULL,
    extra TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reflections_locality ON reflections (programme, locality, period);
CREATE TABLE IF NOT EXISTS history (
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
);
CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE VIRTUAL TABLE IF NOT EXISTS reflections_fts USING fts5 (
    {", ".join(SLOTS)}, tokenize = 'porter unicode61'
);
CREATE TABLE IF NOT EXISTS codebook (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL, parent TEXT
);
CREATE TABLE IF NOT EXISTS codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reflection_id INTEGER NOT NULL REFERENCES reflections (id),
    code TEXT NOT NULL REFERENCES codebook (name),
    slot TEXT NOT NULL,
    coder TEXT NOT NULL,
    coded_at TEXT NOT NULL,
    UNIQUE (reflection_id, code, slot, coder)
);
CREATE TABLE IF NOT EXISTS cycles (
    cycle_id TEXT PRIMARY KEY, programme TEXT, locality TEXT, name TEXT, system_scale TEXT,
    phase TEXT, started_on TEXT, ended_on TEXT
);
CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, cycle_id TEXT, title TEXT, hypothesis TEXT,
    started_on TEXT, ended_on TEXT, status TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL,
    {", ".join(f"{f} TEXT" for f in Action.model_fields)},
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
"""


def default_store_path(programme: str, root: str | Path = Path("data") / "processed") -> Path:
    """Where a programme's store lives by default: ``<root>/<programme>/learning.sqlite``."""
    if not programme or "/" in programme or "\\" in programme or programme.startswith("."):
        raise ParameterError(
            f"programme must be a short name such as 'family-support'; got {programme!r}"
        )
    return Path(root) / programme / "learning.sqlite"


class ReflectionStore(CycleRecords):
    """A learning log in one SQLite file.

    Parameters
    ----------
    path
        The database file; created with its folder if missing.
    key
        The pseudonymisation key; read with :func:`~evalkit.intake.pseudonymise.load_key` when a
        name first needs pseudonymising (PrivacyError if none is configured).

    Examples
    --------
    >>> store = ReflectionStore("data/processed/family-support/learning.sqlite")  # doctest: +SKIP
    >>> rid = store.add({"programme": "family-support", "locality": "E08000012",
    ...                  "period": "2024Q3", "author": "Alex Morgan", "role": "provider",
    ...                  "template": "hls", "what_we_tried": "...", "what_happened": "...",
    ...                  "what_we_learned": "...", "what_we_will_change": "...",
    ...                  "consent": "yes", "status": "submitted"})  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, key: bytes | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = key
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise DataError(
                f"reflection store {str(self.path)!r} cannot be opened: {exc}"
            ) from None
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise DataError(
                f"reflection store {str(self.path)!r} cannot be opened: {exc}; "
                "expected an evalkit learning.sqlite file"
            ) from None
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        """Set the connection up (WAL, busy timeout) and create or check the schema."""
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise DataError(
                f"reflection store {str(self.path)!r} has schema version {version}; this "
                f"evalkit reads version {_SCHEMA_VERSION} or older - upgrade evalkit"
            )
        if version < _SCHEMA_VERSION:
            self._create_schema()

    def _create_schema(self) -> None:
        """Create the tables in one transaction (executescript cannot run inside _write)."""
        try:
            self._conn.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {_SCHEMA_VERSION};COMMIT;"
            )
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    # -- connection -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> ReflectionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReflectionStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE; rolled back on any error."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise DataError(
                f"reflection store {str(self.path)!r} is busy or locked ({exc}) after waiting "
                f"{_BUSY_TIMEOUT_MS // 1000} s; expected other writers to finish - try again"
            ) from None
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _frame(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        cursor = self._conn.execute(sql, tuple(params))
        columns = [d[0] for d in cursor.description or []]
        return pd.DataFrame([tuple(r) for r in cursor.fetchall()], columns=columns)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``'ok'`` for a sound file."""
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    # -- people -----------------------------------------------------------------------------
    def _person(self, name: str | None) -> str:
        """A person's pseudonym (names already pseudonymised, and ``system:...`` actors, kept)."""
        text = str(name or "").strip()
        if not text:
            raise ParameterError("by must name the person making the change; got an empty value")
        if _PSEUDONYM.match(text) or text.startswith("system:"):
            return text
        if self._key is None:
            self._key = load_key()
        return pseudonym(text, self._key, prefix="a-")

    def _history(
        self,
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
        conn.execute(
            "INSERT INTO history (entity, entity_id, version, changed_at, changed_by, action,"
            " changed_fields, note, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entity,
                entity_id,
                version,
                _now(),
                by,
                action,
                json.dumps(sorted(fields)),
                note,
                json.dumps(dict(snapshot), default=str),
            ),
        )

    # -- reflections: writing ---------------------------------------------------------------
    def _redacted(
        self, slots: Mapping[str, str], names: Iterable[str]
    ) -> tuple[dict[str, str], list[dict[str, Any]]]:
        names = [n for n in names if n and not _PSEUDONYM.match(n)]
        redacted, log = {}, []
        for slot in SLOTS:
            redacted[slot], entries = redact(slots[slot], names)
            log.extend({"slot": slot, **e.to_dict()} for e in entries)
        return redacted, log

    def _insert(
        self,
        conn: sqlite3.Connection,
        record: Reflection,
        names: Iterable[str],
        by: str | None,
        uid: str | None = None,
    ) -> int:
        if record.status not in ("draft", "submitted", "redaction_pending"):
            raise PrivacyError(
                f"a new reflection must start as 'draft' or 'submitted'; got status "
                f"{record.status!r}: it becomes reviewed or shareable only through review()"
            )
        raw_author = record.author
        author = self._person(raw_author)
        actor = self._person(by) if by else author
        redacted, log = self._redacted(record.slots(), [raw_author, *names])
        values = record.model_dump()
        values["author"] = author
        values["status"] = "draft" if record.status == "draft" else "submitted"
        values["reflected_on"] = record.reflected_on or _period_end_or_today(record.period)
        now = _now()
        row = {f: _to_text(values[f]) for f in _FIELDS}
        row.update({f"redacted_{s}": redacted[s] for s in SLOTS})
        row.update(
            uid=uid or str(uuid.uuid4()),
            version=1,
            redaction_log=json.dumps(log),
            extra=json.dumps(values["extra"]),
            created_at=now,
            updated_at=now,
        )
        cursor = conn.execute(
            f"INSERT INTO reflections ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        rid = int(cursor.lastrowid or 0)
        _index(conn, rid, redacted)
        self._history(conn, "reflection", rid, 1, actor, "create", row, self._snapshot(conn, rid))
        if values["status"] == "submitted":
            self._set_status(conn, rid, "redaction_pending", "system:redaction", "automatic pass")
        return rid

    def add(
        self, record: Reflection | Mapping[str, Any], *, names: Iterable[str] = (), by: str = ""
    ) -> int:
        """Store one reflection; return its id.

        The author is pseudonymised, the four slots are redacted (the author's name, ``names`` and
        the patterns of :func:`~evalkit.learning.redaction.redact`), and a reflection added as
        ``submitted`` moves straight on to ``redaction_pending``: it waits for a person's review.
        """
        rec = validate(Reflection, dict(record) if isinstance(record, Mapping) else record)
        with self._write() as conn:
            return self._insert(conn, rec, names, by or None)

    def add_many(
        self,
        records: Iterable[Reflection | Mapping[str, Any]],
        *,
        names: Iterable[str] = (),
        by: str = "",
        keys: Sequence[str] | None = None,
    ) -> list[int | None]:
        """Store many reflections in ONE transaction: all of them, or none if any is invalid.

        ``keys`` (one per record, e.g. from :meth:`source_key`) identify where each record came
        from: a record whose key is already stored is skipped, so importing the same rows twice
        adds nothing. Returns the new ids in order, None for each record skipped.
        """
        names = list(names)
        ids: list[int | None] = []
        with self._write() as conn:
            for i, record in enumerate(records):
                rec = validate(
                    Reflection,
                    dict(record) if isinstance(record, Mapping) else record,
                    source=f"record {i}",
                )
                key = keys[i] if keys is not None else None
                if (
                    key is not None
                    and conn.execute("SELECT 1 FROM reflections WHERE uid = ?", (key,)).fetchone()
                ):
                    ids.append(None)
                    continue
                ids.append(self._insert(conn, rec, names, by or None, key))
        return ids

    def source_key(self, values: Mapping[str, Any]) -> str:
        """A keyed hash identifying a source row (e.g. one row of an import), never reversible."""
        if self._key is None:
            self._key = load_key()
        text = json.dumps(dict(values), sort_keys=True, default=str)
        return pseudonym(text, self._key, prefix="row-", length=32)

    def _snapshot(self, conn: sqlite3.Connection, rid: int) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM reflections WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise DataError(f"reflection id {rid!r} is not in the store {str(self.path)!r}")
        return dict(row)

    def _set_status(
        self, conn: sqlite3.Connection, rid: int, status: str, by: str, note: str = ""
    ) -> None:
        current = self._snapshot(conn, rid)
        if status not in TRANSITIONS.get(current["status"], ()):
            allowed = ", ".join(TRANSITIONS[current["status"]]) or "none (withdrawn is final)"
            raise ParameterError(
                f"reflection {rid}: status cannot move from {current['status']!r} to {status!r}; "
                f"allowed: {allowed}"
            )
        if status == "shareable" and current["consent"] != "1":
            raise PrivacyError(
                f"reflection {rid} cannot be made shareable: consent is 'no'; "
                "expected consent 'yes' from its author"
            )
        changes: dict[str, Any] = {"status": status}
        if status == "withdrawn":
            changes["consent"] = "0"
            _index(conn, rid, None)
        self._apply(conn, rid, current, changes, by, "status", note)

    def _apply(
        self,
        conn: sqlite3.Connection,
        rid: int,
        current: Mapping[str, Any],
        changes: Mapping[str, Any],
        by: str,
        action: str,
        note: str = "",
    ) -> int:
        version = int(current["version"]) + 1
        changes = {**changes, "version": version, "updated_at": _now()}
        sets = ", ".join(f"{c} = ?" for c in changes)
        conn.execute(f"UPDATE reflections SET {sets} WHERE id = ?", (*changes.values(), rid))
        fields = [c for c in changes if c not in ("version", "updated_at")]
        snapshot = self._snapshot(conn, rid)
        self._history(conn, "reflection", rid, version, by, action, fields, snapshot, note)
        return version

    def transition(self, rid: int, status: str, *, by: str, note: str = "") -> None:
        """Move a reflection along the workflow (see :data:`TRANSITIONS`), recording who and why.

        ``submitted`` moves on to ``redaction_pending`` at once (the automatic redaction pass).
        ``shareable`` needs the author's consent. ``withdrawn`` is final.
        """
        with self._write() as conn:
            self._set_status(conn, int(rid), status, self._person(by), note)
            if status == "submitted":
                self._set_status(conn, int(rid), "redaction_pending", "system:redaction")

    def review(
        self,
        rid: int,
        *,
        by: str,
        redacted: Mapping[str, str] | None = None,
        shareable: bool = False,
        note: str = "",
    ) -> None:
        """Record a person's review of the redacted text; optionally make the reflection shareable.

        ``redacted`` holds the reviewer's corrections of the redacted slots (slot -> text), e.g. a
        name the automatic pass missed.
        """
        reviewer = self._person(by)
        with self._write() as conn:
            current = self._snapshot(conn, int(rid))
            if redacted:
                unknown = sorted(set(redacted) - set(SLOTS))
                if unknown:
                    raise ParameterError(
                        f"redacted has unknown slot {unknown[0]!r}; expected one of {SLOTS}"
                    )
                edits = {f"redacted_{s}": str(t) for s, t in redacted.items()}
                self._apply(conn, int(rid), current, edits, reviewer, "reviewer edit", note)
                new = self._snapshot(conn, int(rid))
                _index(conn, int(rid), {s: new[f"redacted_{s}"] for s in SLOTS})
            if self._snapshot(conn, int(rid))["status"] != "reviewed":
                self._set_status(conn, int(rid), "reviewed", reviewer, note)
            if shareable:
                self._set_status(conn, int(rid), "shareable", reviewer, note)

    def withdraw(self, rid: int, *, by: str, reason: str = "") -> None:
        """Withdraw consent: the reflection leaves every later output and the search index."""
        self.transition(rid, "withdrawn", by=by, note=reason)

    def update(
        self, rid: int, changes: Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Change fields of a reflection, keeping every earlier version; return the latest version.

        Changing any slot re-runs redaction and, for a reviewed or shareable reflection, sends it
        back to ``redaction_pending`` for a fresh review. Setting ``consent`` to no withdraws it.
        """
        unknown = sorted(set(changes) - _UPDATABLE)
        if unknown:
            raise ParameterError(
                f"field {unknown[0]!r} cannot be changed with update(); expected one of "
                f"{', '.join(sorted(_UPDATABLE))} (use transition() or review() for status)"
            )
        actor = self._person(by)
        with self._write() as conn:
            current = self._snapshot(conn, int(rid))
            if current["status"] == "withdrawn":
                raise PrivacyError(f"reflection {rid} is withdrawn; it cannot be changed")
            merged = {f: current[f] for f in _FIELDS} | {"extra": json.loads(current["extra"])}
            merged["consent"] = current["consent"] == "1"
            merged.update(changes)
            rec = validate(Reflection, merged, source=f"update of reflection {rid}")
            new = {f: _to_text(getattr(rec, f)) for f in changes if f != "extra"}
            if "extra" in changes:
                new["extra"] = json.dumps(rec.extra)
            touched = [s for s in SLOTS if s in changes]
            redacted: dict[str, str] = {}
            if touched:
                redacted, log = self._redacted(rec.slots(), names)
                new.update({f"redacted_{s}": redacted[s] for s in SLOTS})
                new["redaction_log"] = json.dumps(log)
            new = {k: v for k, v in new.items() if v != current[k]}
            if not new:
                return int(current["version"])
            withdraw = new.get("consent") == "0"
            if withdraw:
                del new["consent"]  # set by the withdrawal below, with its own history entry
            if new:
                self._apply(conn, int(rid), current, new, actor, "update")
            if touched:
                _index(conn, int(rid), redacted)
                if current["status"] in ("reviewed", "shareable"):
                    self._set_status(conn, int(rid), "redaction_pending", actor, "text changed")
            if withdraw:
                self._set_status(conn, int(rid), "withdrawn", actor, "consent set to no")
            return int(self._snapshot(conn, int(rid))["version"])

    # -- reflections: reading ---------------------------------------------------------------
    def get(self, rid: int) -> dict[str, Any]:
        """The current version of one reflection, original and redacted text (internal use)."""
        row = self._snapshot(self._conn, int(rid))
        return _decode(row)

    def all(self) -> pd.DataFrame:
        """Every reflection, current versions, as a DataFrame (internal: holds original text)."""
        frame = self._frame("SELECT * FROM reflections ORDER BY id")
        if frame.empty:
            return frame
        return pd.DataFrame([_decode(r) for r in frame.to_dict("records")])

    def shareable(
        self,
        *,
        locality: str | None = None,
        period: str | None = None,
        audience: str = "cycle",
    ) -> pd.DataFrame:
        """Reflections that are reviewed, shareable and consented, with REDACTED text only.

        This is the only source of reflection text for reports and exports meant for sharing.
        The slot columns hold the redacted text; ``author`` is a pseudonym kept for counting
        distinct authors and is never shown. ``audience`` is who will see the output: ``cycle``
        (the learning cycle itself: every sharing scope), ``programme`` (reflections shared with
        the programme or the public) or ``public`` (only those shared publicly).
        """
        require_choice("audience", audience, SHARING_SCOPES)
        scopes = SHARING_SCOPES[SHARING_SCOPES.index(audience) :]
        where = [
            "status = 'shareable'",
            "consent = '1'",
            f"sharing_scope IN ({', '.join('?' * len(scopes))})",
        ]
        params: list[Any] = list(scopes)
        if locality:
            where.append("locality = ?")
            params.append(locality)
        if period:
            where.append("period = ?")
            params.append(period)
        cols = [f"redacted_{c} AS {c}" if c in SLOTS else c for c in SHARED_COLUMNS]
        frame = self._frame(
            f"SELECT {', '.join(cols)} FROM reflections WHERE {' AND '.join(where)} ORDER BY id",
            params,
        )
        return frame.reindex(columns=list(SHARED_COLUMNS))

    def search(self, query: str, *, shareable_only: bool = True) -> pd.DataFrame:
        """Full-text search (SQLite FTS5, stemmed) over the REDACTED text; best matches first.

        Every word of ``query`` must occur. Withdrawn reflections are never found; with
        ``shareable_only`` (the default) only shareable, consented ones are.
        """
        words = re.findall(r"\w+", str(query))
        if not words:
            raise ParameterError(f"query must contain at least one word; got {query!r}")
        match = " ".join(f'"{w}"' for w in words)
        cols = [f"r.redacted_{c} AS {c}" if c in SLOTS else f"r.{c}" for c in SHARED_COLUMNS]
        sql = (
            f"SELECT {', '.join(cols)}, r.status, bm25(reflections_fts) AS rank "
            "FROM reflections_fts JOIN reflections r ON r.id = reflections_fts.rowid "
            "WHERE reflections_fts MATCH ? AND r.status != 'withdrawn'"
        )
        if shareable_only:
            sql += " AND r.status = 'shareable' AND r.consent = '1'"
        return self._frame(sql + " ORDER BY rank", [match])

    def history(self, rid: int | None = None, *, entity: str = "reflection") -> pd.DataFrame:
        """The audit trail: one row per version (who, when, action, which fields changed)."""
        sql = (
            "SELECT entity, entity_id, version, changed_at, changed_by, action, changed_fields,"
            " note FROM history WHERE entity = ?"
        )
        params: list[Any] = [entity]
        if rid is not None:
            sql += " AND entity_id = ?"
            params.append(int(rid))
        return self._frame(sql + " ORDER BY id", params)

    def version(self, rid: int, version: int, *, entity: str = "reflection") -> dict[str, Any]:
        """The full record as it was at ``version`` (internal use)."""
        row = self._conn.execute(
            "SELECT snapshot FROM history WHERE entity = ? AND entity_id = ? AND version = ?",
            (entity, int(rid), int(version)),
        ).fetchone()
        if row is None:
            raise DataError(f"{entity} {rid!r} has no version {version!r} in the store")
        data = json.loads(row[0])
        return _decode(data) if entity == "reflection" else data


def _index(conn: sqlite3.Connection, rid: int, redacted: Mapping[str, str] | None) -> None:
    """Replace a reflection's entry in the search index (redacted text only; None removes it)."""
    conn.execute("DELETE FROM reflections_fts WHERE rowid = ?", (rid,))
    if redacted is not None:
        conn.execute(
            f"INSERT INTO reflections_fts (rowid, {', '.join(SLOTS)}) VALUES (?, ?, ?, ?, ?)",
            (rid, *(redacted[s] for s in SLOTS)),
        )


def _period_end_or_today(period: str) -> dt.date:
    return min(period_end(period), dt.date.today())


def _decode(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["consent"] = out.get("consent") == "1"
    out["extra"] = json.loads(out.get("extra") or "{}")
    out["redaction_log"] = json.loads(out.get("redaction_log") or "[]")
    return out
