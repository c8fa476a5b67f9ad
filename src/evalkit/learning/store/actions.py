"""Actions: what a group said it will change, with an owner role, a due date and a follow-up.

An action's description is redacted like reflection text (actions appear in shared reviews).
Every change bumps the action's ``version`` and appends a history row (entity ``action``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.exceptions import DataError
from evalkit.learning.records import Action, validate
from evalkit.learning.redaction import redact
from evalkit.learning.store.database import Database, now, to_text
from evalkit.learning.store.people import People
from evalkit.learning.store.reflections import stored_id

__all__ = ["Actions"]

ENTITY = "action"


class Actions:
    """The actions of a store."""

    def __init__(self, db: Database, people: People, identifiers: Sequence[str] = ()) -> None:
        self._db = db
        self._people = people
        self._identifiers = tuple(identifiers)

    def add_action(
        self, action: Action | Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Record an action (owner role, due date, status); return its id."""
        a = validate(Action, action if isinstance(action, Action) else dict(action))
        a.description = redact(a.description, [n for n in names if n], self._identifiers)[0]
        actor = self._people.pseudonym(by)
        stamp = now()
        row = {k: to_text(v) for k, v in a.model_dump().items()}
        row.update(version=1, created_at=stamp, updated_at=stamp)
        with self._db.write() as conn:
            cursor = conn.execute(
                f"INSERT INTO actions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            aid = int(cursor.lastrowid or 0)
            self._db.append_history(conn, ENTITY, aid, 1, actor, "create", row, row)
        return aid

    def update_action(self, aid: int, changes: Mapping[str, Any], *, by: str) -> int:
        """Change an action (e.g. status, follow-up reflection), keeping every earlier version."""
        actor = self._people.pseudonym(by)
        with self._db.write() as conn:
            aid = stored_id(aid, "action", self._db.path)
            found = conn.execute("SELECT * FROM actions WHERE id = ?", (aid,)).fetchone()
            if found is None:
                raise DataError(f"action id {aid!r} is not in the store {str(self._db.path)!r}")
            current = dict(found)
            merged = {k: current[k] for k in Action.model_fields} | dict(changes)
            a = validate(Action, merged, source=f"update of action {aid}")
            new = {k: to_text(getattr(a, k)) for k in changes}
            version = int(current["version"]) + 1
            new.update(version=version, updated_at=now())
            conn.execute(
                f"UPDATE actions SET {', '.join(f'{k} = ?' for k in new)} WHERE id = ?",
                (*new.values(), int(aid)),
            )
            snapshot = dict(
                conn.execute("SELECT * FROM actions WHERE id = ?", (int(aid),)).fetchone()
            )
            self._db.append_history(
                conn, ENTITY, int(aid), version, actor, "update", changes, snapshot
            )
        return version

    def actions(self) -> pd.DataFrame:
        """Every action, current versions."""
        frame = self._db.frame("SELECT * FROM actions ORDER BY id")
        for col in ("reflection_id", "follow_up_reflection_id"):
            frame[col] = pd.to_numeric(frame[col]).astype("Int64")
        return frame
