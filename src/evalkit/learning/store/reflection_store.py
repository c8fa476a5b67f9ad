""":class:`ReflectionStore`: one SQLite file per programme, put together from small parts.

The store owns one :class:`~evalkit.learning.store.database.Database` and one
:class:`~evalkit.learning.store.people.People`, and hands them to the repositories it is made
of; each public method below passes straight to one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.exceptions import ParameterError
from evalkit.learning.records import Action, Code, LearningCycle, Reflection
from evalkit.learning.store.actions import Actions
from evalkit.learning.store.codes import Codes
from evalkit.learning.store.cycles import Cycles
from evalkit.learning.store.database import Database
from evalkit.learning.store.erasure import Erasure
from evalkit.learning.store.people import People
from evalkit.learning.store.reflections import Reflections
from evalkit.learning.store.shared import SharedText

__all__ = ["ReflectionStore", "default_store_path"]


def default_store_path(programme: str, root: str | Path = Path("data") / "processed") -> Path:
    """Where a programme's store lives by default: ``<root>/<programme>/learning.sqlite``."""
    if not programme or "/" in programme or "\\" in programme or programme.startswith("."):
        raise ParameterError(
            f"programme must be a short name such as 'family-support'; got {programme!r}"
        )
    return Path(root) / programme / "learning.sqlite"


