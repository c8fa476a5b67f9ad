"""Codes, learning cycles, experiments and actions: the parts of the store around reflections.

:class:`CycleRecords` is mixed into :class:`~evalkit.learning.store.ReflectionStore`; it uses the
store's connection, its write transaction, its pseudonyms and its append-only history.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from evalkit.exceptions import DataError, ParameterError
from evalkit.learning.records import SLOTS, Action, Code, Experiment, LearningCycle, validate
from evalkit.learning.redaction import redact

__all__ = ["CycleRecords"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class CycleRecords:
    """Codebook and codings, learning cycles, experiments and actions of a reflection store."""

    # -- codes ------------------------------------------------------------------------------
    def set_codebook(self, codes: Iterable[Code | Mapping[str, Any]], *, by: str) -> None:
        """Add or update codes (name, definition, parent); earlier codings are kept."""
        items = [validate(Code, c if isinstance(c, Code) else dict(c)) for c in codes]
        actor = self._person(by)
        with self._write() as conn:
            for code in items:
                conn.execute(
                    "INSERT INTO codebook (name, definition, parent) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "
                    "parent = excluded.parent",
                    (code.name, code.definition, code.parent),
                )
            self._history(
                conn,
                "codebook",
                0,
                _next_version(conn, "codebook", 0),
                actor,
                "set codebook",
                [c.name for c in items],
                {"codes": len(items)},
            )

    def codebook(self) -> list[Code]:
        """The codebook, in the order the codes were added."""
        rows = self._conn.execute("SELECT name, definition, parent FROM codebook ORDER BY rowid")
        return [Code(name=r[0], definition=r[1], parent=r[2]) for r in rows]

    def assign_code(self, rid: int, code: str, *, coder: str, slot: str | None = None) -> None:
        """Record that a person (``coder``) applied ``code`` to a reflection (or one slot of it)."""
        if slot is not None and slot not in SLOTS:
            raise ParameterError(f"slot must be one of {', '.join(SLOTS)}; got {slot!r}")
        names = {c.name for c in self.codebook()}
        if code not in names:
            raise DataError(
                f"code {code!r} is not in the codebook; expected one of {', '.join(sorted(names))}"
            )
        person = self._person(coder)
        with self._write() as conn:
            self._snapshot(conn, int(rid))
            conn.execute(
                "INSERT OR IGNORE INTO codings (reflection_id, code, slot, coder, coded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (int(rid), code, slot or "", person, _now()),
            )

    def codings(self) -> pd.DataFrame:
        """Codes applied by people: reflection_id, code, slot ('' = whole reflection), coder."""
        return self._frame(
            "SELECT reflection_id, code, slot, coder, coded_at FROM codings ORDER BY id"
        )

    # -- cycles, experiments, actions -------------------------------------------------------
    def add_cycle(self, cycle: LearningCycle | Mapping[str, Any]) -> str:
        """Add or replace a learning cycle; return its id."""
        c = validate(LearningCycle, cycle if isinstance(cycle, LearningCycle) else dict(cycle))
        row = {k: _to_text(v) for k, v in c.model_dump().items()}
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO cycles ({', '.join(row)}) "
                f"VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
        return c.cycle_id

    def cycles(self) -> pd.DataFrame:
        """The learning cycles recorded."""
        return self._frame("SELECT * FROM cycles ORDER BY cycle_id")

    def add_experiment(self, experiment: Experiment | Mapping[str, Any]) -> int:
        """Add an experiment of a learning cycle; return its id."""
        e = validate(
            Experiment, experiment if isinstance(experiment, Experiment) else dict(experiment)
        )
        row = {k: _to_text(v) for k, v in e.model_dump().items()}
        with self._write() as conn:
            cur = conn.execute(
                f"INSERT INTO experiments ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
        return int(cur.lastrowid or 0)

    def experiments(self) -> pd.DataFrame:
        """The experiments recorded."""
        return self._frame("SELECT * FROM experiments ORDER BY id")

    def add_action(
        self, action: Action | Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Record an action (owner role, due date, status); return its id.

        The description is redacted like reflection text (actions appear in shared reviews).
        """
        a = validate(Action, action if isinstance(action, Action) else dict(action))
        a.description = redact(a.description, [n for n in names if n])[0]
        actor = self._person(by)
        now = _now()
        row = {k: _to_text(v) for k, v in a.model_dump().items()}
        row.update(version=1, created_at=now, updated_at=now)
        with self._write() as conn:
            cur = conn.execute(
                f"INSERT INTO actions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            aid = int(cur.lastrowid or 0)
            self._history(conn, "action", aid, 1, actor, "create", row, row)
        return aid

    def update_action(self, aid: int, changes: Mapping[str, Any], *, by: str) -> int:
        """Change an action (e.g. status, follow-up reflection), keeping every earlier version."""
        actor = self._person(by)
        with self._write() as conn:
            row = conn.execute("SELECT * FROM actions WHERE id = ?", (int(aid),)).fetchone()
            if row is None:
                raise DataError(f"action id {aid!r} is not in the store {str(self.path)!r}")
            current = dict(row)
            merged = {k: current[k] for k in Action.model_fields} | dict(changes)
            a = validate(Action, merged, source=f"update of action {aid}")
            new = {k: _to_text(getattr(a, k)) for k in changes}
            version = int(current["version"]) + 1
            new.update(version=version, updated_at=_now())
            conn.execute(
                f"UPDATE actions SET {', '.join(f'{k} = ?' for k in new)} WHERE id = ?",
                (*new.values(), int(aid)),
            )
            snapshot = dict(
                conn.execute("SELECT * FROM actions WHERE id = ?", (int(aid),)).fetchone()
            )
            self._history(conn, "action", int(aid), version, actor, "update", changes, snapshot)
        return version

    def actions(self) -> pd.DataFrame:
        """Every action, current versions."""
        frame = self._frame("SELECT * FROM actions ORDER BY id")
        for col in ("reflection_id", "follow_up_reflection_id"):
            frame[col] = pd.to_numeric(frame[col]).astype("Int64")
        return frame


def _next_version(conn: sqlite3.Connection, entity: str, entity_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM history WHERE entity = ? AND entity_id = ?",
        (entity, entity_id),
    ).fetchone()
    return int(row[0]) + 1
