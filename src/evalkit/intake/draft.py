"""Draft a programme spec from a user's own export: the guesses behind ``evalkit init``.

A new user has a case-management export (a CSV, or a sheet of a workbook, perhaps with title rows
above the column names). :func:`survey` finds the data (:func:`choose_sheet`,
:func:`find_header_row`) and profiles each column (:func:`profile_column`: identifier, date and
its format, yes/no, number, category, free text or personal data). :func:`propose` turns the
profiles into evalkit roles, localities, characteristics and outcomes by their names and values,
and :func:`render` writes them as a commented YAML draft in which every guess carries a
``# CHECK:`` comment and everything evalkit cannot guess carries ``# DECIDE:`` (and a value that
:func:`evalkit.config.load_spec` refuses, so that ``evalkit validate`` fails until it is decided).

The one rule that is never bent: a date such as ``03/04/2024`` is not guessed. If every date in
the file has both parts at most 12, the format is left for the user to decide
(:func:`guess_date_format`).

Personal data and free text (names, emails, phone and NHS numbers, addresses, postcodes, dates of
birth, notes) are never mapped: the draft lists them as not carried into evalkit. Totals rows at
the foot of a sheet (:func:`find_footer_rows`) are not people: left out of the profiles and
proposed under ``exclude``, as are the labels of people who declined, withdrew or were not
eligible, who are never proposed as a comparison group.
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import datetime as dt
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from evalkit.config import DATE_FORMATS, ROLES, _undecided, find_root
from evalkit.config.spec import ONS_CODE
from evalkit.exceptions import ConfigError, DataError
from evalkit.intake.readers import read_table, sheet_names

__all__ = [
    "DECIDE",
    "MISSING_MARKERS",
    "ColumnProfile",
    "DateGuess",
    "Draft",
    "FooterRow",
    "Survey",
    "choose_sheet",
    "find_footer_rows",
    "find_header_row",
    "guess_date_format",
    "profile_column",
    "propose",
    "render",
    "survey",
    "undecided",
]

#: The value written where the user must decide; the spec models refuse it.
DECIDE = "DECIDE"
#: Values that mark a missing answer (compared case-insensitively). "Prefer not to say" is an
#: answer, not a missing value, and is kept as a category.
MISSING_MARKERS = (
    "",
    "n/a",
    "na",
    "n.a.",
    "#n/a",
    "not known",
    "unknown",
    "n/k",
    "nk",
    "not recorded",
    "-",
    "--",
    "?",
    "null",
)
#: The rows profiled (the whole file, up to this many rows).
SAMPLE_ROWS = 50_000
#: The rows looked at to find the header row and to compare sheets.
_SCAN_ROWS = 200
#: Age bands proposed for adults and for children.
ADULT_BANDS = (18, 25, 35, 50, 65)
CHILD_BANDS = (5, 11, 16)

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$")
_YMD_SLASH = re.compile(rf"^(\d{{4}})/(\d{{1,2}})/(\d{{1,2}}){_TIME}$")
_DMY = re.compile(rf"^(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$")
_MON = re.compile(rf"^(\d{{1,2}}) ([A-Za-z]{{3}}) (\d{{4}}){_TIME}$")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A UK phone number once spaces, dashes, dots and brackets are taken out: 0, or +44 (or 0044,
#: or +44 (0)), then a non-zero digit and 8 or 9 more (mobiles 07700 900123, landlines
#: 01632 960123, 020 7946 0958, +44 7700 900123, +44 (0)20 7946 0123).
_PHONE = re.compile(r"^(?:(?:\+|00)440?|0)[1-9]\d{8,9}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]+")
#: How the draft describes contact details and free text (never carried into evalkit).
PHONES = "personal contact details: phone numbers"
EMAILS = "personal contact details: email addresses"
FREE_TEXT = "free text that may hold personal details"

# -- names: the words that suggest a column's role ---------------------------------------------


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ID_STRONG = {"id", "ref", "reference", "urn", "uid", "identifier", "key"}
_ID_WEAK = {"number", "no", "num", "code"}
_PERSON = _set("client person individual participant customer user patient pupil case referral")
_HOUSEHOLD = {"household", "family", "hh"}
_LOCALITY = {  # word -> rank (lower is preferred: a locality before a team)
    "locality": 0,
    "la": 1,
    "lad": 1,
    "authority": 1,
    "council": 1,
    "borough": 1,
    "district": 1,
    "area": 2,
    "region": 2,
    "hub": 3,
    "patch": 3,
    "team": 3,
}
_GROUP_NAMES = {"group", "cohort", "arm", "allocation", "served", "participation", "treatment"}
#: Labels that plainly mean a comparison group: a waiting list, a control group, people not yet
#: started. Never a refusal (see :data:`_OPTED_OUT_LABELS`).
_COMPARISON_LABELS = re.compile(
    r"comparison|control|wait(ing)?[ -]?list|waitlist|awaiting|not yet (started|allocated|seen|"
    r"offered|begun)|deferred|usual care|business as usual"
)
#: Labels of people who self-selected out (declined, withdrew, did not engage) or were not
#: eligible. They are neither served nor a fair comparison: people who turn a service down
#: differ from those who take it up (selection bias; Shadish, Cook and Campbell 2002, ch. 2),
#: so the draft proposes to leave them out rather than count them in either group.
_OPTED_OUT_LABELS = re.compile(
    r"declin|refus|withdr|opted? out|dropped out|drop[ -]?out|disengag|did ?n[o']t (engage|attend"
    r"|take)|not (engaged|engaging|taken up|accepted|eligible|appropriate|suitable|interested)|"
    r"no engagement|non[ -]?engage|ineligible|inappropriate|unsuitable|unable to contact|"
    r"no contact|no response|\bdna\b|\bdne\b"
)
_PARTICIPANT_LABELS = re.compile(
    r"participant|served|supported|treated|intervention|programme|program|service|accepted|"
    r"engaged|enrolled|allocated|received|worked with|treatment"
)
_REFERRAL = {"referral", "referred", "referal"}
#: Words naming a column of where a referral stands ("Status", "Referral outcome").
_STATUS_WORDS = _set("status allocation referral outcome decision stage state")
_START = _set(
    "start started starting opened open commenced began allocated allocation engaged entry "
    "enrolled admission admitted intake"
)
_END = _set(
    "end ended closed close closure exit exited discharge discharged finish finished "
    "completed completion left"
)
#: Words that put a reading at the start or the end of support ("Safety rating at referral",
#: "... at close/follow-up"); the other words of the two names must then agree, fillers aside.
_BEFORE = {
    "before", "pre", "start", "baseline", "intake", "entry", "initial", "first", "t1",
    "referral",
}  # fmt: skip
_AFTER = {
    "after", "post", "end", "exit", "final", "last", "closure", "t2", "followup", "leaving",
    "close", "closed", "closing", "discharge", "discharged",
}  # fmt: skip
_FILLER = {"at", "on", "of", "the", "in", "case", "appointment", "support", "service"}
#: Words that make a yes/no column a circumstance at referral (a characteristic), not an outcome.
_BASELINE = {"referral", "referred", "prior", "previous", "previously", "known", "history", "ever"}
_CHARACTERISTIC = _set(
    "gender sex ethnic ethnicity race disability disabled religion faith belief sexual "
    "sexuality orientation language nationality tenure veteran carer marital pregnant age "
    "band leaver sen ehcp fsm"
)
#: Names of columns of free text, whatever a sample of them holds.
_FREE_TEXT = _set("notes note comments comment narrative description details summary remarks")
_OUTCOME_LIKE = {"outcome", "result", "reason", "destination", "status"}
_PERSONAL_WORDS = {
    "name": "names",
    "forename": "names",
    "forenames": "names",
    "surname": "names",
    "firstname": "names",
    "lastname": "names",
    "fullname": "names",
    "email": EMAILS,
    "mail": EMAILS,
    "phone": PHONES,
    "telephone": PHONES,
    "tel": PHONES,
    "mobile": PHONES,
    "nhs": "NHS numbers",
    "nino": "National Insurance numbers",
    "address": "addresses",
    "street": "addresses",
    "postcode": "postcodes",
    "dob": "dates of birth",
    "worker": "staff names",
    "caseworker": "staff names",
    "keyworker": "staff names",
    "staff": "staff names",
    "practitioner": "staff names",
    "officer": "staff names",
    "assessor": "staff names",
    "counsellor": "staff names",
    "therapist": "staff names",
    "birth": "dates of birth",
    "birthdate": "dates of birth",
}
#: Words that make a "... name" column a place or organisation, not a person's name.
_NOT_A_PERSON = {"team", "school", "organisation", "organization", "service", "provider"} | set(
    _LOCALITY
)
_SCALE_WORDS = {"score", "scale", "rating", "wellbeing", "wemwbs", "swemwbs", "star", "phq", "gad"}
_MONEY_WORDS = {"income", "debt", "debts", "arrears", "cost", "amount", "savings", "earnings"}
_LOWER_IS_BETTER = {"phq", "gad", "debt", "debts", "arrears", "anxiety", "depression", "distress"}
_KNOWN_RANGES = {"swemwbs": (7, 35), "wemwbs": (14, 70), "phq": (0, 27), "gad": (0, 21)}


def words(name: str) -> list[str]:
    """The lower-case words of a column name ("DateOpened", "date_opened" -> date, opened)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    found = re.findall(r"[a-z0-9]+", spaced.lower())
    joined = " ".join(found)
    for phrase, word in (
        ("e mail", "email"),
        ("post code", "postcode"),
        ("first name", "firstname"),
        ("last name", "lastname"),
        ("date of birth", "birthdate"),
        ("follow up", "followup"),
        ("national insurance", "nino"),
        ("local authority", "la"),
        ("service user", "user"),
    ):
        joined = joined.replace(phrase, word)
    return joined.split()


