"""Errors and warnings raised by evalkit.

Every error is an :class:`EvalkitError`. Its message names where the problem is (file, row, column
or field), the value found and what was expected, so that the command line can print it in one or
two lines and exit with status 2 without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DisclosureWarning",
    "EvalkitError",
    "EvidenceWarning",
    "ParameterError",
    "PipelineError",
    "PrivacyError",
    "StatisticalWarning",
]


class EvalkitError(Exception):
    """Base class of every error evalkit raises on bad input or a failed run."""

    exit_code = 2


class ConfigError(EvalkitError):
    """A programme spec, template or settings file is missing, misspelt or invalid."""


class DataError(EvalkitError):
    """An input data file or table is unreadable, lacks a column or holds a wrong value."""


class ParameterError(EvalkitError, ValueError):
    """A function argument has a value outside what the method accepts."""


class PipelineError(EvalkitError):
    """A report run could not be planned or carried out."""


class PrivacyError(EvalkitError):
    """Personal data would be exposed, or the pseudonymisation key is missing."""


class StatisticalWarning(UserWarning):
    """An estimate is valid but fragile: few discordant pairs, poor balance, wide intervals."""


class EvidenceWarning(UserWarning):
    """A result is at risk of being over-claimed: gross not net, before/after not impact."""


class DisclosureWarning(UserWarning):
    """Cells of a published table were suppressed or rounded for disclosure control."""
