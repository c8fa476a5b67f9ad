"""What a programme asks of its providers, field by field, and the data return template.

:func:`requested_fields` lists, for one source of a programme spec, every column the plan uses
(the same list intake reads, :func:`evalkit.intake.mapping.used_columns`), in the provider's own
column name, with what it holds, why it is asked (:data:`ROLE_REASONS`, written once here), which
outcomes use it and the values it may hold. The evaluation plan
(:mod:`evalkit.reports.evaluation_plan`) prints that list; :func:`write_template` turns it into
a workbook a provider fills in:

- a first sheet that explains each field and why it is asked, and how to send the return;
- one sheet per source that is a file, named as the spec reads it (its ``sheet``, else the
  source's name) with its header on the spec's ``header_row`` and the provider's own column
  names, so that a filled workbook is exactly what the spec reads;
- data validation on each column (a list of the labels the spec accepts, Yes/No, dates, whole
  numbers and amounts) with an input hint, and the spec's date format as the cells' format.

A source the spec reads from a CSV or parquet file gets a sheet named after the source: the
provider saves that sheet as CSV (UTF-8) under the file's name, or the spec points at the
workbook instead (``file: returns.xlsx`` and ``sheet: <source>``). Sources read from a database
(``query:``) ask nothing of providers and get no sheet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

from evalkit._io import atomic_path
from evalkit.config import ProgrammeSpec
from evalkit.config.sources import DATE_FORMATS, IDENTIFIER_ROLES, ROLES
from evalkit.intake.mapping import UsedColumn, used_columns
from evalkit.intake.schemas import Column

__all__ = [
    "ROLE_REASONS",
    "RequestedField",
    "how_to_send",
    "read_as_sent",
    "requested_fields",
    "template_sheets",
    "write_template",
]

#: Each role in plain words: what the column holds and why it is asked, written once here.
ROLE_REASONS: dict[str, tuple[str, str]] = {
    "person_id": (
        "The person's reference in your records",
        "To count each person once and link their records without using their name. It is "
        "replaced by a code before anyone analyses it.",
    ),
    "household_id": (
        "The household's or family's reference",
        "To count households as well as people, when more than one person in a household is "
        "supported. It is replaced by a code before anyone analyses it.",
    ),
    "locality": ("The area", "To report on each area separately."),
    "group": (
        "Whether the person was served, or was eligible but not served",
        "To tell people who were served from eligible people who were not, so that the two can "
        "be compared.",
    ),
    "referral_date": (
        "The date of referral",
        "To know how long people wait between referral and the start of support.",
    ),
    "start_date": (
        "The date support started",
        "To know how long each person was supported and who started in the reporting period.",
    ),
    "end_date": (
        "The date support ended (empty while support goes on)",
        "To know when support ended, how long it lasted and which cases are still open.",
    ),
    "occasion": (
        "Which assessment the reading is",
        "To know which assessment a reading comes from, so that the right readings are compared.",
    ),
    "date": ("The date of the assessment", "To put each reading in order and in the right period."),
    "period": (
        "The first day of the month, quarter or year",
        "To place each count in its period, before or after the service began.",
    ),
    "financial_year": (
        "The financial year",
        "To match spending to the year it was spent in.",
    ),
    "item": ("What the money was spent on", "To show what the money was spent on."),
    "amount": ("The amount spent", "To work out the cost per person served and value for money."),
    "price_year": (
        "The year whose prices the amount is in",
        "To compare money from different years at the same prices.",
    ),
}
#: What the optional roles of a people source are used for.
_ROLE_USE = {
    "household_id": "counting households",
    "group": "comparing people served with people not served",
    "referral_date": "waiting times",
    "end_date": "how long support lasted",
}

#: Why the other kinds of field are asked for ({outcome} is the outcome's name).
_OUTCOME_REASONS = {
    "before": "To measure {outcome} when support started, so that change can be seen.",
    "after": "To measure {outcome} when support ended.",
    "column": "To measure {outcome} at each assessment.",
    "areas": "To measure {outcome} at each assessment, one area of life at a time.",
    "series": "To count {outcome} in each period, before and after the service began.",
    "population": "To turn counts into rates, so that areas of different sizes can be compared.",
}
#: What the column of each kind of field holds ({outcome} is the outcome's name).
_OUTCOME_WHAT = {
    "before": "{outcome} when support started",
    "after": "{outcome} when support ended",
    "column": "{outcome}: the reading at this assessment",
    "areas": "{outcome}: one area's reading at this assessment",
    "series": "{outcome}: the count for the period",
    "population": "The population the rate of {outcome} is worked out from",
}
_REACH_REASON = "To see who the service reaches, and whether some groups are missed."
_MATCHING_REASON = "To compare people served with similar people who were not served."
_EXCLUDE_REASON = "To leave out rows the evaluation does not cover (marked {labels})."

#: Rows of each source sheet that carry data validation (a return longer than this is rare).
TEMPLATE_ROWS = 5000
ABOUT_SHEET = "About this return"
LISTS_SHEET = "Lists"
_EXAMPLE_DAY = dt.date(2024, 5, 23)
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclasses.dataclass(frozen=True)
class RequestedField:
    """One column a provider is asked for: its name in their file, meaning, reason and values.

    ``labels`` are the values a list may offer (the labels the spec recodes or accepts, and its
    markers of a missing value); ``examples`` are values the plan names without limiting the
    column to them (the assessments an outcome compares); ``rule`` is the check intake applies.
    """

    source: str
    column: str
    what: str
    why: str
    used_for: str
    rule: Column
    required: bool
    role: str | None = None
    labels: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @property
    def identifier(self) -> bool:
        """Whether intake replaces the values by a keyed pseudonym."""
        return self.role in IDENTIFIER_ROLES

    def how(self) -> str:
        """How to fill the column in, in words ('A date, such as 23/05/2024')."""
        rule = self.rule
        if rule.kind == "date":
            example = _EXAMPLE_DAY.strftime(DATE_FORMATS[rule.date_format])
            text = f"A date, such as {example}"
        elif self.labels:
            text = "One of: " + ", ".join(self.labels)
        elif rule.kind == "binary":
            text = "1 for yes, 0 for no"
        elif rule.kind in ("integer", "number"):
            text = _number_words(rule, money="£" in self.column or self.role == "amount")
        elif self.identifier:
            text = "Your own reference, never a name"
        elif self.role == "occasion":
            text = "Which assessment: " + (
                f"such as {' or '.join(self.examples)}"
                if self.examples
                else "a number (1, 2, 3) or your own label"
            )
        elif self.role == "financial_year":
            text = "A financial year, written 2024/25"
        else:
            text = "Text"
        if self.required:
            return (
                text
                + ". Must be filled in"
                + (" for everyone served." if self.role == "start_date" else ".")
            )
        return text + ". Leave empty if not known."


def _number_words(rule: Column, *, money: bool) -> str:
    word = (
        "An amount in pounds, without the £ sign"
        if money
        else ("A whole number" if rule.kind == "integer" else "A number")
    )
    if rule.low is not None and rule.high is not None:
        return f"{word} from {rule.low:g} to {rule.high:g}"
    if rule.low is not None:
        return f"{word}, {rule.low:g} or more"
    return word


def _outcome_field(spec: ProgrammeSpec, field: str) -> tuple[str, str, str] | None:
    """(outcome name, what the column holds, why) for a spec field such as
    ``outcomes[2].before``."""
    found = re.match(r"outcomes\[(\d+)\]\.(\w+)", field)
    if not found:
        return None
    outcome = spec.outcomes[int(found.group(1))]
    part = found.group(2)
    if part == "after" and spec.outcome_kind(outcome) == "series":
        part = "series"
    named = f"'{outcome.name}'"
    what = _OUTCOME_WHAT[part].format(outcome=named)
    return outcome.name, what[0].upper() + what[1:], _OUTCOME_REASONS[part].format(outcome=named)


def _labels(spec: ProgrammeSpec, source: str, used: UsedColumn) -> tuple[str, ...]:
    """The labels a column accepts, as the provider writes them (empty when any value goes);
    with the source's markers of a missing value where the column may be left empty."""
    s = spec.sources[source]
    column, role, field = used.column.name, used.role, used.field
    labels: list[str] = []
    if column in s.recodes:
        labels = [str(k) for k in s.recodes[column]]
    elif role == "group":
        labels = [label for g in ("participant", "comparison") for label in s.groups.get(g, [])]
    elif role == "locality":
        areas = dict(spec.localities)
        if s.kind == "series":
            areas |= spec.comparison_localities
        labels = list(areas.values())
    elif field.startswith("characteristics["):
        c = spec.characteristics[int(field.split("[")[1].split("]")[0])]
        labels = list(c.categories or [])
    if labels and used.column.nullable:
        labels += [m for m in s.missing if m.strip() and m not in labels]
    return tuple(labels)