def humanise(name: str) -> str:
    """A column name as a label: "stable_housing" -> "Stable housing"."""
    text = re.sub(r"[_]+", " ", str(name)).strip()
    text = re.sub(r"\s+", " ", text)
    return text[:1].upper() + text[1:] if text else str(name)


def slug(text: str, *, fallback: str = "programme") -> str:
    """Lower-case letters, digits and hyphens: "Mid Devon" -> "mid-devon"."""
    out = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-")
    return out or fallback


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in MISSING_MARKERS)


# -- dates -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DateGuess:
    """The date format of some text values.

    ``format`` is a key of :data:`evalkit.config.DATE_FORMATS`, or None when evalkit cannot tell;
    then ``options`` lists, day first then month first, what an ambiguous date could be (a format
    evalkit does not read, such as ``mm-dd-yyyy``, is listed too: the user must know) and
    ``reason`` says why, naming an example value.
    """

    format: str | None
    options: tuple[str, ...] = ()
    example: str = ""
    reason: str = ""
    has_time: bool = False

    @property
    def ambiguous(self) -> bool:
        """True when the values fit more than one format and none can be ruled out."""
        return self.format is None and len(self.options) > 1


def date_style(value: str) -> tuple[str, int, int] | None:
    """How one text value writes a date: (style, first part, second part), or None.

    Styles: ``iso`` (2024-04-03), ``ymd/`` (2024/04/03), ``mon`` (3 Apr 2024) and, for day and
    month written either way round, ``d<sep><year digits>`` such as ``d/4`` for 03/04/2024.
    """
    text = value.strip()
    if m := _ISO.match(text):
        return "iso", int(m[2]), int(m[3])
    if m := _YMD_SLASH.match(text):
        return "ymd/", int(m[2]), int(m[3])
    if m := _DMY.match(text):
        return f"d{m[2]}{len(m[4])}", int(m[1]), int(m[3])
    if (m := _MON.match(text)) and m[2].lower() in _MONTHS:
        return "mon", int(m[1]), _MONTHS.index(m[2].lower()) + 1
    return None


#: Day-first and month-first formats of each d/m style (None: evalkit does not read it).
_DM_FORMATS: dict[str, tuple[str | None, str | None]] = {
    "d/4": ("dd/mm/yyyy", "mm/dd/yyyy"),
    "d/2": ("dd/mm/yy", None),
    "d-4": ("dd-mm-yyyy", None),
    "d-2": (None, None),
    "d.4": ("dd.mm.yyyy", None),
    "d.2": (None, None),
}
_FIXED_FORMATS = {"iso": "yyyy-mm-dd", "ymd/": "yyyy/mm/dd", "mon": "dd mon yyyy"}


def guess_date_format(values: Iterable[str]) -> DateGuess:
    """Guess the format of dates written as text; never guess between day-first and month-first.

    - ISO ``yyyy-mm-dd`` (and ``yyyy/mm/dd``, ``3 Apr 2024``) are unambiguous.
    - For ``03/04/2024``-like values: if any value's first part is over 12 the day comes first
      (``dd/mm/yyyy``); if any value's second part is over 12 the month comes first
      (``mm/dd/yyyy``); if every value has both parts at most 12 the format is ambiguous and
      ``format`` is None with both ``options``.
    - Values written in different styles, or one value day-first and another month-first, give
      None with no option: the user must decide (or correct the file).
    """
    styles: dict[str, list[tuple[str, int, int]]] = {}
    has_time = False
    for value in values:
        found = date_style(str(value))
        if found is None:
            continue
        has_time = has_time or bool(_HAS_TIME.search(str(value)))
        styles.setdefault(found[0], []).append((str(value).strip(), found[1], found[2]))
    if not styles:
        return DateGuess(None, reason="no value looks like a date")
    if len(styles) > 1:
        examples = " and ".join(repr(v[0][0]) for v in styles.values())
        return DateGuess(
            None,
            example=next(iter(styles.values()))[0][0],
            reason=f"dates are written in more than one way ({examples}); evalkit reads one "
            "format per file",
            has_time=has_time,
        )
    style, parsed = next(iter(styles.items()))
    if style in _FIXED_FORMATS:
        example = parsed[0][0]
        return DateGuess(
            _FIXED_FORMATS[style],
            example=example,
            reason=f"values such as {example!r} are unambiguous",
            has_time=has_time,
        )
    day_first, month_first = _DM_FORMATS[style]
    first_big = next((v for v in parsed if v[1] > 12), None)
    second_big = next((v for v in parsed if v[2] > 12), None)
    if first_big and second_big:
        return DateGuess(
            None,
            example=first_big[0],
            reason=f"{first_big[0]!r} has the day first but {second_big[0]!r} has the month first",
            has_time=has_time,
        )
    if first_big or second_big:
        evidence = (first_big or second_big)[0]  # type: ignore[index]
        fmt = day_first if first_big else month_first
        which = "day" if first_big else "month"
        if fmt is None:
            return DateGuess(
                None,
                example=evidence,
                reason=f"values such as {evidence!r} have the {which} first, written in a way "
                "evalkit does not read; re-export the dates as yyyy-mm-dd",
                has_time=has_time,
            )
        return DateGuess(
            fmt,
            example=evidence,
            reason=f"values such as {evidence!r} have the {which} first",
            has_time=has_time,
        )
    example = next((v[0] for v in parsed if v[1] != v[2]), parsed[0][0])
    sep, year = style[1], "yyyy" if style[2] == "4" else "yy"
    return DateGuess(
        None,
        options=(f"dd{sep}mm{sep}{year}", f"mm{sep}dd{sep}{year}"),
        example=example,
        reason=f"values such as {example!r} could be either: no day is over 12",
        has_time=has_time,
    )