class ReflectionStore:
    """A learning log in one SQLite file.

    Parameters
    ----------
    path
        The database file; created with its folder if missing, upgraded if an older evalkit
        wrote it.
    key
        The pseudonymisation key; read with :func:`~evalkit.intake.pseudonymise.load_key` when a
        name first needs pseudonymising (PrivacyError if none is configured).
    identifiers
        Regular expressions of the programme's own identifiers (case numbers such as
        ``FS000123``), redacted from every text the store keeps, like an email address
        (:func:`~evalkit.learning.redaction.redact`).

    Examples
    --------
    >>> store = ReflectionStore("data/processed/family-support/learning.sqlite")  # doctest: +SKIP
    >>> rid = store.add({"programme": "family-support", "locality": "E08000012",
    ...                  "period": "2024Q3", "author": "Alex Morgan", "role": "provider",
    ...                  "template": "hls", "what_we_tried": "...", "what_happened": "...",
    ...                  "what_we_learned": "...", "what_we_will_change": "...",
    ...                  "consent": "yes", "status": "submitted"})  # doctest: +SKIP
    """

    def __init__(
        self, path: str | Path, *, key: bytes | None = None, identifiers: Sequence[str] = ()
    ) -> None:
        self.path = Path(path)
        self._db = Database(self.path)
        self._people = People(key)
        self._reflections = Reflections(self._db, self._people, identifiers)
        self._shared = SharedText(self._db)
        self._codes = Codes(self._db, self._people, self._reflections)
        self._cycles = Cycles(self._db, self._people)
        self._actions = Actions(self._db, self._people, identifiers)
        self._erasure = Erasure(self._db, self._reflections)

    # -- the file ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> ReflectionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReflectionStore({str(self.path)!r})"

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``'ok'`` for a sound file."""
        return self._db.integrity_check()

    def source_key(self, values: Mapping[str, Any]) -> str:
        """A keyed hash identifying a source row (e.g. one row of an import), never reversible."""
        return self._people.source_key(values)

    # -- reflections: writing ---------------------------------------------------------------
    def add(
        self, record: Reflection | Mapping[str, Any], *, names: Iterable[str] = (), by: str = ""
    ) -> int:
        """Store one reflection; return its id.

        The author is pseudonymised, the four slots are redacted (the author's name, ``names`` and
        the patterns of :func:`~evalkit.learning.redaction.redact`), and a reflection added as
        ``submitted`` moves straight on to ``redaction_pending``: it waits for a person's review.
        ``by`` (default: the author) is who adds it.
        """
        return self._reflections.add(record, names=names, by=by)

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
        return self._reflections.add_many(records, names=names, by=by, keys=keys)

    def transition(self, rid: int, status: str, *, by: str, note: str = "") -> None:
        """Move a reflection along the workflow (:mod:`evalkit.learning.workflow`).

        ``submitted`` moves on to ``redaction_pending`` at once (the automatic redaction pass).
        ``shareable`` needs the author's consent. ``withdrawn`` is final.
        """
        self._reflections.transition(rid, status, by=by, note=note)

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
        self._reflections.review(rid, by=by, redacted=redacted, shareable=shareable, note=note)

    def withdraw(self, rid: int, *, by: str, reason: str = "") -> None:
        """Withdraw consent: the reflection leaves every later output and the search index."""
        self._reflections.transition(rid, "withdrawn", by=by, note=reason)

    def update(
        self, rid: int, changes: Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Change fields of a reflection, keeping every earlier version; return the latest version.

        Changing any slot re-runs redaction and, for a reviewed or shareable reflection, sends it
        back to ``redaction_pending`` for a fresh review. Setting ``consent`` to no withdraws it.
        """
        return self._reflections.update(rid, changes, by=by, names=names)

    def erase(self, rid: int, *, by: str, reason: str) -> None:
        """Erase a reflection's text from the store and its history (the right to erasure).

        ``by`` is the ROLE of the person erasing (e.g. ``data protection lead``), ``reason`` why.
        The history keeps who, when and why, and no text; see
        :mod:`evalkit.learning.store.erasure`.
        """
        self._erasure.erase(rid, by=by, reason=reason)

    # -- reflections: reading ---------------------------------------------------------------
    def get(self, rid: int) -> dict[str, Any]:
        """The current version of one reflection, original and redacted text (internal use)."""
        return self._reflections.get(rid)

    def all(self) -> pd.DataFrame:
        """Every reflection, current versions, as a DataFrame (internal: holds original text)."""
        return self._reflections.all()

    def version(self, rid: int, version: int, *, entity: str = "reflection") -> dict[str, Any]:
        """The full record as it was at ``version`` (internal use)."""
        if entity == "reflection":
            return self._reflections.version(rid, version)
        return self._db.snapshot(entity, rid, version)

    def history(self, rid: int | None = None, *, entity: str = "reflection") -> pd.DataFrame:
        """The audit trail: one row per version (who, when, action, which fields changed, note).

        ``entity`` is ``reflection``, ``action``, ``cycle``, ``coding`` or ``codebook``.
        """
        return self._db.history(entity, rid)

    def shareable(
        self, *, locality: str | None = None, period: str | None = None, audience: str = "cycle"
    ) -> pd.DataFrame:
        """Reflections that are reviewed, shareable and consented, with REDACTED text only.

        This is the only source of reflection text for reports and exports meant for sharing.
        ``audience`` (``cycle``, ``programme`` or ``public``) is who will see the output; see
        :meth:`SharedText.shareable <evalkit.learning.store.shared.SharedText.shareable>`.
        """
        return self._shared.shareable(locality=locality, period=period, audience=audience)

    def search(self, query: str, *, shareable_only: bool = True) -> pd.DataFrame:
        """Full-text search (SQLite FTS5, stemmed) over the REDACTED text; best matches first.

        Every word of ``query`` must occur. Withdrawn reflections are never found; with
        ``shareable_only`` (the default) only shareable, consented ones are.
        """
        return self._shared.search(query, shareable_only=shareable_only)

    def overview(
        self, *, status: str | None = None, locality: str | None = None, period: str | None = None
    ) -> pd.DataFrame:
        """Every reflection's attributes, status and REDACTED text, optionally filtered.

        For working through the log (``evalkit reflect list``, continuity), not for sharing: it
        includes reflections not yet reviewed, without consent or withdrawn.
        """
        return self._shared.overview(status=status, locality=locality, period=period)

    # -- codes, cycles, actions -------------------------------------------------------------
    def set_codebook(self, codes: Iterable[Code | Mapping[str, Any]], *, by: str) -> None:
        """Add or update codes (name, definition, parent); earlier codings are kept."""
        self._codes.set_codebook(codes, by=by)

    def codebook(self) -> list[Code]:
        """The codebook, in the order the codes were added."""
        return self._codes.codebook()

    def assign_code(self, rid: int, code: str, *, coder: str, slot: str | None = None) -> None:
        """Record that a person (``coder``) applied ``code`` to a reflection (or one slot of it)."""
        self._codes.assign_code(rid, code, coder=coder, slot=slot)

    def codings(self) -> pd.DataFrame:
        """Codes applied by people: reflection_id, code, slot ('' = whole reflection), coder."""
        return self._codes.codings()

    def add_cycle(self, cycle: LearningCycle | Mapping[str, Any], *, by: str) -> str:
        """Add a learning cycle, or replace the details of one with the same id; return its id."""
        return self._cycles.add_cycle(cycle, by=by)

    def cycles(self) -> pd.DataFrame:
        """The learning cycles recorded."""
        return self._cycles.cycles()

    def add_action(
        self, action: Action | Mapping[str, Any], *, by: str, names: Iterable[str] = ()
    ) -> int:
        """Record an action (owner role, due date, status); return its id.

        The description is redacted like reflection text (actions appear in shared reviews).
        """
        return self._actions.add_action(action, by=by, names=names)

    def update_action(self, aid: int, changes: Mapping[str, Any], *, by: str) -> int:
        """Change an action (e.g. status, follow-up reflection), keeping every earlier version."""
        return self._actions.update_action(aid, changes, by=by)

    def actions(self) -> pd.DataFrame:
        """Every action, current versions."""
        return self._actions.actions()
