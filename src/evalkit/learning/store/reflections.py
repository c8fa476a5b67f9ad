"""Reflections in the store: add, change, move through the workflow, review and read back.

Free text is redacted (:func:`evalkit.learning.redaction.redact`) whenever it is stored; the
original text stays in the store for the reviewer, and only the redacted text is indexed for
search. Every change bumps the reflection's ``version`` and appends a history row with a snapshot,
so any earlier version can be read back (:meth:`Reflections.version`). Status moves follow
:mod:`evalkit.learning.workflow`.

:meth:`Reflections.get` and :meth:`Reflections.all` return the ORIGINAL text too, for internal
use; text meant for anyone else comes from :mod:`evalkit.learning.store.shared`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.exceptions import DataError, ParameterError
from evalkit.learning import workflow
from evalkit.learning.records import SLOTS, Reflection, clean_text, period_end, validate
from evalkit.learning.redaction import redact
from evalkit.learning.store.database import REFLECTION_FIELDS, Database, now, to_text
from evalkit.learning.store.people import People, is_pseudonym
from evalkit.learning.store.shared import set_index

__all__ = ["ENTITY", "UPDATABLE", "Reflections", "decode"]

ENTITY = "reflection"
#: Fields :meth:`Reflections.update` may change (status moves go through the workflow).
UPDATABLE = frozenset(REFLECTION_FIELDS) - {"author", "status", "programme", "template"} | {"extra"}


def decode(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as Python values: consent a bool, ``extra`` and the redaction log parsed."""
    out = dict(row)
    out["consent"] = out.get("consent") == "1"
    out["extra"] = json.loads(out.get("extra") or "{}")
    out["redaction_log"] = json.loads(out.get("redaction_log") or "[]")
    return out


#: The largest id SQLite stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def stored_id(rid: object, what: str, where: object) -> int:
    """``rid`` as an id SQLite can look up; DataError naming it if it cannot be one."""
    try:
        value = int(rid)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        value = -1
    if not 1 <= value <= MAX_ID:
        raise DataError(
            f"{what} id {str(rid)[:30]!r} is not in the store {str(where)!r}; expected the "
            "number of one of its records"
        )
    return value


