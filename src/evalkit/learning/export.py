"""Export shareable reflections: CSV, and REFI-QDA for NVivo, ATLAS.ti, MAXQDA and QualCoder.

Only reflections that are reviewed, shareable and consented are exported, with redacted text and
without authors (roles only). Files are written atomically.

REFI-QDA (Rotterdam Exchange Format Initiative, https://www.qdasoftware.org, standard 1.5):

- a codebook ``.qdc`` is an XML document ``<CodeBook xmlns="urn:QDA-XML:codebook:1.0">`` holding
  ``<Codes>`` with one ``<Code guid name isCodable>`` per code, its ``<Description>`` and its child
  codes nested inside it;
- a project ``.qdpx`` is a zip archive with ``project.qde`` (``<Project
  xmlns="urn:QDA-XML:project:1.0">``: Users, CodeBook, Sources) and one UTF-8 text file per source
  under ``Sources/``; each coding is a ``<PlainTextSelection>`` (character positions in that text)
  holding a ``<Coding>`` with a ``<CodeRef targetGUID>``.

GUIDs are UUID-5 values derived from the programme and the code or reflection, so exporting twice
gives the same identifiers and a QDA tool can merge the files.

Text leaves without control or bidirectional characters (the store's
:meth:`~evalkit.learning.store.SharedText.shareable` removes them, whatever an older evalkit
stored), and a CSV cell that a spreadsheet would run as a formula (one
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) starts with an apostrophe,
as OWASP advises against CSV injection: the spreadsheet shows it as text.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evalkit._io import atomic_path, atomic_write_text
from evalkit.exceptions import DataError
from evalkit.learning.records import SLOTS, Code
from evalkit.learning.store import SHARED_COLUMNS, ReflectionStore

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "codebook_xml",
    "export_csv",
    "export_qdc",
    "export_qdpx",
    "neutralise_formula",
    "shareable_table",
]

#: The first characters with which a spreadsheet reads a cell as a formula (OWASP, "CSV
#: Injection"): a cell starting with one of them is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
_ORIGIN = "evalkit learning log"
_HEADINGS = {
    "what_we_tried": "What we tried",
    "what_happened": "What happened",
    "what_we_learned": "What we learned",
    "what_we_will_change": "What we will change",
}


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "evalkit:" + ":".join(map(str, parts))))


def shareable_table(
    store: ReflectionStore, *, locality: str | None = None, audience: str = "programme"
) -> pd.DataFrame:
    """Shareable reflections (redacted, no author) with the codes people applied, ';'-joined.

    ``audience``: who receives the export (``cycle``, ``programme`` or ``public``); only
    reflections shared at least that widely are included.
    """
    frame = store.shareable(locality=locality, audience=audience)
    codings = store.codings()
    codes = (
        codings.drop_duplicates(["reflection_id", "code"])
        .groupby("reflection_id")["code"]
        .agg(lambda s: "; ".join(sorted(s)))
    )
    frame["codes"] = [codes.get(i, "") for i in frame["id"]]
    return frame[[c for c in (*SHARED_COLUMNS, "codes") if c != "author"]]


def neutralise_formula(value: object) -> object:
    """``value`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _writable(path: str | Path) -> Path:
    """``path`` as an export target (its folder is made if missing): DataError if it is a folder."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected the path of the file to write")
    return path


def export_csv(
    store: ReflectionStore,
    path: str | Path,
    *,
    locality: str | None = None,
    audience: str = "programme",
) -> Path:
    """Write the shareable reflections to a UTF-8 CSV; return its path."""
    path = _writable(path)
    table = shareable_table(store, locality=locality, audience=audience)
    return atomic_write_text(path, table.map(neutralise_formula).to_csv(index=False))


def _code_elements(parent: ET.Element, codes: Sequence[Code], ns: str, programme: str) -> None:
    children: dict[str | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent, []).append(code)

    def add(under: ET.Element, code: Code) -> None:
        el = ET.SubElement(
            under,
            f"{{{ns}}}Code",
            guid=_guid(programme, "code", code.name),
            name=code.name,
            isCodable="true",
        )
        if code.definition:
            ET.SubElement(el, f"{{{ns}}}Description").text = code.definition
        for child in children.get(code.name, []):
            add(el, child)

    for root in children.get(None, []):
        add(parent, root)


def codebook_xml(codes: Sequence[Code], *, programme: str = "") -> str:
    """The REFI-QDA codebook (``.qdc``) XML of ``codes``, parents holding their children."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", origin=_ORIGIN)
    codes_el = ET.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    _code_elements(codes_el, codes, CODEBOOK_NS, programme)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def export_qdc(store: ReflectionStore, path: str | Path, *, programme: str = "") -> Path:
    """Write the store's codebook as a REFI-QDA ``.qdc`` file; return its path."""
    path = _writable(path)
    return atomic_write_text(path, codebook_xml(store.codebook(), programme=programme) + "\n")


def _source_text(record: dict) -> tuple[str, dict[str, tuple[int, int]]]:
    """The text of one reflection for a QDA tool, and where each slot's answer sits in it."""
    text, spans = "", {}
    for slot in SLOTS:
        answer = str(record.get(slot) or "")
        text += _HEADINGS[slot] + "\n"
        spans[slot] = (len(text), len(text) + len(answer))
        text += answer + "\n\n"
    return text, spans


def export_qdpx(
    store: ReflectionStore, path: str | Path, *, programme: str = "", audience: str = "programme"
) -> Path:
    """Write a REFI-QDA project (``.qdpx``): codebook, shareable reflections and people's codings.

    Each reflection becomes a text source named by its id, locality, period and role; a code
    applied to a slot covers that slot's answer, a code applied to the whole reflection covers all
    of it. Coders appear as their pseudonyms.
    """
    path = _writable(path)
    ns = PROJECT_NS
    ET.register_namespace("", ns)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = shareable_table(store, audience=audience)
    codings = store.codings()
    codings = codings[codings["reflection_id"].isin(frame["id"])]
    root = ET.Element(
        f"{{{ns}}}Project",
        name=programme or "evalkit learning log",
        origin=_ORIGIN,
        creationDateTime=now,
    )
    users = ET.SubElement(root, f"{{{ns}}}Users")
    for coder in sorted(codings["coder"].unique()):
        ET.SubElement(users, f"{{{ns}}}User", guid=_guid(programme, "user", coder), name=coder)
    book = ET.SubElement(root, f"{{{ns}}}CodeBook")
    _code_elements(ET.SubElement(book, f"{{{ns}}}Codes"), store.codebook(), ns, programme)
    sources = ET.SubElement(root, f"{{{ns}}}Sources")
    files: dict[str, str] = {}
    for record in frame.to_dict("records"):
        guid = _guid(programme, "reflection", record["id"])
        text, spans = _source_text(record)
        files[f"Sources/{guid}.txt"] = text
        source = ET.SubElement(
            sources,
            f"{{{ns}}}TextSource",
            guid=guid,
            name=f"reflection {record['id']} {record['locality']} {record['period']} "
            f"({record['role']})",
            plainTextPath=f"internal://{guid}.txt",
            creationDateTime=now,
        )
        mine = codings[codings["reflection_id"] == record["id"]]
        for c in mine.to_dict("records"):
            start, end = spans[c["slot"]] if c["slot"] else (0, len(text))
            sel = ET.SubElement(
                source,
                f"{{{ns}}}PlainTextSelection",
                guid=_guid(programme, "selection", record["id"], c["slot"], c["code"], c["coder"]),
                name=c["code"],
                startPosition=str(start),
                endPosition=str(end),
                creatingUser=_guid(programme, "user", c["coder"]),
            )
            coding = ET.SubElement(
                sel,
                f"{{{ns}}}Coding",
                guid=_guid(programme, "coding", record["id"], c["slot"], c["code"], c["coder"]),
                creatingUser=_guid(programme, "user", c["coder"]),
            )
            ET.SubElement(
                coding, f"{{{ns}}}CodeRef", targetGUID=_guid(programme, "code", c["code"])
            )
    ET.indent(root)
    project = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project)
        for name, content in files.items():
            archive.writestr(name, content)
    return Path(path)
