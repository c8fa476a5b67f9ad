"""Redaction of personal details from free text, with a log that holds no original text.

:func:`redact` replaces supplied names, email addresses, UK phone numbers, postcodes, NHS numbers
(only those whose modulus-11 check digit is right), National Insurance numbers, dates and the
programme's own identifiers (case numbers such as ``FS000123``, given as regular expressions by the
caller, see :func:`identifier_shapes`) by a bracketed label such as ``[EMAIL]``. Each replacement
is logged with its kind, its span in the original text and the label - never the text removed - so
the log itself can be shared with a reviewer. Automatic redaction is a first pass: a person reviews
every reflection before it can be shared (see :mod:`evalkit.learning.store`).

Notes
-----
NHS number check digit (NHS Data Dictionary, "NHS Number"): multiply the first nine digits by the
weights 10, 9, ..., 2, sum, take the remainder on division by 11 and subtract it from 11. A result
of 11 means a check digit of 0; a result of 10 means the number is invalid.

Names are matched as whole words, case-insensitively for the full name, and each part of three or
more letters is also matched on its own when written with a capital, so that "Sarah" is removed
when "Sarah Jones" is supplied.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "KINDS",
    "RedactionEntry",
    "identifier_shapes",
    "nhs_number_is_valid",
    "possible_names",
    "redact",
]

#: Kinds of redaction, in priority order when two matches overlap.
KINDS: tuple[str, ...] = (
    "email",
    "identifier",
    "nhs_number",
    "ni_number",
    "phone",
    "postcode",
    "date",
    "name",
)
_LABELS = {
    "email": "[EMAIL]",
    "identifier": "[ID]",
    "nhs_number": "[NHS NUMBER]",
    "ni_number": "[NI NUMBER]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "date": "[DATE]",
    "name": "[NAME]",
}

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "nhs_number": re.compile(r"(?<![\d\w])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d\w])"),
    # Two prefix letters (not D, F, I, Q, U, V; second not O), six digits, suffix A-D.
    "ni_number": re.compile(
        r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
        r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
        re.IGNORECASE,
    ),
    # +44 or a leading 0, then 9-10 more digits in groups separated by spaces or hyphens.
    "phone": re.compile(
        r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(0|0)\d{1,4}\)?(?:[ -]?\d){6,9}(?![\d\w])"
    ),
    # UK postcode: outward code, a space (optional), inward code.
    "postcode": re.compile(
        r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"
    ),
    "date": re.compile(
        r"\b(?:\d{4}-\d{2}-\d{2}"
        r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {_MONTHS}(?: \d{{4}})?"
        rf"|{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?)\b",
        re.IGNORECASE,
    ),
}


@dataclasses.dataclass(frozen=True)
class RedactionEntry:
    """One redaction: what kind, where it was in the original text, and what replaced it."""

    kind: str
    start: int
    end: int
    replacement: str

    def to_dict(self) -> dict[str, object]:
        """The entry as a plain dict (for JSON)."""
        return dataclasses.asdict(self)


def nhs_number_is_valid(number: str) -> bool:
    """True if ``number`` has ten digits (spaces and hyphens ignored) and a right check digit."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    remainder = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def _phone_is_plausible(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = digits[2:].removeprefix("0")
        return len(digits) in (9, 10)
    return digits.startswith("0") and len(digits) in (10, 11)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        name = " ".join(str(name).split())
        if not name:
            continue
        full.add(re.escape(name))
        parts.update(re.escape(p) for p in name.split(" ") if len(p) >= 3 and p[0].isalpha())
    if not full:
        return None
    # Longest first so that the full name wins over its parts; parts only when capitalised.
    full_alt = "|".join(sorted(full, key=len, reverse=True))
    part_alt = "|".join(sorted((p[0].upper() + p[1:] for p in parts), key=len, reverse=True))
    pattern = rf"\b(?:(?i:{full_alt}))\b"
    if part_alt:
        pattern += rf"|\b(?:{part_alt})\b"
    return re.compile(pattern)


