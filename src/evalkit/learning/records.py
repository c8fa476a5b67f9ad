"""The records of a learning log: reflections, learning cycles, actions and codes.

Each record is a validated pydantic model. Building one from bad input raises
:class:`~evalkit.exceptions.DataError` naming the field, the value found and what was expected (see
:func:`validate`), so that the command line and the importer can report it in one line.

A reflection follows Human Learning Systems practice: whatever template captured it, its answers
are mapped onto four canonical slots (what we tried, what happened, what we learned, what we will
change).
Data in a learning log is for learning and prompting questions, not for managing performance: no
record carries a score of a person.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from evalkit.exceptions import DataError

__all__ = [
    "ACTION_STATUSES",
    "CONFIDENCE",
    "CYCLE_PHASES",
    "SHARING_SCOPES",
    "SLOTS",
    "STATUSES",
    "SYSTEM_SCALES",
    "Action",
    "Code",
    "LearningCycle",
    "Reflection",
    "clean_text",
    "field_problems",
    "period_bounds",
    "period_end",
    "validate",
]

#: The four canonical slots every template maps onto.
SLOTS: tuple[str, ...] = (
    "what_we_tried",
    "what_happened",
    "what_we_learned",
    "what_we_will_change",
)
#: Workflow of a reflection: draft -> submitted -> redaction_pending -> reviewed -> shareable;
#: withdrawn from any state.
STATUSES: tuple[str, ...] = (
    "draft",
    "submitted",
    "redaction_pending",
    "reviewed",
    "shareable",
    "withdrawn",
)
CONFIDENCE: tuple[str, ...] = ("tentative", "emerging", "well supported")
SYSTEM_SCALES: tuple[str, ...] = ("person", "team", "organisation", "place", "system")
#: Who may see a reflection once reviewed, narrowest first: its learning cycle only, the
#: programme's partners, or the public.
SHARING_SCOPES: tuple[str, ...] = ("cycle", "programme", "public")
#: The four phases of an HLS learning cycle (Collaborate CIC).
CYCLE_PHASES: tuple[str, ...] = (
    "shared purpose",
    "understand the system",
    "co-design experiments",
    "embed and influence",
)
ACTION_STATUSES: tuple[str, ...] = ("open", "done", "dropped")

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")


def period_end(period: str) -> dt.date:
    """The last day of a period written as a quarter (``2024Q3``) or a month (``2024-09``)."""
    match = _PERIOD.match(period)
    if not match:
        raise DataError(
            f"period {period!r} is not a quarter or a month; expected e.g. '2024Q3' or '2024-09'"
        )
    year = int(match.group(1))
    month = int(match.group(2)) * 3 if match.group(2) else int(match.group(3))
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


_YEAR = re.compile(r"^(\d{4})(?:/(\d{2}))?$")


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a reporting period.

    Accepts a quarter (``2024Q3``), a month (``2024-09``), a calendar year (``2024``) or a UK
    financial year (``2024/25``: 1 April 2024 to 31 March 2025).
    """
    text = str(period).strip()
    year = _YEAR.match(text)
    if year:
        first = int(year.group(1))
        if year.group(2) is None:
            return dt.date(first, 1, 1), dt.date(first, 12, 31)
        if int(year.group(2)) != (first + 1) % 100:
            raise DataError(f"period {period!r} is not a financial year; expected e.g. '2024/25'")
        return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)
    end = period_end(text)
    match = _PERIOD.match(text)
    months = 3 if match and match.group(2) else 1
    start = (pd.Timestamp(end) - pd.offsets.MonthBegin(months)).date()
    return start, end


def _choice(value: Any, choices: tuple[str, ...], name: str) -> str:
    text = str(value).strip().lower().replace("_", " ") if value is not None else ""
    options = {c.replace("_", " "): c for c in choices}
    if text not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return options[text]