def _occasions(spec: ProgrammeSpec, source: str) -> tuple[str, ...]:
    """The assessments the outcomes of a readings source compare, by label ('Intake', 'Exit')."""
    named = [
        str(v)
        for o in spec.outcomes
        if spec.outcome_source(o) == source
        for v in (o.before, o.after)
        if v is not None and str(v) not in ("first", "last")
    ]
    return tuple(dict.fromkeys(named))


def requested_fields(spec: ProgrammeSpec, source: str) -> list[RequestedField]:
    """Every column the plan asks of ``source``, with what it holds and why (see the module)."""
    s = spec.sources[source]
    own = [o.name for o in spec.outcomes if spec.outcome_source(o) == source]
    out: list[RequestedField] = []
    for used in used_columns(spec, source):
        role, column = used.role, used.column.name
        if role is not None:
            what, why = ROLE_REASONS[role]
            # Every row needs a group label once the column is mapped (intake refuses a blank).
            required = ROLES[s.kind][role][0] or role == "group"
            if s.kind == "costs":
                used_for = "value for money"
            elif s.kind == "people":
                used_for = _ROLE_USE.get(role, "every outcome")
            else:
                used_for = ", ".join(own) or "the reports"
        elif (found := _outcome_field(spec, used.field)) is not None:
            used_for, what, why = found
            required = False
        elif used.field.startswith("characteristics["):
            c = spec.characteristics[int(used.field.split("[")[1].split("]")[0])]
            what = f"{c.name}, in {c.unit}" if c.unit else c.name
            why, used_for, required = _REACH_REASON, "who the service reaches", False
        else:
            what, why, required = column, _MATCHING_REASON, False
            used_for = "comparing like with like"
        labels = _labels(spec, source, used)
        examples = _occasions(spec, source) if role == "occasion" else ()
        out.append(
            RequestedField(
                source, column, what, why, used_for, used.column, required, role, labels, examples
            )
        )
    for column, marks in s.exclude.items():
        if any(f.column == column for f in out):
            continue
        shown = ", ".join(f"'{m}'" for m in marks)
        rule = Column(column, "text", nullable=True)
        why = _EXCLUDE_REASON.format(labels=shown)
        out.append(RequestedField(source, column, column, why, "leaving rows out", rule, False))
    return out


