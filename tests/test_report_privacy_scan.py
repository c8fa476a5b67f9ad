"""Whole-report privacy scan: every file a run writes, for both example programmes.

Every page (evaluation reports, learning reviews, social value, the comparison, the index), every
download (CSV and XLSX), the manifest and the run's logs are read as text. The scan fails on:

- an identifier of the source data: any value matching the shapes of the people source's
  identifiers (``FS000123``, learned by :func:`evalkit.intake.mapping.identifier_patterns`), and
  any email address or telephone number of the raw export;
- a count of people in the suppressed range (1 to the policy's threshold), wherever a number is
  followed by a word for people in the reader's text, alt text or chart descriptions included,
  and in the manifest's key figures.

Tables are covered cell by cell by the disclosure-control and recoverability tests
(``test_report_content``, ``test_report_recoverability``); this scan is the net under them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from _attack import FOLDERS, family_support_reports, homelessness_reports
from evalkit.config import load_spec
from evalkit.disclosure import get_policy
from evalkit.intake.mapping import identifier_patterns
from evalkit.intake.readers import read_table

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

PEOPLE = (
    r"people|persons?|famil(?:y|ies)|households?|children|adults|clients|participants|"
    r"reflections|victims|parents|carers|young people|residents|service users"
)
COUNT = re.compile(rf"(?<![\d.,£-])(\d{{1,3}}(?:,\d{{3}})*)\s+(?:{PEOPLE})\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+44\s?7\d{3}|\b07\d{3})\s?\d{3}\s?\d{3}\b")


def _text_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        cells = [
            str(v)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
        book.close()
        return "\n".join(cells)
    return path.read_text(encoding="utf-8", errors="replace")


def _outputs(folder: Path) -> dict[str, str]:
    """Every file the run wrote under the programme's report folder, as text."""
    return {
        p.relative_to(folder).as_posix(): _text_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in {".html", ".csv", ".xlsx", ".json", ".log"}
    }


def _reader_text(page: str) -> str:
    """Prose and alt text of a page: tags, styles, scripts and tables (checked cell by cell
    elsewhere) removed."""
    alts = " ".join(re.findall(r'alt="([^"]*)"', page))
    page = re.sub(
        r"<style>.*?</style>|<script>.*?</script>|<table.*?</table>", " ", page, flags=re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)) + " " + alts


def _raw_contacts(spec_path: Path) -> set[str]:
    """Emails and phone numbers anywhere in the raw people export (columns evalkit never maps
    included: they must never travel)."""
    spec = load_spec(spec_path)
    s = spec.people
    raw = read_table(spec.path(s.file), sheet=s.sheet, header_row=s.header_row)
    found: set[str] = set()
    for column in raw.columns:
        for value in raw[column].dropna().astype(str).head(20_000):
            found |= set(EMAIL.findall(value)) | set(PHONE.findall(value))
    return found


def _scan(key: str) -> list[str]:
    problems: list[str] = []
    for folder, spec_path in FOLDERS[key]:
        spec = load_spec(spec_path)
        high = get_policy(spec.disclosure.policy).high
        shapes = [re.compile(rf"\b{p}\b") for p in identifier_patterns(spec)]
        assert shapes, f"{key}: no identifier shape learned to scan for"
        contacts = _raw_contacts(spec_path)
        for name, text in _outputs(folder).items():
            where = f"{key}/{name}"
            for shape in shapes:
                if hit := shape.search(text):
                    problems.append(f"{where}: identifier {hit.group(0)!r}")
            problems += [f"{where}: contact {c!r}" for c in contacts if c in text]
            if name.endswith(".html"):
                prose = _reader_text(text)
                for hit in COUNT.finditer(prose):
                    n = int(hit.group(1).replace(",", ""))
                    before = prose[max(0, hit.start() - 16) : hit.start()]
                    # the rule itself ("between 1 and 7 people") and "fewer than 8" are no count
                    if 1 <= n <= high and not re.search(r"fewer than $|between 1 and $", before):
                        problems.append(f"{where}: small count {hit.group(0)!r}")
            if name == "manifest.json":
                for entry in json.loads(text)["reports"]:
                    value = entry.get("figures", {}).get("people_served", {}).get("value")
                    if isinstance(value, int) and 1 <= value <= high:
                        problems.append(f"{where}: people_served {value} ({entry['locality']})")
    return problems


def test_family_support_outputs_hold_no_identifier_contact_or_small_count(tmp_path_factory) -> None:
    family_support_reports(tmp_path_factory)
    problems = _scan("family-support")
    assert not problems, "\n".join(problems[:20])


def test_homelessness_outputs_hold_no_identifier_contact_or_small_count(tmp_path_factory) -> None:
    homelessness_reports(tmp_path_factory)
    # the provider's export carries emails and phone numbers: the scan has something to find
    assert _raw_contacts(FOLDERS["homelessness-prevention"][0][1])
    problems = _scan("homelessness-prevention")
    assert not problems, "\n".join(problems[:20])


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan is not vacuous: a page with a case number, an email and '3 families' fails."""
    page = "<p>Case FS000123 (jo@example.org) and 3 families were seen; fewer than 8 people.</p>"
    hits = COUNT.findall(_reader_text(page))
    assert hits == ["3", "8"]  # '8' follows 'fewer than', which the scan allows
    assert re.search(r"\bFS\d{6}\b", page) and EMAIL.search(page)
