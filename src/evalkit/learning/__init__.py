"""A learning log for Human Learning Systems: capture, keep, protect, code and review reflections.

- :mod:`~evalkit.learning.records`: reflections, learning cycles, experiments, actions, codes;
- :mod:`~evalkit.learning.templates`: templates as data (HLS, After Action Review, Gibbs,
  What? So what? Now what?, Most Significant Change), each mapped onto the four canonical slots;
- :mod:`~evalkit.learning.store`: :class:`ReflectionStore`, SQLite with history and search;
- :mod:`~evalkit.learning.redaction`: :func:`redact` personal details, with a log;
- :mod:`~evalkit.learning.importing`: CSV/XLSX import with a column mapping;
- :mod:`~evalkit.learning.coding`: codebook, suggested codes, theme counts, co-occurrence;
- :mod:`~evalkit.learning.actions`: open and overdue actions, learning continuity;
- :mod:`~evalkit.learning.export`: CSV and REFI-QDA (``.qdc``, ``.qdpx``);
- :mod:`~evalkit.learning.form`: the ipywidgets capture form;
- :mod:`~evalkit.learning.review`: the learning review of a locality, as HTML.

Only reflections that are reviewed, shareable and consented reach a report or an export.
"""

from evalkit.learning.actions import Continuity, continuity, open_actions, overdue_actions
from evalkit.learning.coding import (
    check_codebook,
    co_occurrence,
    load_codebook,
    quotes_for,
    suggest_codes,
    theme_counts,
)
from evalkit.learning.export import codebook_xml, export_csv, export_qdc, export_qdpx
from evalkit.learning.importing import ImportReport, import_reflections, load_mapping
from evalkit.learning.records import (
    SLOTS,
    STATUSES,
    Action,
    Code,
    Experiment,
    LearningCycle,
    Reflection,
)
from evalkit.learning.redaction import RedactionEntry, redact
from evalkit.learning.store import ReflectionStore, default_store_path
from evalkit.learning.templates import Template, list_templates, load_template

__all__ = [
    "SLOTS",
    "STATUSES",
    "Action",
    "Code",
    "Continuity",
    "Experiment",
    "ImportReport",
    "LearningCycle",
    "RedactionEntry",
    "Reflection",
    "ReflectionStore",
    "Template",
    "check_codebook",
    "co_occurrence",
    "codebook_xml",
    "continuity",
    "default_store_path",
    "export_csv",
    "export_qdc",
    "export_qdpx",
    "import_reflections",
    "list_templates",
    "load_codebook",
    "load_mapping",
    "load_template",
    "open_actions",
    "overdue_actions",
    "quotes_for",
    "redact",
    "suggest_codes",
    "theme_counts",
]
