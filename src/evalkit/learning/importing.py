"""Import reflections from exports of online forms (a table), with a column mapping.

The table arrives as a DataFrame: ``evalkit reflect import`` reads a CSV or Excel file with
:func:`evalkit.intake.read_table` (see :func:`evalkit.learning.inputs.read_form_export`), so that
rows are numbered as the spreadsheet shows them. Every row is checked in full before anything is
written. A row with any problem is rejected whole and reported (row number, column, value found,
what was expected); the rows that pass are written in ONE transaction, so a file is never
half-imported. With ``all_or_nothing=True`` a single rejected row means nothing at all is
imported. A table without the columns it needs is refused with a
:class:`~evalkit.exceptions.DataError` and nothing is imported. Rows already imported from an
earlier copy of the file (the same values in every column) are skipped, so a
growing online-form export can be imported again and again.

A mapping file (YAML) says which column holds which field::

    columns:                 # field: column heading in the file
      author: Your name
      role: Your role
      locality: Locality
      reflected_on: Timestamp
    answers:                 # template question id: column heading (filled onto the slots)
      tried: What did we try?
      happened: What happened?
      learned: What did we learn?
      change: What will we change?
    defaults:                # fixed values for fields the file lacks
      programme: family-support
      template: hls
      consent: yes
    date_format: "%d/%m/%Y"  # optional; otherwise ISO dates or day-first dates are read

Without a mapping, columns named like the fields are used (``locality_code`` is read as
``locality``), as in the demo's ``reflections.csv``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit._results import Result
from evalkit.exceptions import ConfigError, DataError, ParameterError
from evalkit.learning.records import SLOTS, Reflection, field_problems
from evalkit.learning.store import ReflectionStore
from evalkit.learning.templates import Template, load_template

__all__ = ["ColumnMapping", "ImportReport", "RejectedRow", "import_reflections", "load_mapping"]

_FIELDS = tuple(Reflection.model_fields)
_ALIASES = {"locality_code": "locality"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T].*)?$")
_REQUIRED = ("programme", "locality", "period", "author", "role")


class ColumnMapping(BaseModel):
    """Which column of a file holds which field (see the module docstring for the YAML form)."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    date_format: str | None = None

    def check(self) -> None:
        """Raise ConfigError naming a field that a reflection does not have."""
        for field in [*self.columns, *self.defaults]:
            if field not in _FIELDS:
                raise ConfigError(
                    f"mapping names field {field!r}, which a reflection does not have; "
                    f"expected one of {', '.join(_FIELDS)}"
                )


@dataclasses.dataclass(frozen=True)
class RejectedRow:
    """One problem that stopped a row from being imported."""

    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        return (
            f"row {self.row}, column {self.column!r}: value {self.value!r}; "
            f"expected {self.expected}"
        )


@dataclasses.dataclass(frozen=True)
class ImportReport(Result):
    """What an import did: rows read, imported and rejected, and why each rejection happened.

    Row numbers are those a spreadsheet shows (the header of a plain CSV is row 1).
    """

    source: str
    rows: int
    imported: int
    rejected_rows: int
    all_or_nothing: bool
    already_imported: int = 0
    ids: tuple[int, ...] = ()
    problems: tuple[RejectedRow, ...] = ()

    def problems_frame(self) -> pd.DataFrame:
        """One line per problem: row, column, value, expected."""
        return pd.DataFrame(
            [dataclasses.asdict(p) for p in self.problems],
            columns=["row", "column", "value", "expected"],
        )

    def summary(self) -> str:
        text = f"{self.source}: {self.rows} rows read, {self.imported} imported"
        if self.already_imported:
            text += f", {self.already_imported} already in the store (skipped)"
        if self.rejected_rows:
            text += f", {self.rejected_rows} rejected"
            if self.all_or_nothing and not self.imported:
                text += " (all-or-nothing: nothing was imported)"
        return text + "."


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping YAML file; ConfigError if it is missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"mapping file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        mapping = ColumnMapping.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"mapping file {str(path)!r} is not a valid mapping: {exc}") from None
    mapping.check()
    return mapping