def template_sheets(spec: ProgrammeSpec) -> dict[str, str]:
    """The sheet of the template for each source a provider returns: source name -> sheet name.

    The spec's ``sheet`` where it names one (and no other source has taken that name), else the
    source's name (cut to Excel's 31 characters). Sources read by a query are left out.
    """
    out: dict[str, str] = {}
    for name, s in spec.sources.items():
        if s.query is not None:
            continue
        own = _SHEET_NAME.sub("-", name)[:31]
        out[name] = s.sheet if s.sheet and s.sheet not in out.values() else own
    return out


def read_as_sent(spec: ProgrammeSpec, source: str, sheet: str) -> bool:
    """Whether the spec reads the template's ``sheet`` for ``source`` as it is: the source is
    that sheet of a workbook. Otherwise the provider saves the sheet as CSV under the file's
    name, or the spec is pointed at the workbook (``file`` and ``sheet``)."""
    s = spec.sources[source]
    workbook = s.file is not None and s.file.suffix.lower() in (".xlsx", ".xlsm")
    return workbook and s.sheet == sheet


def how_to_send(spec: ProgrammeSpec, source: str, sheet: str, workbook: str) -> str:
    """One sentence: how the spec reads the template's sheet for ``source``."""
    s = spec.sources[source]
    file = s.file.name if s.file is not None else source
    if read_as_sent(spec, source, sheet):
        return f"Sheet '{sheet}' is read as sheet '{sheet}' of {file}: send the workbook as it is."
    return (
        f"Sheet '{sheet}' is read from {file}: save this sheet as CSV UTF-8 under that name, or "
        f"set sources.{source}.file to {workbook} and sources.{source}.sheet to '{sheet}' in the "
        "programme spec."
    )


#: The bound of a number column with no range of its own (a data validation needs two).
_ANY_NUMBER = 999_999_999_999


def _excel_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _excel_date_format(date_format: str) -> str:
    return date_format.replace("mon", "mmm")


def _prompt(text: str, limit: int = 250) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validation(f: RequestedField, list_range: str | None) -> Any:
    """The openpyxl DataValidation for a field (with its input hint), or None for free text."""
    from openpyxl.worksheet.datavalidation import DataValidation

    rule, blank = f.rule, not f.required
    error = f"Expected: {f.how()}"
    if list_range is not None:
        dv = DataValidation(type="list", formula1=list_range, allow_blank=blank)
    elif rule.kind == "date":
        dv = DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1990,1,1)",
            formula2="DATE(2100,12,31)",
            allow_blank=blank,
        )
    elif rule.kind in ("integer", "number", "binary"):
        low = -_ANY_NUMBER if rule.low is None else rule.low
        high = _ANY_NUMBER if rule.high is None else rule.high
        if rule.kind == "binary":
            low, high = 0, 1
        kind = "decimal" if rule.kind == "number" else "whole"
        dv = DataValidation(
            type=kind,
            operator="between",
            formula1=_excel_number(low),
            formula2=_excel_number(high),
            allow_blank=blank,
        )
    else:
        dv = DataValidation(allow_blank=blank)  # no rule: the input hint only
        error = ""
    if f.role == "locality":  # a code is accepted too: a warning the user may pass over
        dv.errorStyle = "warning"
        error = f"Expected the area's name from the list, or its code. {error}"
    dv.promptTitle = _prompt(f.column, 32)
    dv.prompt = _prompt(f"{f.how()} {f.why}")
    dv.showInputMessage = True
    if error:
        dv.errorTitle = "Not a value this return accepts"
        dv.error = _prompt(error)
        dv.showErrorMessage = True
    return dv


