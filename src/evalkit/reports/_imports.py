"""Import costs the report pipeline avoids.

nbformat validates notebooks with jsonschema, and jsonschema, when the optional
``rfc3987-syntax`` package is installed (Jupyter's event schemas pull it in), compiles 38 IRI
grammars with lark as it is imported: about 2 s in every process that reads or writes a notebook
(the runner, each worker), for an ``iri`` format check that nbformat never makes. The pipeline's
processes import nbformat without it; nothing else changes.
"""

from __future__ import annotations

import sys

__all__ = ["without_iri_grammars"]

_GRAMMARS = "rfc3987_syntax"


def without_iri_grammars() -> None:
    """Let jsonschema be imported without compiling the IRI grammars (before its first import;
    afterwards, and when the package is already loaded, nothing changes)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault(_GRAMMARS, None)  # type: ignore[arg-type]