def parse_date(value: Any, fmt: str | None) -> dt.date | None:
    """A cell as a date: a workbook date as it is, text by the format (None if it does not fit)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if fmt is None or not isinstance(value, str):
        return None
    text = re.sub(r"[ T]\d{1,2}:\d{2}.*$", "", value.strip())
    try:
        return dt.datetime.strptime(text, DATE_FORMATS[fmt]).date()
    except ValueError:
        return None


# -- columns ------------------------------------------------------------------------------------


@dataclasses.dataclass
class ColumnProfile:
    """What one column holds, from its values.

    ``kind`` is one of ``identifier``, ``date``, ``yesno``, ``number``, ``category``, ``text``
    (free text, or text with too many different values to be categories), ``personal`` (names,
    emails, phone and NHS numbers, addresses, postcodes, dates of birth) or ``empty``.
    """

    name: str
    kind: str
    detail: str = ""
    values: list[Any] = dataclasses.field(default_factory=list)
    labels: list[str] = dataclasses.field(default_factory=list)
    missing_found: list[str] = dataclasses.field(default_factory=list)
    numbers: list[float] = dataclasses.field(default_factory=list)
    date: DateGuess | None = None
    odd: list[str] = dataclasses.field(default_factory=list)
    unique_share: float = 0.0

    @property
    def words(self) -> list[str]:
        return words(self.name)

    @property
    def text_values(self) -> list[str]:
        return [v for v in self.values if isinstance(v, str)]


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").removeprefix("£"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


def _is_phone(text: str) -> bool:
    """Whether a value is a UK phone number (:data:`_PHONE`), written with or without spaces."""
    return 10 <= len(text) <= 24 and bool(_PHONE.match(_PHONE_SEPARATORS.sub("", text.strip())))


def _personal(name: str, values: list[str]) -> str | None:
    """What kind of personal data a column holds, by its name or its values, if any.

    By its values: at least half of them email addresses, UK phone numbers or postcodes, so a
    column named only "Contact No." is still known for what it holds.
    """
    found = words(name)
    if {"by"} & set(found) and set(found) & {"completed", "recorded", "entered", "seen", "done"}:
        return "staff names"
    for word in found:
        what = _PERSONAL_WORDS.get(word)
        if what == "names" and set(found) & _NOT_A_PERSON:
            continue
        if word == "mail" and "email" not in found and len(found) > 1:
            continue
        if what:
            return what
    if values:
        share = lambda pattern: sum(bool(pattern.match(v)) for v in values) / len(values)  # noqa: E731
        if share(_EMAIL) >= 0.5:
            return EMAILS
        if sum(map(_is_phone, values)) / len(values) >= 0.5:
            return PHONES
        if share(_POSTCODE) >= 0.5:
            return "postcodes"
    return None


def _identifier(name: str, unique_share: float) -> bool:
    """Whether a column is an identifier, by its name and how many of its values are unique.

    A name with an identifier word (id, ref, reference, urn...) or made only of words such as
    client, case or household; or a number or code of a person or household ("Client number").
    A person's identifier is mostly unique (people may have more than one row); a household's
    need not be.
    """
    found = set(words(name))
    if not found:
        return False
    household = bool(found & _HOUSEHOLD)
    strong = bool(found & _ID_STRONG) or found <= _PERSON | _HOUSEHOLD
    weak = bool(found & _ID_WEAK and found & (_PERSON | _HOUSEHOLD))
    if strong and household:
        return True
    if strong and found & _PERSON:
        return unique_share >= 0.5
    return (strong or weak) and unique_share >= 0.9


def profile_column(name: str, cells: Sequence[Any]) -> ColumnProfile:
    """Profile one column from its cells (text, or dates from a workbook; None when empty)."""
    missing_found: Counter[str] = Counter()
    values: list[Any] = []
    for cell in cells:
        if _is_missing(cell):
            if isinstance(cell, str):
                missing_found[cell.strip()] += 1
            continue
        values.append(cell.strip() if isinstance(cell, str) else cell)
    profile = ColumnProfile(name, "empty", missing_found=sorted(missing_found))
    if not values:
        profile.detail = "no values"
        return profile
    profile.values = values
    texts = [str(v) for v in values]
    counts = Counter(texts)
    profile.labels = [label for label, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    profile.unique_share = len(counts) / len(values)
    strings = [v for v in values if isinstance(v, str)]

    # A notes column first: "Caseworker Notes" is free text about a person, not a list of staff.
    if set(words(name)) & _FREE_TEXT:
        profile.kind, profile.detail = "text", FREE_TEXT
        return profile
    if what := _personal(name, strings):
        profile.kind, profile.detail = "personal", what
        return profile
    is_date = [isinstance(v, dt.date) or date_style(v) is not None for v in values]
    yes_no = {t.lower() for t in counts} <= _YES | _NO | {"0", "1"}
    if _identifier(name, profile.unique_share) and sum(is_date) < len(values) / 2 and not yes_no:
        profile.kind = "identifier"
        profile.detail = f"{len(counts)} different values in {len(values)} rows"
        return profile
    if sum(is_date) >= 0.9 * len(values):
        profile.kind = "date"
        profile.odd = sorted({str(v) for v, ok in zip(values, is_date, strict=True) if not ok})
        text_dates = [v for v, ok in zip(values, is_date, strict=True) if ok and isinstance(v, str)]
        profile.date = guess_date_format(text_dates) if text_dates else None
        if profile.date is None:
            profile.detail = "workbook date cells"
        else:
            profile.detail = profile.date.format or "format to decide"
        return profile
    if yes_no and (counts.keys() - {"0", "1"} or len(counts) == 2):
        profile.kind = "yesno"
        profile.detail = "/".join(profile.labels)
        return profile
    numbers = [_number(t) for t in texts]
    if all(n is not None for n in numbers):
        profile.kind = "number"
        profile.numbers = [n for n in numbers if n is not None]
        low, high = min(profile.numbers), max(profile.numbers)
        profile.detail = f"{low:g} to {high:g}"
        return profile
    mean_length = sum(map(len, texts)) / len(texts)
    if (
        len(counts) <= 20
        and mean_length <= 40
        and (len(counts) <= len(values) / 2 or len(values) < 10)
    ):
        profile.kind = "category"
        profile.detail = f"{len(counts)} values"
        return profile
    profile.kind = "text"
    profile.detail = FREE_TEXT if mean_length > 30 else f"{len(counts)} different values"
    return profile


# -- finding the data in a file -----------------------------------------------------------------


def _raw_rows(path: Path, sheet: str | None, limit: int = _SCAN_ROWS) -> list[list[Any]]:
    """The first rows of a CSV or a workbook sheet, cells as they are (None or text when empty)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from evalkit.intake.readers import open_workbook

        with open_workbook(path) as book:
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            return [list(r) for r in ws.iter_rows(max_row=limit, values_only=True)]
    if path.suffix.lower() in (".csv", ".txt"):
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return [row for _, row in zip(range(limit), csv.reader(fh), strict=False)]
        except (UnicodeDecodeError, csv.Error):
            return []  # read_table reports it, with the line
    return []


def _filled(row: Sequence[Any]) -> list[Any]:
    return [v for v in row if v is not None and str(v).strip() != ""]


@dataclasses.dataclass
class _SheetSize:
    """The filled cells, filled rows and widest row of a sheet's first :data:`_SCAN_ROWS` rows;
    ``more`` when the sheet goes on below them (then ``rows`` is not the sheet's size)."""

    cells: int
    rows: int
    width: int
    more: bool


def _plural(k: int, word: str) -> str:
    return f"{k:,} {word}" + ("" if k == 1 else "s")


def _sheet_sizes(path: Path) -> dict[str, _SheetSize]:
    sizes = {}
    for name in sheet_names(path):
        scanned = _raw_rows(path, name, _SCAN_ROWS + 1)  # one more: does the sheet go on?
        rows = [r for r in scanned[:_SCAN_ROWS] if _filled(r)]
        width = max((len(_filled(r)) for r in rows), default=0)
        more = len(scanned) > _SCAN_ROWS
        sizes[name] = _SheetSize(sum(len(_filled(r)) for r in rows), len(rows), width, more)
    return sizes


def _sheet_reason(sizes: dict[str, _SheetSize], best: str) -> str:
    """Why ``best`` was picked, with the size of each sheet: a sheet only partly read is said
    to be so ("at least 200 rows"), never given a count that is not its size."""

    def shape(n: str) -> str:
        size = sizes[n]
        rows = f"at least {size.rows:,} rows" if size.more else _plural(size.rows, "row")
        return f"{rows} x {_plural(size.width, 'column')}"

    others = [f"{n!r} ({shape(n)})" for n in sizes if n != best]
    reason = f"the sheet with the most data, {shape(best)}"
    if any(size.more for size in sizes.values()):
        reason += f" (sheets compared on their first {_SCAN_ROWS} rows)"
    if others:
        reason += f"; also in the workbook: {', '.join(others)}"
    return reason