def _redacted(
    slots: Mapping[str, str], names: Iterable[str], identifiers: Sequence[str] = ()
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The redacted slots and one log entry per replacement (kind and span, never the text)."""
    names = [n for n in names if n and not is_pseudonym(n)]
    redacted, log = {}, []
    for slot in SLOTS:
        redacted[slot], entries = redact(slots[slot], names, identifiers)
        log.extend({"slot": slot, **e.to_dict()} for e in entries)
    return redacted, log


class Reflections:
    """The reflections of a store, their versions and their place in the workflow."""

    def __init__(self, db: Database, people: People, identifiers: Sequence[str] = ()) -> None:
        self._db = db
        self._people = people
        self._identifiers = tuple(identifiers)

    # -- internal steps, each inside the caller's transaction -------------------------------
    def row(self, conn: sqlite3.Connection, rid: int) -> dict[str, Any]:
        """The stored row of one reflection (DataError if there is none)."""
        rid = stored_id(rid, "reflection", self._db.path)
        found = conn.execute("SELECT * FROM reflections WHERE id = ?", (rid,)).fetchone()
        if found is None:
            raise DataError(f"reflection id {rid!r} is not in the store {str(self._db.path)!r}")
        return dict(found)

    def apply(
        self,
        conn: sqlite3.Connection,
        rid: int,
        changes: Mapping[str, Any],
        by: str,
        action: str,
        note: str = "",
    ) -> int:
        """Write ``changes`` as the next version and append its history row; return the version."""
        version = int(self.row(conn, rid)["version"]) + 1
        values = {**changes, "version": version, "updated_at": now()}
        sets = ", ".join(f"{c} = ?" for c in values)
        conn.execute(f"UPDATE reflections SET {sets} WHERE id = ?", (*values.values(), int(rid)))
        snapshot = self.row(conn, rid)
        self._db.append_history(conn, ENTITY, rid, version, by, action, changes, snapshot, note)
        return version

    def move(
        self, conn: sqlite3.Connection, rid: int, status: str, by: str, note: str = ""
    ) -> None:
        """One workflow move, checked against :data:`~evalkit.learning.workflow.TRANSITIONS`.

        Withdrawal also takes the reflection out of the search index; a move the store makes by
        itself afterwards (:data:`~evalkit.learning.workflow.AUTOMATIC`) follows at once.
        """
        current = self.row(conn, rid)
        workflow.check_move(current["status"], status, consent=current["consent"] == "1", rid=rid)
        if status == workflow.FINAL:
            set_index(conn, rid, None)
        self.apply(conn, rid, workflow.status_changes(status), by, "status", note)
        automatic = workflow.AUTOMATIC.get(status)
        if automatic:
            self.move(conn, rid, automatic, "system:redaction", "automatic pass")

    def _insert(
        self,
        conn: sqlite3.Connection,
        record: Reflection,
        names: Iterable[str],
        by: str | None,
        uid: str | None = None,
    ) -> int:
        status = workflow.initial_status(record.status)
        author = self._people.pseudonym(record.author)
        actor = self._people.pseudonym(by) if by else author
        redacted, log = _redacted(record.slots(), [record.author, *names], self._identifiers)
        values = record.model_dump()
        values.update(author=author, status=status)
        values["reflected_on"] = record.reflected_on or min(
            period_end(record.period), dt.date.today()
        )
        stamp = now()
        row = {f: to_text(values[f]) for f in REFLECTION_FIELDS}
        row.update({f"redacted_{s}": redacted[s] for s in SLOTS})
        row.update(
            uid=uid or str(uuid.uuid4()),
            version=1,
            redaction_log=json.dumps(log),
            extra=json.dumps(values["extra"]),
            created_at=stamp,
            updated_at=stamp,
        )
        cursor = conn.execute(
            f"INSERT INTO reflections ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        rid = int(cursor.lastrowid or 0)
        set_index(conn, rid, redacted)
        self._db.append_history(conn, ENTITY, rid, 1, actor, "create", row, self.row(conn, rid))
        automatic = workflow.AUTOMATIC.get(status)
        if automatic:
            self.move(conn, rid, automatic, "system:redaction", "automatic pass")
        return rid

    # -- writing ----------------------------------------------------------------------------
    def add(
        self, record: Reflection | Mapping[str, Any], *, names: Iterable[str] = (), by: str = ""
    ) -> int:
        """Store one reflection; return its id (see :meth:`ReflectionStore.add`)."""
        rec = validate(Reflection, dict(record) if isinstance(record, Mapping) else record)
        with self._db.write() as conn:
            return self._insert(conn, rec, names, by or None)

    def add_many(
        self,
        records: Iterable[Reflection | Mapping[str, Any]],
        *,
        names: Iterable[str] = (),
        by: str = "",
        keys: Sequence[str] | None = None,
    ) -> list[int | None]:
        """Store many reflections in ONE transaction (see :meth:`ReflectionStore.add_many`)."""
        names = list(names)
        ids: list[int | None] = []
        with self._db.write() as conn:
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

    def transition(self, rid: int, status: str, *, by: str, note: str = "") -> None:
        """Move a reflection along the workflow, recording who and why."""
        actor = self._people.pseudonym(by)
        with self._db.write() as conn:
            self.move(conn, int(rid), status, actor, note)

    def review(
        self,
        rid: int,
        *,
        by: str,
        redacted: Mapping[str, str] | None = None,
        shareable: bool = False,
        note: str = "",
    ) -> None:
        """Record a person's review of the redacted text (see :meth:`ReflectionStore.review`)."""
        reviewer = self._people.pseudonym(by)
        rid = stored_id(rid, "reflection", self._db.path)
        with self._db.write() as conn:
            self.row(conn, rid)
            if redacted:
                unknown = sorted(set(redacted) - set(SLOTS))
                if unknown:
                    raise ParameterError(
                        f"redacted has unknown slot {unknown[0]!r}; expected one of {SLOTS}"
                    )
                edits = {f"redacted_{s}": clean_text(str(t)) for s, t in redacted.items()}
                self.apply(conn, rid, edits, reviewer, "reviewer edit", note)
                new = self.row(conn, rid)
                set_index(conn, rid, {s: new[f"redacted_{s}"] for s in SLOTS})
            if self.row(conn, rid)["status"] != "reviewed":
                self.move(conn, rid, "reviewed", reviewer, note)
            if shareable:
                self.move(conn, rid, "shareable", reviewer, note)

    def update(
        self, rid: int, changes: Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Change fields of a reflection (see :meth:`ReflectionStore.update`)."""
        unknown = sorted(set(changes) - UPDATABLE)
        if unknown:
            raise ParameterError(
                f"field {unknown[0]!r} cannot be changed with update(); expected one of "
                f"{', '.join(sorted(UPDATABLE))} (use transition() or review() for status)"
            )
        actor = self._people.pseudonym(by)
        rid = stored_id(rid, "reflection", self._db.path)
        with self._db.write() as conn:
            current = self.row(conn, rid)
            workflow.check_editable(current["status"], rid)
            merged = {f: current[f] for f in REFLECTION_FIELDS}
            merged.update(extra=json.loads(current["extra"]), consent=current["consent"] == "1")
            merged.update(changes)
            rec = validate(Reflection, merged, source=f"update of reflection {rid}")
            new = {f: to_text(getattr(rec, f)) for f in changes if f != "extra"}
            if "extra" in changes:
                new["extra"] = json.dumps(rec.extra)
            touched = [s for s in SLOTS if s in changes]
            redacted: dict[str, str] = {}
            if touched:
                redacted, log = _redacted(rec.slots(), names, self._identifiers)
                new.update({f"redacted_{s}": redacted[s] for s in SLOTS})
                new["redaction_log"] = json.dumps(log)
            new = {k: v for k, v in new.items() if v != current[k]}
            if not new:
                return int(current["version"])
            withdraw = new.get("consent") == "0"
            if withdraw:
                del new["consent"]  # set by the withdrawal below, with its own history row
            if new:
                self.apply(conn, rid, new, actor, "update")
            if touched:
                set_index(conn, rid, redacted)
                back = workflow.after_text_change(current["status"])
                if back:
                    self.move(conn, rid, back, actor, "text changed")
            if withdraw:
                self.move(conn, rid, workflow.FINAL, actor, "consent set to no")
            return int(self.row(conn, rid)["version"])

    # -- reading (internal: original text) --------------------------------------------------
    def get(self, rid: int) -> dict[str, Any]:
        """The current version of one reflection, original and redacted text (internal use)."""
        return decode(self.row(self._db.conn, rid))

    def all(self) -> pd.DataFrame:
        """Every reflection, current versions, as a DataFrame (internal: holds original text)."""
        frame = self._db.frame("SELECT * FROM reflections ORDER BY id")
        if frame.empty:
            return frame
        return pd.DataFrame([decode(r) for r in frame.to_dict("records")])

    def version(self, rid: int, version: int) -> dict[str, Any]:
        """The full record as it was at ``version`` (internal use)."""
        return decode(self._db.snapshot(ENTITY, int(rid), int(version)))
