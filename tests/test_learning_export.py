"""Exports: shareable CSV, REFI-QDA codebook (.qdc) and project (.qdpx)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest

from _learning import KEY, reflection
from evalkit.exceptions import ParameterError
from evalkit.learning.export import (
    CODEBOOK_NS,
    PROJECT_NS,
    codebook_xml,
    export_csv,
    export_qdc,
    export_qdpx,
)
from evalkit.learning.records import Code
from evalkit.learning.store import ReflectionStore

CB = {"qdc": CODEBOOK_NS}
PR = {"qde": PROJECT_NS}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "learning.sqlite") as s:
        shared = s.add(reflection(what_happened="Sam Reid rang 07700 900123."))
        s.review(shared, by="Jo", shareable=True)
        s.add(reflection(what_we_tried="Still waiting for review"))
        s.set_codebook(
            [
                Code(name="relationships", definition="Trust & continuity <with families>"),
                Code(name="continuity", definition="The same worker", parent="relationships"),
                Code(name="venues", definition="Where we meet"),
            ],
            by="Jo",
        )
        s.assign_code(shared, "venues", coder="Jo", slot="what_we_learned")
        s.assign_code(shared, "continuity", coder="Kim")
        yield s


def test_csv_holds_only_shareable_redacted_rows_without_authors(store, tmp_path):
    path = export_csv(store, tmp_path / "out" / "shared.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(frame) == 1
    assert "author" not in frame.columns
    assert frame["what_happened"].iloc[0] == "Sam Reid rang [PHONE]."
    assert frame["codes"].iloc[0] == "continuity; venues"
    assert "Still waiting" not in path.read_text(encoding="utf-8")


def test_exports_respect_who_receives_them(store, tmp_path):
    public = store.add(reflection(sharing_scope="public", what_we_tried="Shared publicly"))
    cycle = store.add(reflection(sharing_scope="cycle", what_we_tried="Kept in the cycle"))
    for rid in (public, cycle):
        store.review(rid, by="Jo", shareable=True)

    def texts(audience: str) -> list[str]:
        path = export_csv(store, tmp_path / f"{audience}.csv", audience=audience)
        return pd.read_csv(path)["what_we_tried"].tolist()

    assert "Kept in the cycle" not in texts("programme")
    assert texts("public") == ["Shared publicly"]
    assert len(texts("cycle")) == 3
    with pytest.raises(ParameterError, match="'everyone'"):
        export_csv(store, tmp_path / "x.csv", audience="everyone")


def test_qdc_is_well_formed_refi_qda_with_nesting_and_stable_guids(store, tmp_path):
    path = export_qdc(store, tmp_path / "codebook.qdc", programme="family-support")
    root = ET.parse(path).getroot()  # raises ParseError if not well-formed
    assert root.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    top = root.findall("qdc:Codes/qdc:Code", CB)
    assert [c.get("name") for c in top] == ["relationships", "venues"]
    child = top[0].find("qdc:Code", CB)
    assert child.get("name") == "continuity"
    for code in root.iter(f"{{{CODEBOOK_NS}}}Code"):
        uuid.UUID(code.get("guid"))
        assert code.get("isCodable") == "true"
    description = top[0].find("qdc:Description", CB).text
    assert description == "Trust & continuity <with families>"
    assert "&amp;" in path.read_text(encoding="utf-8")
    again = codebook_xml(store.codebook(), programme="family-support")
    assert again.strip() == path.read_text(encoding="utf-8").strip()


def test_qdpx_project_selections_point_at_the_coded_text(store, tmp_path):
    path = export_qdpx(store, tmp_path / "project.qdpx", programme="family-support")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = ET.fromstring(archive.read("project.qde"))
        sources = root.findall("qde:Sources/qde:TextSource", PR)
        assert len(sources) == 1
        source = sources[0]
        file = source.get("plainTextPath").removeprefix("internal://")
        assert f"Sources/{file}" in names
        text = archive.read(f"Sources/{file}").decode("utf-8")
    assert "Still waiting" not in text and "07700" not in text
    code_guids = {c.get("name"): c.get("guid") for c in root.iter(f"{{{PROJECT_NS}}}Code")}
    selections = {
        s.find("qde:Coding/qde:CodeRef", PR).get("targetGUID"): s
        for s in source.findall("qde:PlainTextSelection", PR)
    }
    venue = selections[code_guids["venues"]]
    start, end = int(venue.get("startPosition")), int(venue.get("endPosition"))
    assert text[start:end] == "Where we meet people shapes who turns up."
    whole = selections[code_guids["continuity"]]
    assert (int(whole.get("startPosition")), int(whole.get("endPosition"))) == (0, len(text))
    users = {u.get("guid") for u in root.findall("qde:Users/qde:User", PR)}
    assert venue.get("creatingUser") in users and len(users) == 2