def _default_mapping(frame: pd.DataFrame) -> ColumnMapping:
    columns = {}
    for column in frame.columns:
        field = _ALIASES.get(str(column), str(column))
        if field in _FIELDS and field not in columns:
            columns[field] = str(column)
    return ColumnMapping(columns=columns)


def _parse_date(value: str, date_format: str | None) -> dt.date:
    """An ISO date (as Excel date cells are read) or a date in ``date_format`` (default d/m/Y)."""
    if _ISO_DATE.match(value):
        return dt.date.fromisoformat(value[:10])
    return dt.datetime.strptime(value.split(" ")[0], date_format or "%d/%m/%Y").date()


def _row_record(
    row: Mapping[str, str],
    number: int,
    mapping: ColumnMapping,
    templates: dict[str, Template],
    problems: list[RejectedRow],
) -> dict[str, Any] | None:
    found = len(problems)
    record: dict[str, Any] = dict(mapping.defaults)
    for field, column in mapping.columns.items():
        value = str(row[column]).strip()
        if field == "reflected_on" and value:
            try:
                record[field] = _parse_date(value, mapping.date_format)
            except ValueError:
                expected = (
                    f"a date in the form {mapping.date_format}"
                    if mapping.date_format
                    else "a date such as 2024-09-30 or 30/09/2024"
                )
                problems.append(RejectedRow(number, column, value, expected))
            continue
        if value or field not in record:
            record[field] = value
    if "period" not in mapping.columns and "period" not in record and "reflected_on" in record:
        record["period"] = pd.Period(record["reflected_on"], freq="Q").strftime("%YQ%q")
    name = str(record.get("template") or "hls")
    record["template"] = name
    if name not in templates:
        try:
            templates[name] = load_template(name)
        except ConfigError as exc:
            column = mapping.columns.get("template", "template (default)")
            problems.append(RejectedRow(number, column, name, f"a known template ({exc})"))
            return None
    template = templates[name]
    if mapping.answers:
        for q in template.questions:
            column = mapping.answers.get(q.id)
            if q.required and (column is None or not str(row[column]).strip()):
                where = column or f"(question {q.id}, not mapped)"
                value = "" if column is None else str(row[column])
                problems.append(
                    RejectedRow(number, where, value, f"an answer to '{q.prompt}' (required)")
                )
        answers = {q: str(row[c]) for q, c in mapping.answers.items()}
        if len(problems) == found:
            slots, extra = template.to_slots(answers)
            record.update(slots)
            record["extra"] = extra
    else:
        required = {q.slot for q in template.questions if q.required and q.slot}
        for slot in SLOTS:
            if slot in required and not str(record.get(slot, "")).strip():
                column = mapping.columns.get(slot, f"({slot}, not mapped)")
                problems.append(
                    RejectedRow(number, column, str(record.get(slot, "")), "an answer (required)")
                )
    if len(problems) > found:
        return None
    try:
        return Reflection.model_validate(record).model_dump()
    except ValidationError as exc:
        for field, value, expected in field_problems(exc):
            column = mapping.columns.get(field, f"{field} (default)")
            problems.append(
                RejectedRow(number, column, "" if value is None else str(value), expected)
            )
        return None


