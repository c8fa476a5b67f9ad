"""The reflection store: one SQLite file per programme, safe for several writers at once.

``ReflectionStore(path)`` keeps reflections, their full history, codes, learning cycles and
actions in one SQLite database (default ``data/processed/<programme>/learning.sqlite``).

Where things are
----------------
- :mod:`~evalkit.learning.store.reflection_store`: :class:`ReflectionStore`, the public face,
  put together from the parts below;
- :mod:`~evalkit.learning.store.database`: the connection, the schema and its upgrades, write
  transactions and the audit trail (``history``);
- :mod:`~evalkit.learning.store.people`: names to keyed-hash pseudonyms;
- :mod:`~evalkit.learning.store.reflections`: reflections - add, change, review, move through the
  workflow (:mod:`evalkit.learning.workflow`: the states and the moves allowed);
- :mod:`~evalkit.learning.store.shared`: the only reads that return text, always redacted, and
  the search index;
- :mod:`~evalkit.learning.store.codes`, :mod:`~evalkit.learning.store.cycles`,
  :mod:`~evalkit.learning.store.actions`: the codebook and codings, learning cycles, actions;
- :mod:`~evalkit.learning.store.erasure`: erasing a reflection's text (the right to erasure).

How it keeps data safe
----------------------
- Write-ahead logging (WAL) and one ``BEGIN IMMEDIATE`` transaction per change: a writer that dies
  mid-transaction leaves nothing of that transaction and loses nothing committed before it. Other
  writers wait (``busy_timeout``) rather than fail, so several processes can add reflections at
  once.
- Every change - of a reflection, action, cycle, coding or the codebook - appends a row to
  ``history`` (who, when, which fields, and a snapshot of the new version). Triggers forbid
  updating or deleting history rows; only erasure removes text from them.
- Authors and the people named in ``by=`` are stored as keyed-hash pseudonyms
  (:func:`evalkit.intake.pseudonymise.pseudonym`; the key lives outside the repository).
- Free text is redacted (:func:`evalkit.learning.redaction.redact`) whenever it is stored; the
  original text stays in the store for the reviewer, and only redacted text is indexed for search or
  leaves the store. A reflection reaches ``shareable`` only through a person's review and only with
  consent; :meth:`ReflectionStore.shareable` is the only source of text for reports and exports.
  Withdrawing consent removes a reflection from every later output and from the search index;
  erasing it (:meth:`ReflectionStore.erase`) removes its text from the file altogether.
"""

from __future__ import annotations

from evalkit.learning.store.reflection_store import ReflectionStore, default_store_path
from evalkit.learning.store.shared import SHARED_COLUMNS
from evalkit.learning.workflow import TRANSITIONS

__all__ = ["SHARED_COLUMNS", "TRANSITIONS", "ReflectionStore", "default_store_path"]
