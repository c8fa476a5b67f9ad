"""Sections of the per-locality evaluation report, each a function returning HTML.

The report notebook computes :func:`evalkit.reports.findings.compute_findings` once and displays
each section. Every table passes through disclosure control, every piece of text from data or
results is HTML-escaped, and every chart carries alt text. The last cell calls :func:`downloads`,
which hands the tables published to ``evalkit run`` to write beside the report as CSV and XLSX.
"""

from evalkit.reports.downloads import publish as downloads
from evalkit.reports.sections._html import show
from evalkit.reports.sections.assumptions import assumed_against_measured
from evalkit.reports.sections.basics import (
    glossary,
    header,
    methods,
    provenance_section,
    summary,
    summary_sentences,
)
from evalkit.reports.sections.impact import impact
from evalkit.reports.sections.learning import learning
from evalkit.reports.sections.people import outcomes, reach
from evalkit.reports.sections.value import value_for_money

__all__ = [
    "assumed_against_measured",
    "downloads",
    "glossary",
    "header",
    "impact",
    "learning",
    "methods",
    "outcomes",
    "provenance_section",
    "reach",
    "show",
    "summary",
    "summary_sentences",
    "value_for_money",
]
