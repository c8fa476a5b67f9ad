"""The codebook and the codes people apply to reflections.

People code reflections; evalkit only suggests codes (:func:`evalkit.learning.coding.suggest_codes`)
and never applies one itself. Loading codes and applying one each append a history row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from evalkit.exceptions import DataError, ParameterError
from evalkit.learning.records import SLOTS, Code, validate
from evalkit.learning.store.database import Database, now
from evalkit.learning.store.people import People
from evalkit.learning.store.reflections import Reflections

__all__ = ["Codes"]


class Codes:
    """The codebook (name, definition, parent) and the codings (who applied which code where)."""

    def __init__(self, db: Database, people: People, reflections: Reflections) -> None:
        self._db = db
        self._people = people
        self._reflections = reflections

    def set_codebook(self, codes: Iterable[Code | Mapping[str, Any]], *, by: str) -> None:
        """Add or update codes (name, definition, parent); earlier codings are kept."""
        items = [validate(Code, c if isinstance(c, Code) else dict(c)) for c in codes]
        actor = self._people.pseudonym(by)
        with self._db.write() as conn:
            for code in items:
                conn.execute(
                    "INSERT INTO codebook (name, definition, parent) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "
                    "parent = excluded.parent",
                    (code.name, code.definition, code.parent),
                )
            self._db.append_history(
                conn,
                "codebook",
                0,
                self._db.next_version(conn, "codebook", 0),
                actor,
                "set codebook",
                [c.name for c in items],
                {"codes": len(items)},
            )

    def codebook(self) -> list[Code]:
        """The codebook, in the order the codes were added."""
        rows = self._db.conn.execute("SELECT name, definition, parent FROM codebook ORDER BY rowid")
        return [Code(name=r[0], definition=r[1], parent=r[2]) for r in rows]

    def assign_code(self, rid: int, code: str, *, coder: str, slot: str | None = None) -> None:
        """Record that a person (``coder``) applied ``code`` to a reflection (or one slot of it).

        Applying the same code to the same place twice changes nothing and records nothing.
        """
        if slot is not None and slot not in SLOTS:
            raise ParameterError(f"slot must be one of {', '.join(SLOTS)}; got {slot!r}")
        names = {c.name for c in self.codebook()}
        if code not in names:
            raise DataError(
                f"code {code!r} is not in the codebook; expected one of {', '.join(sorted(names))}"
            )
        person = self._people.pseudonym(coder)
        with self._db.write() as conn:
            self._reflections.row(conn, int(rid))
            row = {
                "reflection_id": int(rid),
                "code": code,
                "slot": slot or "",
                "coder": person,
                "coded_at": now(),
            }
            cursor = conn.execute(
                "INSERT OR IGNORE INTO codings (reflection_id, code, slot, coder, coded_at) "
                "VALUES (:reflection_id, :code, :slot, :coder, :coded_at)",
                row,
            )
            if cursor.rowcount:
                cid = int(cursor.lastrowid or 0)
                self._db.append_history(
                    conn, "coding", cid, 1, person, "create", row, {"id": cid, **row}
                )

    def codings(self) -> pd.DataFrame:
        """Codes applied by people: reflection_id, code, slot ('' = whole reflection), coder."""
        return self._db.frame(
            "SELECT reflection_id, code, slot, coder, coded_at FROM codings ORDER BY id"
        )
