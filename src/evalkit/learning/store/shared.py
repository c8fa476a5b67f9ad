"""What may leave a reflection store: redacted text only, and the search index over it.

Every read here selects the ``redacted_*`` columns and never the original text:

- :meth:`SharedText.shareable`: reflections that are reviewed, shareable and consented; the only
  source of reflection text for reports and exports;
- :meth:`SharedText.search`: full-text search (SQLite FTS5) over the redacted text;
- :meth:`SharedText.overview`: every reflection's attributes and redacted text, for a person
  working through the log (``evalkit reflect list``), never for sharing.

The search index (``reflections_fts``) holds only redacted text; :func:`set_index` replaces a
reflection's entry and removes it on withdrawal.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit._validate import require_choice
from evalkit.exceptions import ParameterError
from evalkit.learning.records import SHARING_SCOPES, SLOTS, clean_text
from evalkit.learning.store.database import Database

__all__ = ["OVERVIEW_COLUMNS", "SHARED_COLUMNS", "SharedText", "purge_index", "set_index"]

#: Columns of :meth:`SharedText.shareable`: redacted text and attributes, no original text.
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
#: Columns of :meth:`SharedText.overview`: the shared columns and the workflow's state.
OVERVIEW_COLUMNS: tuple[str, ...] = (*SHARED_COLUMNS, "status", "consent", "version")


def _select(columns: tuple[str, ...], table: str = "") -> str:
    """A SELECT list naming each slot's REDACTED column as the slot."""
    prefix = f"{table}." if table else ""
    return ", ".join(
        f"{prefix}redacted_{c} AS {c}" if c in SLOTS else f"{prefix}{c}" for c in columns
    )


def set_index(conn: sqlite3.Connection, rid: int, redacted: Mapping[str, str] | None) -> None:
    """Replace a reflection's entry in the search index (redacted text only; None removes it)."""
    conn.execute("DELETE FROM reflections_fts WHERE rowid = ?", (int(rid),))
    if redacted is not None:
        conn.execute(
            f"INSERT INTO reflections_fts (rowid, {', '.join(SLOTS)}) VALUES (?, ?, ?, ?, ?)",
            (int(rid), *(redacted[s] for s in SLOTS)),
        )


def purge_index(conn: sqlite3.Connection) -> None:
    """Merge the index into one segment, so that words of removed entries are gone from it too.

    FTS5 deletes by adding delete markers; the words themselves stay in older segments until
    they are merged ('optimize').
    """
    conn.execute("INSERT INTO reflections_fts (reflections_fts) VALUES ('optimize')")


class SharedText:
    """The reads of a store that return reflection text: always the redacted text."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def shareable(
        self,
        *,
        locality: str | None = None,
        period: str | None = None,
        audience: str = "cycle",
    ) -> pd.DataFrame:
        """Reflections that are reviewed, shareable and consented, with REDACTED text only.

        The slot columns hold the redacted text; ``author`` is a pseudonym kept for counting
        distinct authors and is never shown. Text comes without control or bidirectional
        characters (:func:`~evalkit.learning.records.clean_text`), even if an older evalkit
        stored them. ``audience`` is who will see the output: ``cycle``
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
        frame = self._db.frame(
            f"SELECT {_select(SHARED_COLUMNS)} FROM reflections WHERE {' AND '.join(where)} "
            "ORDER BY id",
            params,
        )
        frame = frame.reindex(columns=list(SHARED_COLUMNS))
        return frame.apply(
            lambda col: col.map(lambda v: clean_text(v) if isinstance(v, str) else v)
        )

    def search(self, query: str, *, shareable_only: bool = True) -> pd.DataFrame:
        """Full-text search (SQLite FTS5, stemmed) over the REDACTED text; best matches first.

        Every word of ``query`` must occur. Withdrawn reflections are never found; with
        ``shareable_only`` (the default) only shareable, consented ones are.
        """
        words = re.findall(r"\w+", str(query))
        if not words:
            raise ParameterError(f"query must contain at least one word; got {query!r}")
        match = " ".join(f'"{w}"' for w in words)
        sql = (
            f"SELECT {_select(SHARED_COLUMNS, 'r')}, r.status, bm25(reflections_fts) AS rank "
            "FROM reflections_fts JOIN reflections r ON r.id = reflections_fts.rowid "
            "WHERE reflections_fts MATCH ? AND r.status != 'withdrawn'"
        )
        if shareable_only:
            sql += " AND r.status = 'shareable' AND r.consent = '1'"
        return self._db.frame(sql + " ORDER BY rank", [match])

    def overview(
        self,
        *,
        status: str | None = None,
        locality: str | None = None,
        period: str | None = None,
    ) -> pd.DataFrame:
        """Every reflection (or those matching the filters) with REDACTED text, newest last.

        For a person working through the log - what waits for review, which cycles have gone
        quiet - not for sharing: it includes reflections not yet reviewed, without consent or
        withdrawn. ``consent`` is a boolean.
        """
        where, params = ["1 = 1"], []
        for column, value in (("status", status), ("locality", locality), ("period", period)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        frame = self._db.frame(
            f"SELECT {_select(OVERVIEW_COLUMNS)} FROM reflections WHERE {' AND '.join(where)} "
            "ORDER BY id",
            params,
        )
        frame = frame.reindex(columns=list(OVERVIEW_COLUMNS))
        frame["consent"] = frame["consent"] == "1"
        return frame