def choose_sheet(path: str | Path) -> tuple[str, str]:
    """The sheet of a workbook that looks like data, and why it was picked.

    The sheet with the most filled cells in its first :data:`_SCAN_ROWS` rows wins: a cover
    sheet holds a few lines of text, a data sheet a row per person. A sheet longer than that is
    described as "at least 200 rows" (:func:`survey` then counts the rows of the sheet it reads).
    """
    sizes = _sheet_sizes(Path(path))
    best = max(sizes, key=lambda n: sizes[n].cells)  # max keeps the first of equals
    return best, _sheet_reason(sizes, best)


def _header_like(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return _number(text) is None and date_style(text) is None


def find_header_row(rows: Sequence[Sequence[Any]]) -> int:
    """The row (counted from 1) that holds the column names.

    The first row whose cells are mostly filled (at least 60% of the widest row near the top) with
    distinct text that is not a number or a date; title rows above it (a name, a date of export)
    fill a cell or two. Falls back to row 1.
    """
    widest = max((len(_filled(r)) for r in rows[:_SCAN_ROWS]), default=0)
    for i, row in enumerate(rows[:_SCAN_ROWS]):
        cells = _filled(row)
        if not cells or len(cells) < max(1, math.ceil(0.6 * widest)):
            continue
        texts = [str(c).strip().lower() for c in cells]
        if len(set(texts)) == len(texts) and sum(map(_header_like, cells)) >= 0.8 * len(cells):
            return i + 1
    return 1


#: A cell that labels a totals row: "Total", "TOTAL:", "Grand total", "Total referrals: 512",
#: "Subtotal", "All clients", "Count: 512".
_TOTAL = re.compile(
    r"^((grand|sub)[ -]?)?totals?\b|^all (clients|people|cases|referrals)\b|^(count|sum)\s*[:=]",
    re.IGNORECASE,
)
#: A cell that is just a totals label (looked for anywhere in a column, not only at the foot).
_TOTAL_LABEL = re.compile(r"^(grand )?totals?:?$|^all (clients|people|cases)$", re.IGNORECASE)
#: At most this many rows at the foot of a sheet are looked at as totals rows.
_FOOTER_ROWS = 5


@dataclasses.dataclass(frozen=True)
class FooterRow:
    """A row at the foot of a sheet that is not a record: ``row`` as the user sees it (counted
    from 1), ``column`` and ``label`` the cell that gives it away."""

    row: int
    column: str
    label: str


def _shape(text: str) -> str:
    """How a value is written, letters and digits aside: "DAO-20001" -> "A-9"."""
    return re.sub(r"[^\W\d_]+", "A", re.sub(r"\d+", "9", text.strip()))


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def find_footer_rows(df: Any, *, header_row: int = 1) -> list[FooterRow]:
    """The totals rows at the foot of a table (up to :data:`_FOOTER_ROWS`), top to bottom.

    Read upwards from the last row; a row is a totals row when

    - a cell is a totals label (:data:`_TOTAL`: "Total", "Grand total", "Total referrals: 512"),
    - or it fills at most a third as many cells as the median row and its first filled cell is
      text written unlike the rest of its column: 90% or more of the column's other values
      share one shape (letters as A, digits as 9: "DAO-20001" is "A-9") and this one does not.
      Both must hold digits ("40 referrals" under identifiers), so that a client's name is
      never taken for a totals row (and copied into the spec).

    The first row that is neither stops the search. ``df`` is the table as
    :func:`evalkit.intake.readers.read_table` gives it (index: the row under the header, from 0).
    """
    if len(df) < 2:
        return []
    typical = float(df.notna().sum(axis=1).median())
    found: list[FooterRow] = []
    for position in range(len(df) - 1, max(len(df) - 1 - _FOOTER_ROWS, 0), -1):
        values = zip(map(str, df.columns), df.iloc[position].tolist(), strict=True)
        cells = [(col, v) for col, v in values if not _is_blank(v)]
        if not cells:
            break
        row = header_row + 1 + int(df.index[position])
        total = next(
            (
                (col, v.strip())
                for col, v in cells
                if isinstance(v, str) and _TOTAL.match(v.strip())
            ),
            None,
        )
        if total is None and len(cells) <= typical / 3:
            col, value = cells[0]
            rest = [v for v in df[col].iloc[:position] if isinstance(v, str) and v.strip()]
            if isinstance(value, str) and len(rest) >= 5:
                common, n = Counter(map(_shape, rest)).most_common(1)[0]
                unlike = _shape(value) != common and "9" in common and "9" in _shape(value)
                if n >= 0.9 * len(rest) and unlike:
                    total = (col, value.strip())
        if total is None:
            break
        found.append(FooterRow(row, *total))
    return found[::-1]


@dataclasses.dataclass
class Survey:
    """Where the data are in a file and what each column holds.

    ``rows`` is the number of rows profiled: all the rows under the header (``total_rows``, not
    counting ``footer``, the totals rows at the foot of the sheet) up to :data:`SAMPLE_ROWS`.
    """

    path: Path
    sheet: str | None
    sheet_note: str
    header_row: int
    header_note: str
    rows: int
    columns: list[ColumnProfile]
    total_rows: int | None = None
    footer: list[FooterRow] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.total_rows is None:
            self.total_rows = self.rows

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    @property
    def rows_text(self) -> str:
        """The rows read, in words: "512 rows", or "the first 50,000 of 80,000 rows read to
        draft the spec" when only a sample was read."""
        if self.rows < (self.total_rows or 0):
            return f"the first {self.rows:,} of {self.total_rows:,} rows read to draft the spec"
        return _plural(self.rows, "row")

    @property
    def footer_text(self) -> str:
        """The totals rows in words ("" when there are none): "row 516 ('Total referrals: 512')
        is a totals row at the foot of the sheet, not a person: proposed under exclude"."""
        if not self.footer:
            return ""
        shown = ", ".join(f"{f.row} ({f.label!r})" for f in self.footer)
        if len(self.footer) == 1:
            return (
                f"row {shown} is a totals row at the foot of the sheet, not a person: proposed "
                "under exclude"
            )
        return (
            f"rows {shown} are totals rows at the foot of the sheet, not people: proposed under "
            "exclude"
        )


def survey(path: str | Path, *, sheet: str | None = None, header_row: int | None = None) -> Survey:
    """Find the data in a CSV or workbook (sheet and header row) and profile every column."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found; expected a CSV or Excel export")
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    if sheet is not None and not workbook:
        raise ConfigError(f"{path}: --sheet {sheet!r} given but the file is not a workbook (.xlsx)")
    sheet_note = ""
    sizes: dict[str, _SheetSize] = {}
    if workbook and sheet is None:
        sizes = _sheet_sizes(path)
        sheet = max(sizes, key=lambda n: sizes[n].cells)  # as choose_sheet
        sheet_note = _sheet_reason(sizes, sheet)
    elif workbook:
        if sheet not in sheet_names(path):
            raise DataError(
                f"{path}: no sheet named {sheet!r}; the workbook has "
                f"{', '.join(map(repr, sheet_names(path)))}"
            )
        sheet_note = "as given"
    if header_row is None:
        header_row = find_header_row(_raw_rows(path, sheet))
        header_note = (
            (
                "row 1 above it looks like a title"
                if header_row == 2
                else f"rows 1 to {header_row - 1} above it look like a title"
            )
            if header_row > 1
            else "the first row"
        )
    else:
        header_note = "as given"
    df = read_table(path, sheet=sheet, header_row=header_row)
    if df.empty:
        raise DataError(
            f"{path}: no data rows under the column names in row {header_row}; expected a row per "
            "person (pass --header-row if the column names are on another row)"
        )
    footer = find_footer_rows(df, header_row=header_row)
    df = df.iloc[: len(df) - len(footer)]
    if sheet is not None and sizes.get(sheet) and sizes[sheet].more:
        # The sheet was compared on its first rows only; now read whole, its size is known:
        # the filled rows above the header, the header and the rows under it.
        above = (
            sum(1 for r in _raw_rows(path, sheet, header_row - 1) if _filled(r))
            if header_row > 1
            else 0
        )
        whole = above + 1 + len(df) + len(footer)
        sizes[sheet] = dataclasses.replace(sizes[sheet], rows=whole, more=False)
        sheet_note = _sheet_reason(sizes, sheet)
    total = len(df)
    df = df.head(SAMPLE_ROWS)
    columns = [
        profile_column(str(name), [_as_cell(v) for v in df[name].tolist()]) for name in df.columns
    ]
    return Survey(path, sheet, sheet_note, header_row, header_note, len(df), columns, total, footer)


def _as_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp from parquet
        return value.to_pydatetime()
    return str(value)


# -- proposing roles ----------------------------------------------------------------------------


@dataclasses.dataclass
class Draft:
    """The proposed spec: every field with the note that says why (or what to decide)."""

    programme: str
    title: str
    file: str
    roles: dict[str, str] = dataclasses.field(default_factory=dict)
    role_notes: dict[str, str] = dataclasses.field(default_factory=dict)
    date: DateGuess | None = None
    missing: list[str] = dataclasses.field(default_factory=lambda: [""])
    recodes: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    groups: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    group_note: str = ""
    exclude: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    exclude_notes: dict[str, str] = dataclasses.field(default_factory=dict)
    localities: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    locality_note: str = ""
    period: dict[str, Any] = dataclasses.field(default_factory=dict)
    period_note: str = ""
    characteristics: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    outcomes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    comparison_group: bool = False
    uses: dict[str, str] = dataclasses.field(default_factory=dict)
    not_carried: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    unused: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def use(self, column: ColumnProfile, what: str) -> None:
        """Claim a column for ``what`` (a role, an outcome, a characteristic)."""
        self.uses[column.name] = what

    def assign(self, role: str, column: ColumnProfile, note: str) -> None:
        """Map a role of the people source to a column."""
        self.roles[role] = column.name
        self.role_notes[role] = note
        self.use(column, role)

    def leave_out(self, column: ColumnProfile, why: str) -> None:
        """A column not carried into evalkit (personal data, free text, other identifiers)."""
        self.not_carried.append((column.name, why))
        self.use(column, f"not carried ({why})")

    def leave_rows(self, column: str, labels: list[str], why: str) -> None:
        """Propose rows with these labels in ``column`` for exclude, saying why."""
        have = self.exclude.setdefault(column, [])
        have.extend(label for label in labels if label not in have)
        self.exclude_notes[column] = "; ".join(
            filter(None, [self.exclude_notes.get(column, ""), why])
        )

    def skip(self, column: ColumnProfile, why: str) -> None:
        """A column evalkit could use but the draft does not."""
        self.unused.append((column.name, why))
        self.use(column, "not used")

    def free(self, found: Survey) -> list[ColumnProfile]:
        """The columns not yet claimed, in the file's order."""
        return [c for c in found.columns if c.name not in self.uses]


def _locality_codes(values: list[str]) -> list[tuple[str, str]]:
    """A code for each locality value: ONS codes as they are, known names by their ONS code,
    anything else as a short slug."""
    from evalkit.reference import known_locality_name, localities

    by_name = {str(n).lower(): str(c) for c, n in localities()[["code", "name"]].itertuples(False)}
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    seen: set[str] = set()
    for value in sorted(values, key=str.lower):
        key = " ".join(value.casefold().split())
        if key in seen:  # "NORTH HUB" is "North Hub": evalkit matches names whatever the case
            continue
        seen.add(key)
        if ONS_CODE.match(value):
            # An ONS code evalkit does not know (a district): the code stands in for the name.
            code, name = value, known_locality_name(value) or value
        else:
            code, name = by_name.get(value.lower()) or slug(value, fallback="area"), value
        base, n = code, 2
        while code in taken:
            code, n = f"{base}-{n}", n + 1
        taken.add(code)
        out.append((code, name))
    return out


_NEGATED = re.compile(r"\b(not|no|non|never)\b|n't\b")


def _group_labels(profile: ColumnProfile) -> dict[str, list[str]]:
    """The labels of a status or group column sorted four ways.

    ``opted_out``: declined, withdrew, did not engage, not eligible (:data:`_OPTED_OUT_LABELS`),
    looked for first, so that "Not engaged" is never taken for "engaged"; ``comparison``: only
    labels that plainly mean a comparison or waiting list (:data:`_COMPARISON_LABELS`);
    ``participant``: served, allocated, supported... and not negated ("Not served" is not);
    ``other``: the rest.
    """
    sides: dict[str, list[str]] = {
        k: [] for k in ("participant", "comparison", "opted_out", "other")
    }
    for label in profile.labels:
        text = " ".join(label.lower().split())
        if _OPTED_OUT_LABELS.search(text):
            sides["opted_out"].append(label)
        elif _COMPARISON_LABELS.search(text):
            sides["comparison"].append(label)
        elif _PARTICIPANT_LABELS.search(text) and not _NEGATED.search(text):
            sides["participant"].append(label)
        else:
            sides["other"].append(label)
    return sides


def _stem(profile: ColumnProfile) -> tuple[str | None, tuple[str, ...]]:
    """("before" | "after" | None, the name's other words): "Housed at end" -> after, (housed,)."""
    found = profile.words
    side = None
    if set(found) & _AFTER:
        side = "after"
    elif set(found) & _BEFORE:
        side = "before"
    rest = tuple(w for w in found if w not in _AFTER | _BEFORE | _FILLER)
    return side, rest


def _yes_label(profile: ColumnProfile) -> str:
    return next((label for label in profile.labels if label.lower() in _YES | {"1"}), "1")


_OPPOSITE = {
    **{"yes": "no", "y": "n", "true": "false", "1": "0"},
    **{"no": "yes", "n": "y", "false": "true", "0": "1"},
}


def _same_case(template: str, word: str) -> str:
    if template.isupper():
        return word.upper()
    return word.capitalize() if template[:1].isupper() else word


def _recode(profile: ColumnProfile) -> dict[str, int]:
    """Yes/no labels as 1/0, with the opposite of each label too (it may be absent from the
    sample: a column of all "Yes" still needs "No": 0). Empty for a column already 1/0."""
    if {label.lower() for label in profile.labels} <= {"0", "1"}:
        return {}
    found: dict[str, int] = {}
    for label in profile.labels:
        for text in (label, _same_case(label, _OPPOSITE[label.lower()])):
            found.setdefault(text, 1 if text.lower() in _YES | {"1"} else 0)
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def _numeric_outcome(name: str, before: ColumnProfile, after: ColumnProfile) -> dict[str, Any]:
    found = set(before.words) | set(after.words)
    numbers = before.numbers + after.numbers
    outcome: dict[str, Any] = {"name": name}
    lower = found & _LOWER_IS_BETTER
    if found & _MONEY_WORDS:
        outcome.update(kind="money", unit="pounds")
    elif found & _SCALE_WORDS or not all(n >= 0 and float(n).is_integer() for n in numbers):
        known = next((r for w, r in _KNOWN_RANGES.items() if w in found), None)
        low, high = known or (math.floor(min(numbers)), math.ceil(max(numbers)))
        if low == high:
            high = low + 1
        outcome.update(kind="scale", range=[low, high])
        outcome["range_note"] = (
            f"the range of the {next(w for w in _KNOWN_RANGES if w in found).upper()} scale"
            if known
            else f"the lowest and highest scores possible; the file has {min(numbers):g} to "
            f"{max(numbers):g}"
        )
    else:
        outcome.update(kind="count")
    if lower:
        outcome["polarity"] = "lower_is_better"
    return outcome


def _pick(candidates: list[ColumnProfile], rank: Any) -> ColumnProfile | None:
    return min(candidates, key=rank) if candidates else None


def propose(found: Survey, *, spec_path: Path, date_format: str | None = None) -> Draft:
    """Propose roles, localities, characteristics, outcomes and the period from a survey.

    Each column is claimed once, in this order: personal data and free text (not carried),
    identifiers, the locality, the served/not served group, dates, outcomes, characteristics.
    ``date_format`` settles the format of text dates when the user has decided it (``evalkit init
    --date-format``); otherwise it is guessed from all the date columns together.
    """
    stem = found.path.stem
    draft = Draft(
        programme=slug(stem),
        title=humanise(re.sub(r"[-_]+", " ", stem))[:200],
        file=_relative_file(found.path, spec_path),
    )
    for c in found.columns:
        if c.kind == "personal" or (c.kind == "text" and c.detail == FREE_TEXT):
            draft.leave_out(c, c.detail)
    _propose_totals_row(draft, found)
    _propose_identifiers(draft, found)
    _propose_locality(draft, found)
    _propose_group(draft, found)
    _propose_dates(draft, found, date_format)
    _propose_outcomes(draft, found)
    _propose_characteristics(draft, found)
    for c in draft.free(found):
        if c.kind == "text":
            draft.leave_out(c, c.detail)
        else:
            draft.skip(c, "empty in the file" if c.kind == "empty" else f"{c.kind}: {c.detail}")
    carried = [c for c in found.columns if c.name not in dict(draft.not_carried)]
    markers = {m for c in carried for m in c.missing_found} - {""}
    draft.missing = ["", *sorted(markers)]
    _propose_period(draft, found)
    return draft


def _propose_totals_row(draft: Draft, found: Survey) -> None:
    """Totals rows proposed for exclude: those found at the foot of the sheet
    (:func:`find_footer_rows`, already left out of the profiles), then any other row labelled
    just "Total" in some column (a subtotal between the rows)."""
    for row in found.footer:
        draft.leave_rows(
            row.column,
            [row.label],
            f"row {row.row} ({row.label!r}) is a totals row at the foot of the sheet, not a "
            "person: left out (a label holding a count changes with each export: check it)",
        )
    if found.footer:
        return
    for c in found.columns:
        labels = sorted({v.strip() for v in c.text_values if _TOTAL_LABEL.match(v.strip())})
        if labels:
            draft.leave_rows(c.name, labels, "a totals row, not a person: left out")
            return


#: Why labels of people who opted out are proposed for exclude (comment in the draft).
OPTED_OUT_NOTE = (
    "people who declined, withdrew, did not engage or were not eligible: left out, as they are "
    "neither served nor a fair comparison (those who opt out differ from those who take part, "
    "so counting them as the comparison would bias the impact estimate); if they began "
    "support before leaving, they were served: count them as served instead"
)


def _propose_identifiers(draft: Draft, found: Survey) -> None:
    """person_id and household_id; any other identifier is left out."""
    ids = [c for c in draft.free(found) if c.kind == "identifier"]
    household = _pick([c for c in ids if set(c.words) & _HOUSEHOLD], lambda c: -c.unique_share)
    person = _pick(
        [c for c in ids if c is not household],
        lambda c: (
            not set(c.words) & (_PERSON - {"case", "referral"}),  # client, person... first
            "referral" in c.words,  # a referral's number last
            -c.unique_share,
        ),
    )
    for role, c in (("person_id", person), ("household_id", household)):
        if c is not None:
            draft.assign(role, c, f"an identifier: {c.detail}")
    for c in ids:
        if c.name not in draft.uses:
            draft.leave_out(c, "another identifier")


def _propose_locality(draft: Draft, found: Survey) -> None:
    """The locality column (ONS codes first, then by name) and its values as localities."""

    def rank(c: ColumnProfile) -> tuple[bool, int]:
        codes = all(ONS_CODE.match(v) for v in c.labels)
        return (not codes, min(_LOCALITY[w] for w in c.words if w in _LOCALITY))

    place = _pick(
        [
            c
            for c in draft.free(found)
            if c.kind in ("category", "text") and set(c.words) & set(_LOCALITY)
        ],
        rank,
    )
    if place is None:
        return
    draft.assign("locality", place, f"{len(place.labels)} different values, under localities")
    draft.localities = _locality_codes(place.labels)
    draft.locality_note = (
        f"the values of {place.name!r}, each with a short code; a code may be changed (to an "
        "ONS code such as E07000041), a name must stay as the file writes it"
    )


def _propose_group(draft: Draft, found: Survey) -> None:
    """A column whose few labels say who was served and who was eligible but not served."""
    for c in draft.free(found):
        if c.kind not in ("category", "yesno") or len(c.labels) > 10:
            continue
        named = bool(set(c.words) & _GROUP_NAMES)
        sides = _group_labels(c)
        if c.kind == "yesno":  # only when named like a group: "Served: Yes/No"
            yes = [label for label in c.labels if label.lower() in _YES | {"1"}] if named else []
            no = [x for x in c.labels if x not in yes]
            sides = {"participant": yes, "comparison": no, "opted_out": [], "other": []}
        participant, comparison = sides["participant"], sides["comparison"]
        opted_out, other = sides["opted_out"], sides["other"]
        # Named like a group: a participant label is enough. Otherwise both sides must be
        # there ("Allocated", "Waiting list"), with any number of labels of people who opted
        # out or were not eligible, and at most one other label: all proposed to leave out.
        if participant and (named or comparison) and len(other) <= 1:
            draft.assign("group", c, "who was served and who was not")
            draft.groups = {"participant": participant} | (
                {"comparison": comparison} if comparison else {}
            )
            draft.group_note = (
                "the labels of people served (participant) and of a waiting list or comparison "
                "group (comparison)"
            )
            if opted_out:
                draft.leave_rows(c.name, opted_out, OPTED_OUT_NOTE)
            if other:
                draft.leave_rows(
                    c.name,
                    other,
                    f"{', '.join(map(repr, other))}: neither plainly served nor plainly a "
                    "comparison: left out; if they were served or are a fair comparison, move "
                    "the label under groups instead",
                )
            return
        if participant and opted_out and len(other) <= 1 and set(c.words) & _STATUS_WORDS:
            # A status column with no comparison: the people who opted out must not be
            # counted as served (with no group column, every row is).
            draft.leave_rows(c.name, opted_out, OPTED_OUT_NOTE)
            return


def _propose_dates(draft: Draft, found: Survey, date_format: str | None) -> None:
    """Referral, start and end dates by name (a lone date column is the start), and the format."""
    dates = [c for c in draft.free(found) if c.kind == "date"]
    for c in dates:
        role = _date_role(c)
        if role and role not in draft.roles:
            draft.assign(role, c, f"a date named like the {role.replace('_', ' ')}" + _odd(c))
    if len(dates) == 1 and not draft.roles.keys() & {"start_date", "referral_date", "end_date"}:
        draft.assign("start_date", dates[0], "the only date column" + _odd(dates[0]))
    for c in dates:
        if c.name not in draft.uses:
            draft.skip(c, "a date evalkit does not need")
    used = [found.column(name) for role, name in draft.roles.items() if role.endswith("_date")]
    draft.date = _source_date_guess(used, date_format)


def _odd(column: ColumnProfile) -> str:
    """What to say about values of a date column that are not dates ("Ongoing", "TBC")."""
    if not column.odd:
        return ""
    shown = ", ".join(map(repr, column.odd[:3])) + (" ..." if len(column.odd) > 3 else "")
    return f"; not dates: {shown} - add to missing or correct them in the file"


def _propose_outcomes(draft: Draft, found: Survey) -> None:
    """Yes/no columns as binary outcomes; before/after pairs of yes/no or numbers."""
    personal_words = _CHARACTERISTIC - {"age", "band"}
    candidates = [
        c
        for c in draft.free(found)
        if (c.kind == "yesno" and not set(c.words) & (personal_words | _BASELINE))
        or (c.kind == "number" and not {"age", "aged"} & set(c.words))
    ]
    stems = {c.name: _stem(c) for c in candidates}
    for after in candidates:
        side, rest = stems[after.name]
        if side == "before" or after.name in draft.uses:
            continue
        before = next(
            (
                c
                for c in candidates
                if rest and stems[c.name] == ("before", rest) and c.kind == after.kind
            ),
            None,
        )
        if after.kind == "number" and before is None:
            continue
        name = humanise(" ".join(rest)) if side == "after" and rest else humanise(after.name)
        if after.kind == "yesno":
            outcome: dict[str, Any] = {"name": name, "kind": "binary"}
            outcome["definition"] = f'People with "{_yes_label(after)}" in {after.name}' + (
                f" at the end of support, against {before.name} at the start" if before else ""
            )
            for c in (before, after):
                if c is not None and _recode(c):
                    draft.recodes[c.name] = _recode(c)
        else:
            assert before is not None
            outcome = _numeric_outcome(name, before, after)
            outcome["definition"] = (
                f"{name} at the start ({before.name}) and the end ({after.name}) of support"
            )
        if before is not None:
            outcome["before"] = before.name
            draft.use(before, f"outcome {name!r} (before)")
        outcome["after"] = after.name
        draft.use(after, f"outcome {name!r}" + (" (after)" if before else ""))
        draft.outcomes.append(outcome)
    for c in candidates:
        if c.name not in draft.uses and c.kind == "yesno" and stems[c.name][0] == "before":
            continue  # a circumstance at the start, with no 'after': left for characteristics
        if c.name not in draft.uses:
            draft.skip(
                c,
                "a 'before' column with no matching 'after' column"
                if stems[c.name][0] == "before"
                else "a number: an outcome if paired with a 'before' column, or a characteristic "
                "(bands)",
            )
    names = [o["name"] for o in draft.outcomes]
    for o in draft.outcomes:
        if names.count(o["name"]) > 1:
            o["name"] = f"{o['name']} ({o['after']})"
    draft.comparison_group = bool(draft.groups.get("comparison")) and any(
        "before" in o for o in draft.outcomes
    )


def _propose_characteristics(draft: Draft, found: Survey) -> None:
    """Age in bands; categories (gender, ethnic group, disability...) as the file labels them."""
    for c in draft.free(found):
        found_words = set(c.words)
        if c.kind == "number" and {"age", "aged"} & found_words:
            cuts = ADULT_BANDS if max(c.numbers) > 18 else CHILD_BANDS
            inside = [b for b in cuts if min(c.numbers) < b <= max(c.numbers)] or [cuts[0]]
            draft.characteristics.append(
                {"name": humanise(c.name), "column": c.name, "bands": inside}
            )
            draft.use(c, "characteristic (bands)")
        elif c.kind in ("category", "yesno"):
            if found_words & _OUTCOME_LIKE and not found_words & _CHARACTERISTIC:
                draft.skip(
                    c, "categories that may be an outcome: recode its labels to 1/0 to use it"
                )
                continue
            draft.characteristics.append(
                {"name": humanise(c.name), "column": c.name, "categories": c.labels}
            )
            draft.use(c, "characteristic")


def _date_role(profile: ColumnProfile) -> str | None:
    found = set(profile.words)
    if "first" in found and found & {"session", "appointment", "contact", "visit", "meeting"}:
        return "start_date"  # "First session": when support began
    if found & _REFERRAL and not found & _START:
        return "referral_date"
    if found & _START:
        return "start_date"
    if found & _END:
        return "end_date"
    return None


def _source_date_guess(dates: list[ColumnProfile], decided: str | None) -> DateGuess | None:
    """One format for all the date columns of the source (evalkit reads one per file)."""
    texts = [v for c in dates for v in c.text_values]
    if decided is not None:
        return DateGuess(decided, reason="as given with --date-format")
    if not texts:
        return None
    guess = guess_date_format(texts)
    if guess.format is not None:
        owner = next((c.name for c in dates if guess.example in c.text_values), "")
        where = f", in the column {owner!r}" if owner and len(dates) > 1 else ""
        return dataclasses.replace(guess, reason=guess.reason + where)
    return guess


def _propose_period(draft: Draft, found: Survey) -> None:
    column = draft.roles.get("start_date")
    if column is None:
        draft.period_note = "no start date column found: give the period the report covers"
        return
    profile = found.column(column)
    fmt = draft.date.format if draft.date else None
    options = (
        [fmt] if fmt or draft.date is None else [o for o in draft.date.options if o in DATE_FORMATS]
    )
    spans = {}
    for option in options:
        parsed = [d for d in (parse_date(v, option) for v in profile.values) if d is not None]
        if parsed:
            first, last = min(parsed), max(parsed)
            start = first.replace(day=1)
            end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
            spans[option] = (first, last, start, end)
    same = len({s[2:] for s in spans.values()}) == 1 and len(spans) == len(options)
    if same:
        first, last, start, end = next(iter(spans.values()))
        draft.period = {
            "label": f"{start:%B %Y} to {end:%B %Y}",
            "start": start,
            "end": end,
            "select": "started",
        }
        draft.period_note = (
            f"whole months around the start dates in the file, {first.day} {first:%B %Y} to "
            f"{last.day} {last:%B %Y}; set the period the report is for"
        )
        if len(options) > 1:
            draft.period_note += " (the same whichever way round the dates are read)"
        return
    described = "; ".join(
        f"with {o}: {s[2]:%B %Y} to {s[3]:%B %Y} (start {s[2].isoformat()}, end {s[3].isoformat()})"
        for o, s in spans.items()
    )
    draft.period_note = (
        f"the period depends on the date format: {described}"
        if described
        else "give the period the report covers (the start dates could not be read)"
    )


def _relative_file(path: Path, spec_path: Path) -> str:
    """The data file as the spec should name it: relative to the project folder when inside it."""
    root = find_root(spec_path)
    target = path.resolve()
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        return os.fspath(target)


# -- writing the draft --------------------------------------------------------------------------


def _y(value: Any) -> str:
    """A value as YAML in one line (quoted when it must be, so it reads back the same)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=1_000_000, sort_keys=False
    )
    text = text.removesuffix("\n...\n").strip()
    if "\n" in text:  # a value with a line break: JSON is YAML on one line
        return json.dumps(value, ensure_ascii=False, default=str)
    return text


class _Lines:
    """YAML lines with comments aligned after the values."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def add(self, text: str, comment: str = "") -> None:
        self.rows.append((text, comment))

    def note(self, comment: str, indent: int = 0) -> None:
        self.rows.append(((" " * indent + "# " + comment).rstrip(), ""))

    def text(self) -> str:
        column = 44
        out = []
        for text, comment in self.rows:
            text, comment = text.replace("\n", " ").replace("\r", " "), " ".join(comment.split())
            if comment:
                pad = max(column - len(text), 2)
                out.append(f"{text}{' ' * pad}# {comment}")
            else:
                out.append(text)
        return "\n".join(out) + "\n"


def _kind_text(c: ColumnProfile, draft: Draft) -> str:
    if c.kind == "date" and c.date is not None and c.name in draft.roles.values() and draft.date:
        return f"date ({draft.date.format or 'format to decide'})"  # one format per source
    if c.kind in ("date", "number"):
        return f"{c.kind} ({c.detail})"
    if c.kind == "yesno":
        return f"yes/no ({c.detail})"
    if c.kind == "category":
        return f"category ({c.detail})"
    if c.kind == "personal" and c.detail.startswith("personal"):
        return c.detail  # "personal contact details: phone numbers"
    return {"personal": f"personal data ({c.detail})", "text": c.detail}.get(c.kind, c.kind)


def column_summary(found: Survey, draft: Draft) -> list[tuple[str, str, str]]:
    """(column, what it holds, what the draft does with it), in the file's order."""
    return [
        (c.name, _kind_text(c, draft), draft.uses.get(c.name, "not used")) for c in found.columns
    ]


def render(draft: Draft, found: Survey, *, command: str = "evalkit init") -> str:
    """The draft spec as commented YAML: ``# CHECK:`` on every guess, ``# DECIDE:`` where the
    user must answer (those values make :func:`evalkit.config.load_spec` fail until answered)."""
    y = _Lines()
    where = found.path.name + (f", sheet {found.sheet!r}" if found.sheet else "")
    y.note(f"DRAFT programme spec written by `{command}` from {where}.")
    y.note("evalkit guessed what each column means from its name and values. Before using it:")
    y.note(
        "  CHECK  marks a guess: confirm it or correct it (then delete the comment if you like);"
    )
    y.note("  DECIDE marks what evalkit cannot tell: write your answer in place of DECIDE.")
    y.note("`evalkit validate SPEC` fails until every DECIDE is answered. The demo spec")
    y.note("(evalkit demo) is a complete example.")
    y.note("")
    y.note(f"Columns found (header row {found.header_row}, {found.rows_text}):")
    summary = column_summary(found, draft)
    width = max((len(n) for n, _, _ in summary), default=0)
    kinds = max((len(k) for _, k, _ in summary), default=0)
    for name, kind, use in summary:
        y.note(f"  {name:<{width}}  {kind:<{kinds}}  -> {use}")
    if found.footer:
        y.note(found.footer_text[:1].upper() + found.footer_text[1:] + ".")
    if draft.not_carried:
        y.note("")
        y.note("Not carried into evalkit (data minimisation: only the columns mapped below are")
        y.note("read; keep personal data and free text out of reports):")
        for name, why in draft.not_carried:
            y.note(f"  {name} ({why})")
    y.add("")
    y.add(f"programme: {_y(draft.programme)}", "CHECK: a short name: lower-case letters, digits, -")
    y.add(f"title: {_y(draft.title)}", "CHECK: the programme's name as reports show it")
    y.note("description: a sentence or two about the service (optional)")
    y.note("commissioner: who commissions it (optional)")

    # reporting period
    y.add("reporting_period:")
    if draft.period:
        p = draft.period
        y.note(f"CHECK: {draft.period_note}", 2)
        y.add(f"  label: {_y(p['label'])}", "CHECK")
        y.add(f"  start: {p['start'].isoformat()}", "CHECK")
        y.add(f"  end: {p['end'].isoformat()}", "CHECK")
    else:
        y.note(f"DECIDE: {draft.period_note}", 2)
        y.add(f"  label: {DECIDE}", "DECIDE: such as April 2024 to March 2025")
        y.add(f"  start: {DECIDE}", "DECIDE: the first day, written yyyy-mm-dd")
        y.add(f"  end: {DECIDE}", "DECIDE: the last day, written yyyy-mm-dd")
    y.add("  select: started", "people who started support in the period")

    # localities
    if draft.localities:
        y.add("localities:", f"CHECK: {draft.locality_note}")
        for code, name in draft.localities:
            y.add(
                f"  {_y(code)}: {_y(name)}",
                "CHECK: write the area's name" if code == name else "CHECK",
            )
    else:
        y.add("localities:", "DECIDE: no column names a locality (area, district, team...)")
        y.add(
            f"  {DECIDE}: {DECIDE}",
            "DECIDE: the area's code and name, such as E07000041: Exeter (or a short code of "
            "your own); list one per area if a column holds them",
        )

    # the people source
    y.add("sources:")
    y.add("  people:")
    y.add("    kind: people", "one row per person")
    y.add(f"    file: {_y(draft.file)}", "relative to the project folder")
    if found.sheet is not None:
        given = found.sheet_note == "as given"
        why = "as given" if given else f"CHECK: picked: {found.sheet_note}"
        y.add(f"    sheet: {_y(found.sheet)}", why)
    if found.header_row != 1:
        why = "as given" if found.header_note == "as given" else f"CHECK: {found.header_note}"
        y.add(f"    header_row: {found.header_row}", why)
    if "locality" not in draft.roles:
        y.add(
            f"    locality: {DECIDE}",
            "DECIDE: the code (as under localities) of the one area every row belongs to; or "
            "delete this line and map a column as the locality role under columns",
        )
    _render_date_format(y, draft)
    y.add(f"    missing: {_y(draft.missing)}", "CHECK: markers of a missing value in the file")
    if draft.roles:
        y.add("    columns:")
    else:
        y.add("    columns: {}", "DECIDE: map the roles below (and remove {})")
    for role, (required, what) in ROLES["people"].items():
        if role in draft.roles:
            y.add(f"      {role}: {_y(draft.roles[role])}", f"CHECK: {draft.role_notes[role]}")
        elif required and role != "locality":
            y.note(f"DECIDE: {role}: <the column holding {what}> (none found)", 6)
    if draft.groups:
        y.add(f"    groups: {_y(draft.groups)}", f"CHECK: {draft.group_note}")
    if draft.recodes:
        y.add("    recodes:", "CHECK: how the yes/no labels count (1 = yes)")
        for column, mapping in draft.recodes.items():
            y.add(f"      {_y(column)}: {_y(mapping)}", "CHECK")
    if draft.exclude:
        y.add("    exclude:", "CHECK: rows left out, by a label in a column")
        for column, labels in draft.exclude.items():
            y.add(f"      {_y(column)}: {_y(labels)}", f"CHECK: {draft.exclude_notes[column]}")

    # characteristics
    if draft.characteristics:
        y.add("characteristics:", "CHECK: for the reach and equity tables; remove any not wanted")
        for ch in draft.characteristics:
            y.add(f"  - name: {_y(ch['name'])}", "CHECK")
            y.add(f"    column: {_y(ch['column'])}")
            if "bands" in ch:
                y.add(f"    bands: {_y(ch['bands'])}", "CHECK: the cut points of the age bands")
            else:
                y.add(f"    categories: {_y(ch['categories'])}", "CHECK: as found in the file")
    else:
        y.note("characteristics: none found (such as gender, ethnic group, age)")

    # outcomes
    if draft.outcomes:
        y.add("outcomes:")
        for o in draft.outcomes:
            y.add(f"  - name: {_y(o['name'])}", "CHECK")
            y.add(
                f"    definition: {_y(o['definition'])}",
                "CHECK: say in plain English what it means and when it is recorded",
            )
            y.add(f"    kind: {o['kind']}", "CHECK")
            if "before" in o:
                y.add(f"    before: {_y(o['before'])}", "CHECK: the reading at the start")
            y.add(f"    after: {_y(o['after'])}", "CHECK: the reading at the end")
            if "range" in o:
                y.add(f"    range: {_y(o['range'])}", f"CHECK: {o['range_note']}")
            if "unit" in o:
                y.add(f"    unit: {_y(o['unit'])}")
            if "polarity" in o:
                y.add(f"    polarity: {o['polarity']}", "CHECK: a lower value is better")
            if o["kind"] == "binary":
                y.note("target: 0.7  (optional: the share the service aims for)", 4)
    else:
        y.note("outcomes: none found; see the demo spec for binary, scale and count outcomes")

    y.add("designs:")
    y.add("  before_after: true", "change for the people served (never impact on its own)")
    if draft.comparison_group:
        y.add(
            "  comparison_group: true",
            "CHECK: difference-in-differences against the comparison group",
        )
    else:
        why = (
            "no outcome has a before column"
            if draft.groups.get("comparison")
            else "no group column with a label for people not served"
        )
        y.add("  comparison_group: false", f"needs a comparison group and a before column: {why}")
    if draft.unused:
        y.note("")
        y.note("Columns not used (add them if they matter):")
        for name, why in draft.unused:
            y.note(f"  {name}: {why}")
    y.note("")
    y.note("reports: left out, so evalkit writes the default programme report.")
    y.add("disclosure:")
    y.add(
        "  policy: nhs",
        "CHECK: the small-number policy for published tables (nhs, dfe, ons_10_5, ofqual)",
    )
    return y.text()


def undecided(text: str) -> list[str]:
    """The fields of a written draft still marked DECIDE, as ``evalkit validate`` lists them
    (:func:`evalkit.config.load_spec`): what ``evalkit init`` counts, from the text it wrote."""
    return _undecided(yaml.safe_load(text))


def _render_date_format(y: _Lines, draft: Draft) -> None:
    guess = draft.date
    if guess is None:
        y.add("    date_format: yyyy-mm-dd", "the dates are workbook date cells, read as they are")
        return
    if guess.format is not None:
        comment = f"CHECK: {guess.reason}"
        if guess.has_time:
            comment += "; the values carry a time, which evalkit does not read: export dates only"
        y.add(f"    date_format: {guess.format}", comment)
        return
    if guess.ambiguous:
        first, second = guess.options
        ask = f"{first} or {second}? values such as {guess.example} could be either"
        y.add(f"    date_format: {DECIDE}", f"DECIDE: {ask}")
        unread = [o for o in guess.options if o not in DATE_FORMATS]
        if unread:
            y.note(
                f"evalkit does not read {' or '.join(unread)}: if so, re-export the dates as "
                "yyyy-mm-dd",
                4,
            )
        if first in DATE_FORMATS:
            then = "" if draft.period else " to fill in the period too"
            y.note(f"(or run evalkit init again with --date-format {first} --force{then})", 4)
        return
    y.add(f"    date_format: {DECIDE}", f"DECIDE: {guess.reason}")
    y.note(f"one of: {', '.join(DATE_FORMATS)}", 4)
