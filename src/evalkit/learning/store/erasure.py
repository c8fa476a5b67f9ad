"""Erasure of a reflection's text (UK GDPR Article 17, the right to erasure).

Withdrawal hides a reflection from every output, but its text stays in the store and in its
history. :meth:`Erasure.erase` removes it for good:

1. withdraws the reflection if it is not withdrawn yet (consent becomes no);
2. removes its text - the four slots, their redacted versions, the template answers kept in
   ``extra`` and the redaction log - from the record and from the snapshot and note of every one
   of its history rows, and its words from the search index;
3. appends one history row, the audit stub: who erased it (a role, as ``role:...``), when, and
   why (the reason, redacted), with no text of the reflection;
4. rewrites the file (``VACUUM``, with ``secure_delete`` on during the change) and empties the
   write-ahead log, so that the text cannot be recovered from free pages or old log frames.

Steps 1-3 are one transaction. The record keeps its id and attributes (locality, period, role,
the author's pseudonym, codes applied), so counts and the audit trail still add up, and an import
of the same form export does not bring the reflection back (its source key stays).
"""

from __future__ import annotations

from typing import Any

from evalkit.exceptions import DataError, ParameterError
from evalkit.learning import workflow
from evalkit.learning.records import SLOTS
from evalkit.learning.redaction import redact
from evalkit.learning.store.database import Database
from evalkit.learning.store.reflections import ENTITY, Reflections
from evalkit.learning.store.shared import purge_index, set_index

__all__ = ["BLANK", "Erasure", "scrub"]

#: What erasure leaves in each column that held the reflection's text.
BLANK: dict[str, str] = {
    **{slot: "" for slot in SLOTS},
    **{f"redacted_{slot}": "" for slot in SLOTS},
    "extra": "{}",
    "redaction_log": "[]",
}


def scrub(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A record's snapshot with every text column blanked (other columns unchanged)."""
    return {k: BLANK.get(k, v) for k, v in snapshot.items()}


class Erasure:
    """Erases reflections' text from a store and its history, leaving an audit stub."""

    def __init__(self, db: Database, reflections: Reflections) -> None:
        self._db = db
        self._reflections = reflections

    def erased(self, rid: int) -> dict[str, Any] | None:
        """The audit stub of an erased reflection (when, by whom, why), or None."""
        row = self._db.conn.execute(
            "SELECT changed_at, changed_by, note FROM history "
            "WHERE entity = ? AND entity_id = ? AND action = 'erase'",
            (ENTITY, int(rid)),
        ).fetchone()
        return None if row is None else dict(row)

    def erase(self, rid: int, *, by: str, reason: str) -> None:
        """Remove a reflection's text from the store and its history; keep who, when and why.

        Parameters
        ----------
        rid
            The reflection.
        by
            The role of the person erasing it, e.g. ``data protection lead`` (recorded as
            given, so a role and not a name).
        reason
            Why, e.g. ``erasure request of 3 March``; redacted like reflection text.

        Raises
        ------
        DataError
            No such reflection; or it was erased already; or another program holds the store
            open so that the write-ahead log could not be emptied (erase again once it closes).
        """
        role = str(by or "").strip()
        if not role:
            raise ParameterError(
                "by must give the role of the person erasing, e.g. 'data protection lead'; "
                "got an empty value"
            )
        why = redact(str(reason or "").strip())[0]
        if not why:
            raise ParameterError(
                "reason must say why the reflection is erased, e.g. 'erasure request'; "
                "got an empty value"
            )
        actor = f"role:{role}"
        rid = int(rid)
        done = None
        before = int(self._db.conn.execute("PRAGMA secure_delete").fetchone()[0])
        self._db.conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._db.write() as conn:
                current = self._reflections.row(conn, rid)
                done = self.erased(rid)
                if done is None:
                    if current["status"] != workflow.FINAL:
                        self._reflections.move(conn, rid, workflow.FINAL, actor)
                    set_index(conn, rid, None)
                    purge_index(conn)
                    self._db.erase_history(conn, ENTITY, rid, scrub)
                    self._reflections.apply(conn, rid, BLANK, actor, "erase", why)
        finally:
            self._db.conn.execute(f"PRAGMA secure_delete = {before}")
        self._db.compact()  # also when erased before, in case that compaction could not finish
        if done is not None:
            raise DataError(
                f"reflection {rid} was already erased on {done['changed_at'][:10]} by "
                f"{done['changed_by'].removeprefix('role:')}; there is nothing left to erase"
            )