def import_reflections(
    store: ReflectionStore,
    source: pd.DataFrame,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    reviewed: bool = False,
    by: str = "system:import",
    names: Iterable[str] = (),
    all_or_nothing: bool = False,
    defaults: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Check every row of a table of reflections and import the rows that pass.

    Parameters
    ----------
    store
        The reflection store to write to.
    source
        The table: a file read with :func:`evalkit.intake.read_table` (rows are then numbered
        as the spreadsheet shows them, and ``attrs['source']`` names it) or a DataFrame made
        another way (e.g. ``evalkit.demo.generate().reflections``; rows numbered from 2).
    mapping
        A :class:`ColumnMapping`, a dict of the same shape, or the path of a mapping YAML file;
        None uses the columns named like the fields.
    reviewed
        True when a person has already reviewed the redaction of these rows (e.g. the demo data):
        consented rows are then marked reviewed and shareable, recorded as done by ``by``.
        Otherwise every row waits in ``redaction_pending`` for review.
    by
        Who is importing (recorded in the history, pseudonymised unless ``system:...``).
    names
        Extra names to redact. The authors' names in the file are always redacted from every text.
    all_or_nothing
        If True, import nothing when any row is rejected.
    defaults
        Values for fields the file and the mapping do not give (e.g. ``{"programme": ...}``);
        the mapping's own defaults take precedence.

    Returns
    -------
    ImportReport
        Counts, the new ids and one :class:`RejectedRow` per problem.
    """
    if not isinstance(source, pd.DataFrame):
        raise ParameterError(
            f"source must be a DataFrame; got {type(source).__name__} (read a CSV or XLSX file "
            "with evalkit.intake.read_table, as `evalkit reflect import` does)"
        )
    label = str(source.attrs.get("source", "data frame"))
    first_row = int(source.attrs.get("first_row", 2))
    if pd.api.types.is_integer_dtype(source.index):
        numbers = [int(i) + first_row for i in source.index]
    else:
        numbers = [i + first_row for i in range(len(source))]
    # Every cell as text (a workbook's date cells as ISO dates), empty cells as "".
    frame = source.astype(object).where(source.notna(), "").astype(str)
    frame.columns = [str(c).strip() for c in frame.columns]
    if mapping is None:
        spec = _default_mapping(frame)
    elif isinstance(mapping, ColumnMapping):
        spec = mapping
    elif isinstance(mapping, Mapping):
        try:
            spec = ColumnMapping.model_validate(dict(mapping))
        except ValidationError as exc:
            raise ConfigError(f"mapping is not valid: {exc}") from None
    else:
        spec = load_mapping(mapping)
    if defaults:
        spec = spec.model_copy(update={"defaults": {**dict(defaults), **spec.defaults}})
    spec.check()
    given = {*spec.columns, *spec.defaults}
    if "reflected_on" in spec.columns:
        given.add("period")  # the period is worked out from the date
    unmapped = [f for f in _REQUIRED if f not in given]
    if unmapped:
        raise DataError(
            f"file {label} gives no column for required field(s) {', '.join(map(repr, unmapped))}; "
            f"found columns: {', '.join(map(repr, frame.columns))} (map them with a mapping file)"
        )
    wanted = [*spec.columns.values(), *spec.answers.values()]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"file {label} lacks column(s) {', '.join(map(repr, missing))} named in the mapping; "
            f"found: {', '.join(map(repr, frame.columns))}"
        )
    templates: dict[str, Template] = {}
    problems: list[RejectedRow] = []
    records: list[dict[str, Any]] = []
    keys: list[str] = []
    for number, row in zip(numbers, frame.to_dict("records"), strict=True):
        rec = _row_record(row, number, spec, templates, problems)
        if rec is not None:
            records.append(rec)
            keys.append(store.source_key(row))
    rejected = len({p.row for p in problems})
    if all_or_nothing and rejected:
        records, keys = [], []
    authors = {str(r["author"]) for r in records}
    for rec in records:
        rec["status"] = "draft" if rec["status"] == "draft" else "submitted"
    ids = store.add_many(records, names=[*authors, *names], by=by, keys=keys) if records else []
    if reviewed:
        for rid, rec in zip(ids, records, strict=True):
            if rid is not None and rec["consent"] and rec["status"] == "submitted":
                store.review(rid, by=by, shareable=True, note="reviewed before import")
    new = tuple(rid for rid in ids if rid is not None)
    return ImportReport(
        source=label,
        rows=len(frame),
        imported=len(new),
        rejected_rows=rejected,
        all_or_nothing=all_or_nothing,
        already_imported=len(ids) - len(new),
        ids=new,
        problems=tuple(problems),
    )
