"""People in a reflection store: names become keyed-hash pseudonyms before anything is written.

Authors and the people named in ``by=`` are stored as pseudonyms
(:func:`evalkit.intake.pseudonymise.pseudonym`, prefix ``a-``); the key lives outside the
repository and is read with :func:`~evalkit.intake.pseudonymise.load_key` only when first needed.
Actors written ``system:...`` (the automatic redaction pass, an import) are kept as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from evalkit.exceptions import ParameterError
from evalkit.intake.pseudonymise import load_key, pseudonym

__all__ = ["People", "is_pseudonym"]

_PSEUDONYM = re.compile(r"^a-[0-9a-f]{12}$")


def is_pseudonym(text: str) -> bool:
    """True if ``text`` is already a person's pseudonym (``a-`` and 12 hex digits)."""
    return bool(_PSEUDONYM.match(text))


class People:
    """Turns names into pseudonyms with one key (read lazily: PrivacyError if none is set)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key

    def _secret(self) -> bytes:
        if self._key is None:
            self._key = load_key()
        return self._key

    def pseudonym(self, name: str | None) -> str:
        """A person's pseudonym; pseudonyms and ``system:...`` actors are returned unchanged."""
        text = str(name or "").strip()
        if not text:
            raise ParameterError("by must name the person making the change; got an empty value")
        if is_pseudonym(text) or text.startswith("system:"):
            return text
        return pseudonym(text, self._secret(), prefix="a-")

    def source_key(self, values: Mapping[str, Any]) -> str:
        """A keyed hash identifying a source row (e.g. one row of an import), never reversible."""
        text = json.dumps(dict(values), sort_keys=True, default=str)
        return pseudonym(text, self._secret(), prefix="row-", length=32)