#: Characters never kept in text: NUL and the other C0/C1 controls but tab and newline, and the
#: Unicode bidirectional controls (U+200E/F, U+202A-E, U+2066-9, U+061C), which can make text
#: read differently from what it holds (the "Trojan Source" attack, CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` without control characters and bidirectional controls (see :data:`_UNSAFE`).

    A carriage return is dropped too: a line ends with a newline. Tabs and newlines are kept.
    """
    return _UNSAFE.sub("", text.replace("\r\n", "\n"))


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        """Text of every field without control or bidirectional characters (:func:`clean_text`)."""
        return _cleaned(data) if isinstance(data, dict) else data


#: The fields of a reflection that take one of a fixed set of values, and those values.
_REFLECTION_CHOICES = {
    "system_scale": SYSTEM_SCALES,
    "confidence": CONFIDENCE,
    "sharing_scope": SHARING_SCOPES,
    "status": STATUSES,
}


class Reflection(_Record):
    """One reflection, its four canonical slots and its place in the sharing workflow.

    ``author`` holds a pseudonym once stored (the store replaces a name by its keyed hash);
    ``extra`` keeps template answers that map onto no slot (e.g. Gibbs' feelings), which are private
    and never leave the store.
    """

    programme: str = Field(min_length=1)
    learning_cycle: str = ""
    locality: str = Field(min_length=1)
    period: str
    system_scale: str = "team"
    author: str = Field(min_length=1)
    role: str = Field(min_length=1)
    template: str = "hls"
    what_we_tried: str = ""
    what_happened: str = ""
    what_we_learned: str = ""
    what_we_will_change: str = ""
    confidence: str = "emerging"
    consent: bool = False
    sharing_scope: str = "programme"
    status: str = "draft"
    reflected_on: dt.date | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not _PERIOD.match(value):
            raise ValueError(
                f"period must be a quarter or a month such as '2024Q3' or '2024-09'; got {value!r}"
            )
        return value

    @field_validator(*_REFLECTION_CHOICES, mode="before")
    @classmethod
    def _one_of(cls, value: Any, info: ValidationInfo) -> str:
        return _choice(value, _REFLECTION_CHOICES[info.field_name], info.field_name)

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"yes", "y", "true", "1", "consented"}:
            return True
        if text in {"no", "n", "false", "0", "", "declined"}:
            return False
        raise ValueError(f"consent must be 'yes' or 'no'; got {value!r}")

    def slots(self) -> dict[str, str]:
        """The four canonical slots as a dict."""
        return {slot: getattr(self, slot) for slot in SLOTS}


class LearningCycle(_Record):
    """A learning cycle: a group reflecting together at one scale over a stretch of time."""

    cycle_id: str = Field(min_length=1)
    programme: str = Field(min_length=1)
    locality: str = Field(min_length=1)
    name: str = ""
    system_scale: str = "team"
    phase: str = "shared purpose"
    started_on: dt.date | None = None
    ended_on: dt.date | None = None

    @field_validator("phase", mode="before")
    @classmethod
    def _phase(cls, value: Any) -> str:
        return _choice(value, CYCLE_PHASES, "phase")

    @field_validator("system_scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> str:
        return _choice(value, SYSTEM_SCALES, "system_scale")


class Action(_Record):
    """Something a group said it will change, with an owner role, a due date and a follow-up."""

    programme: str = Field(min_length=1)
    locality: str = Field(min_length=1)
    description: str = Field(min_length=1)
    owner_role: str = Field(min_length=1)
    due_on: dt.date
    learning_cycle: str = ""
    reflection_id: int | None = None
    status: str = "open"
    follow_up_reflection_id: int | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return _choice(value, ACTION_STATUSES, "status")


class Code(_Record):
    """A code of the codebook: a name, what it means, and optionally its parent code."""

    name: str = Field(min_length=1)
    definition: str = ""
    parent: str | None = None


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: M | dict[str, Any], *, source: str = "") -> M:
    """Build ``model`` from ``data``, raising DataError that names each bad field and value.

    Parameters
    ----------
    model
        One of the record classes of this module.
    data
        An instance (returned as is) or a mapping of field names to values.
    source
        Where the data came from (a file and row), added to the message.
    """
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise DataError(_describe(exc, model.__name__, source)) from None


def field_problems(exc: ValidationError) -> list[tuple[str, Any, str]]:
    """(field, value, expected) for each problem of a pydantic ValidationError."""
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(record)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "no such field"
        elif err["type"] == "missing":
            message = "a value (the field is required)"
        value = None if err["type"] == "missing" else err.get("input")
        out.append((field, value, message))
    return out


def _describe(exc: ValidationError, name: str, source: str) -> str:
    where = f" in {source}" if source else ""
    parts = [
        f"field {field!r}: value {value!r}; expected {expected}"
        for field, value, expected in field_problems(exc)
    ]
    return f"invalid {name}{where}: " + "; ".join(parts)
