"""Learning cycles: a group reflecting together at one scale over a stretch of time.

A cycle is identified by its ``cycle_id``; adding one again replaces its details. Each addition
or change appends a history row (entity ``cycle``, numbered by the cycle's row id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit.learning.records import LearningCycle, validate
from evalkit.learning.store.database import Database, to_text
from evalkit.learning.store.people import People

__all__ = ["Cycles"]

ENTITY = "cycle"


class Cycles:
    """The learning cycles of a store."""

    def __init__(self, db: Database, people: People) -> None:
        self._db = db
        self._people = people

    def add_cycle(self, cycle: LearningCycle | Mapping[str, Any], *, by: str) -> str:
        """Add a learning cycle, or replace the details of one with the same id; return its id."""
        c = validate(LearningCycle, cycle if isinstance(cycle, LearningCycle) else dict(cycle))
        row = {k: to_text(v) for k, v in c.model_dump().items()}
        actor = self._people.pseudonym(by)
        with self._db.write() as conn:
            before = conn.execute(
                "SELECT rowid, * FROM cycles WHERE cycle_id = ?", (c.cycle_id,)
            ).fetchone()
            if before is not None and {k: before[k] for k in row} == row:
                return c.cycle_id  # nothing changes, nothing is recorded
            updates = ", ".join(f"{k} = excluded.{k}" for k in row if k != "cycle_id")
            conn.execute(
                f"INSERT INTO cycles ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
                f"ON CONFLICT (cycle_id) DO UPDATE SET {updates}",
                tuple(row.values()),
            )
            number = int(
                conn.execute(
                    "SELECT rowid FROM cycles WHERE cycle_id = ?", (c.cycle_id,)
                ).fetchone()[0]
            )
            changed = row if before is None else [k for k in row if before[k] != row[k]]
            self._db.append_history(
                conn,
                ENTITY,
                number,
                self._db.next_version(conn, ENTITY, number),
                actor,
                "create" if before is None else "update",
                changed,
                row,
            )
        return c.cycle_id

    def cycles(self) -> pd.DataFrame:
        """The learning cycles recorded."""
        return self._db.frame("SELECT * FROM cycles ORDER BY cycle_id")