def _list_sheet_name(taken: set[str], base: str) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name


def _about(
    ws: Any,
    spec: ProgrammeSpec,
    fields: dict[str, list[RequestedField]],
    sheets: dict[str, str],
    name: str,
) -> None:
    """The first sheet: how to fill in and send the return, then every field and why."""
    from openpyxl.styles import Alignment, Font

    lines = [
        (f"{spec.title}: data return", Font(bold=True, size=14)),
        (
            "Fill in one sheet for each part of the return. Each row is one record. Keep the "
            "column names as they are: the evaluation reads them.",
            None,
        ),
        (
            "Select a cell to see what it should hold. Leave a cell empty if you do not know the "
            "answer. Do not add names, addresses, emails or notes: the evaluation does not use "
            "them.",
            None,
        ),
    ]
    for source, sheet in sheets.items():
        s = spec.sources[source]
        how = how_to_send(spec, source, sheet, name)
        due = f" Due each {s.frequency}." if s.frequency else ""
        lines.append((how + due, None))
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        if font is not None:
            cell.font = font
    header = ["Sheet", "Column", "What it holds", "Why we ask", "How to fill it in", "Used for"]
    top = len(lines) + 2
    for j, title in enumerate(header, start=1):
        ws.cell(row=top, column=j, value=title).font = Font(bold=True)
    row = top
    for source, sheet in sheets.items():
        for f in fields[source]:
            row += 1
            values = [
                sheet,
                f.column,
                f.what,
                f.why,
                f.how(),
                f.used_for[:1].upper() + f.used_for[1:],
            ]
            for j, value in enumerate(values, start=1):
                ws.cell(row=row, column=j, value=value).alignment = Alignment(
                    wrap_text=True, vertical="top"
                )
    for letter, width in zip("ABCDEF", (18, 26, 36, 52, 40, 28), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=top + 1, column=1)


def write_template(spec: ProgrammeSpec, path: str | Path) -> Path:
    """Write the provider's data return template (see the module) atomically; return its path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname

    path = Path(path)
    sheets = template_sheets(spec)
    fields = {source: requested_fields(spec, source) for source in sheets}
    book = Workbook()
    about = book.active
    about.title = _list_sheet_name(set(sheets.values()), ABOUT_SHEET)
    lists = book.create_sheet(_list_sheet_name({*sheets.values(), about.title}, LISTS_SHEET))
    lists.sheet_state = "hidden"
    next_list = 1
    for source, sheet in sheets.items():
        s = spec.sources[source]
        ws = book.create_sheet(sheet)
        header_row = s.header_row
        if header_row > 1:
            ws.cell(row=1, column=1, value=f"{spec.title}: {s.description or source}").font = Font(
                bold=True
            )
        if header_row > 2:
            ws.cell(row=2, column=1, value=f"One row per record from row {header_row + 1}.")
        first, last = header_row + 1, header_row + TEMPLATE_ROWS
        for j, f in enumerate(fields[source], start=1):
            letter = get_column_letter(j)
            ws.cell(row=header_row, column=j, value=f.column).font = Font(bold=True)
            ws.column_dimensions[letter].width = max(12, min(40, len(f.column) + 4))
            if f.rule.kind == "date":
                ws.column_dimensions[letter].number_format = _excel_date_format(f.rule.date_format)
            elif f.rule.kind in ("text", "category") and not f.labels:
                ws.column_dimensions[letter].number_format = "@"  # keep leading zeros
            list_range = None
            if f.labels:
                col = get_column_letter(next_list)
                for i, label in enumerate(f.labels, start=1):
                    lists.cell(row=i, column=next_list, value=label)
                list_range = f"{quote_sheetname(lists.title)}!${col}$1:${col}${len(f.labels)}"
                next_list += 1
            dv = _validation(f, list_range)
            dv.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(dv)
        ws.freeze_panes = ws.cell(row=first, column=1)
    _about(about, spec, fields, sheets, path.name)
    book.move_sheet(lists, offset=len(book.sheetnames) - 1 - book.sheetnames.index(lists.title))
    with atomic_path(path, suffix=".xlsx") as tmp:
        book.save(tmp)
    return path
