"""A learning log for Human Learning Systems: capture, keep, protect, code and review reflections.

- :mod:`~evalkit.learning.records`: reflections, learning cycles, actions, codes;
- :mod:`~evalkit.learning.workflow`: a reflection's states and the moves allowed between them;
- :mod:`~evalkit.learning.templates`: templates as data (HLS, After Action Review, Gibbs,
  What? So what? Now what?, Most Significant Change), each mapped onto the four canonical slots;
- :mod:`~evalkit.learning.store`: :class:`ReflectionStore`, SQLite with history, search and
  erasure (a package: database, repositories of reflections, codes, cycles and actions);
- :mod:`~evalkit.learning.redaction`: :func:`redact` personal details, with a log;
- :mod:`~evalkit.learning.inputs`: reading a reflection file (YAML, Markdown) or a form export;
- :mod:`~evalkit.learning.importing`: import of form exports (a table) with a column mapping;
- :mod:`~evalkit.learning.coding`: codebook, suggested codes, theme counts, co-occurrence;
- :mod:`~evalkit.learning.actions`: open and overdue actions, learning continuity, and "what we
  will change" commitments tracked as actions;
- :mod:`~evalkit.learning.export`: CSV and REFI-QDA (``.qdc``, ``.qdpx``);
- :mod:`~evalkit.learning.form`: the ipywidgets capture form;
- :mod:`~evalkit.learning.review`: the learning review of a locality, as HTML.

The package never reads a programme spec: the notebooks reach it through
:mod:`evalkit.reports.learning_review` (the review, with indicators as context) and
:mod:`evalkit.reports.capture` (the capture form), and ``evalkit reflect import`` reads files
with :func:`evalkit.intake.read_table`.

Only reflections that are reviewed, shareable and consented reach a report or an export.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it. Modules load on first use, so that the
#: ``evalkit`` command starts quickly (``evalkit reflect`` needs only a few of them).
_EXPORTS = {
    "Continuity": "actions",
    "commitments": "actions",
    "continuity": "actions",
    "open_actions": "actions",
    "overdue_actions": "actions",
    "check_codebook": "coding",
    "co_occurrence": "coding",
    "coder_agreement": "coding",
    "load_codebook": "coding",
    "quotes_for": "coding",
    "suggest_codes": "coding",
    "track_commitment": "actions",
    "theme_counts": "coding",
    "codebook_xml": "export",
    "export_csv": "export",
    "export_qdc": "export",
    "export_qdpx": "export",
    "build_form": "form",
    "read_form_export": "inputs",
    "read_reflection_file": "inputs",
    "ImportReport": "importing",
    "import_reflections": "importing",
    "load_mapping": "importing",
    "SLOTS": "records",
    "STATUSES": "records",
    "Action": "records",
    "Code": "records",
    "LearningCycle": "records",
    "Reflection": "records",
    "RedactionEntry": "redaction",
    "redact": "redaction",
    "learning_review": "review",
    "ReflectionStore": "store",
    "TRANSITIONS": "workflow",
    "default_store_path": "store",
    "Template": "templates",
    "list_templates": "templates",
    "load_template": "templates",
}

__all__ = [
    "SLOTS",
    "STATUSES",
    "TRANSITIONS",
    "Action",
    "Code",
    "Continuity",
    "ImportReport",
    "LearningCycle",
    "RedactionEntry",
    "Reflection",
    "ReflectionStore",
    "Template",
    "build_form",
    "check_codebook",
    "co_occurrence",
    "codebook_xml",
    "coder_agreement",
    "commitments",
    "continuity",
    "default_store_path",
    "export_csv",
    "export_qdc",
    "export_qdpx",
    "import_reflections",
    "learning_review",
    "list_templates",
    "load_codebook",
    "load_mapping",
    "load_template",
    "open_actions",
    "overdue_actions",
    "quotes_for",
    "read_form_export",
    "read_reflection_file",
    "redact",
    "suggest_codes",
    "theme_counts",
    "track_commitment",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"evalkit.learning.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.learning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