@functools.lru_cache(maxsize=64)
def _identifier_pattern(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of ``patterns`` as a whole word (case-insensitive)."""
    if not patterns:
        return None
    return re.compile("|".join(rf"(?<![\w])(?:{p})(?![\w])" for p in patterns), re.IGNORECASE)


def identifier_shapes(values: Iterable[object], *, share: float = 0.05) -> list[str]:
    """Regular expressions for the shapes of a programme's identifiers (``FS000123``).

    Each value's shape keeps its letters and other characters and replaces each run of digits
    by ``\\d{n}``: ``FS000123`` -> ``FS\\d{6}``. Shapes held by at least ``share`` of the values
    that have at least one letter and three digits are returned (a bare number such as 250000
    is not a shape: it would remove every amount of money from the text).

    Examples
    --------
    >>> identifier_shapes(["FS000001", "FS000002", "FAM000001"])
    ['FS\\d{6}', 'FAM\\d{6}']
    """
    shapes: Counter[str] = Counter()
    for value in values:
        text = str(value).strip()
        if not text or len(text) > 40 or value is None:
            continue
        digits = sum(c.isdigit() for c in text)
        if digits < 3 or not any(c.isalpha() for c in text):
            continue
        pieces = re.split(r"(\d+)", text)
        shape = "".join(rf"\d{{{len(p)}}}" if p.isdigit() else re.escape(p) for p in pieces if p)
        shapes[shape] += 1
    total = sum(shapes.values())
    return [s for s, n in shapes.most_common(10) if total and n / total >= share]


def _candidates(
    text: str, names: Iterable[str], identifiers: Iterable[str] = ()
) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    id_re = _identifier_pattern(tuple(identifiers))
    if id_re is not None:
        found.extend((m.start(), m.end(), "identifier") for m in id_re.finditer(text))
    for kind, pattern in _PATTERNS.items():
        for m in pattern.finditer(text):
            if kind == "nhs_number" and not nhs_number_is_valid(m.group()):
                continue
            if kind == "phone" and not _phone_is_plausible(m.group()):
                continue
            found.append((m.start(), m.end(), kind))
    name_re = _name_pattern(names)
    if name_re is not None:
        found.extend((m.start(), m.end(), "name") for m in name_re.finditer(text))
    return found


def redact(
    text: str, names: Iterable[str] = (), identifiers: Iterable[str] = ()
) -> tuple[str, list[RedactionEntry]]:
    """Replace personal details in ``text``; return the redacted text and the redaction log.

    Parameters
    ----------
    text
        Free text, e.g. one slot of a reflection.
    names
        Names of people to remove (authors, colleagues, family members known to the service).
    identifiers
        Regular expressions of the programme's own identifiers (case numbers), matched as whole
        words whatever their case; see :func:`identifier_shapes`.

    Returns
    -------
    (redacted_text, log)
        ``log`` has one :class:`RedactionEntry` per replacement, in order of position; spans refer
        to the original text. When matches overlap, the kind earlier in :data:`KINDS` wins.

    Examples
    --------
    >>> redact("Call Sam on 07700 900123", names=["Sam Reid"])[0]
    'Call [NAME] on [PHONE]'
    """
    text = "" if text is None else str(text)
    priority = {kind: i for i, kind in enumerate(KINDS)}
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(
        _candidates(text, names, identifiers), key=lambda c: (priority[c[2]], c[0], -(c[1] - c[0]))
    ):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, kind))
    chosen.sort()
    pieces: list[str] = []
    log: list[RedactionEntry] = []
    cursor = 0
    for start, end, kind in chosen:
        pieces.append(text[cursor:start])
        pieces.append(_LABELS[kind])
        log.append(RedactionEntry(kind, start, end, _LABELS[kind]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), log


_SENTENCE_WORD_TEXT = (
    "A After All An And As At Before But By For From He Her His I In It Its My On Once Our "
    "She So Some That The Their Then There These They This Those We When While With"
)
_SENTENCE_WORDS = frozenset(_SENTENCE_WORD_TEXT.split())
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)+\b")


def possible_names(text: str) -> list[str]:
    """Runs of two or more capitalised words that may be names the automatic pass kept.

    A hint for the person reviewing a reflection (``evalkit reflect review`` shows it); it is
    never applied automatically and never stored, since places and services look the same.
    A leading function word ("The", "We", "After" ...) is dropped from a run.
    """
    found = []
    for m in _CAPITALISED_RUN.finditer(str(text or "")):
        words = m.group().split(" ")
        if words[0] in _SENTENCE_WORDS:
            words = words[1:]
        if len(words) >= 2 and " ".join(words) not in found:
            found.append(" ".join(words))
    return found
