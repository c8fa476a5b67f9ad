"""The reflection store: pseudonyms, redaction, workflow, history, search, safety under load."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _learning import KEY, reflection
from evalkit.exceptions import DataError, EvalkitError, ParameterError, PrivacyError
from evalkit.learning.store import ReflectionStore, default_store_path
from evalkit.learning.store.database import SCHEMA_VERSION


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "family-support" / "learning.sqlite") as s:
        yield s


def test_default_path_follows_the_spec_layout():
    assert (
        str(default_store_path("family-support")) == "data/processed/family-support/learning.sqlite"
    )
    with pytest.raises(ParameterError, match=r"'\.\./x'"):
        default_store_path("../x")


def test_add_pseudonymises_the_author_and_redacts_their_name(store):
    rid = store.add(reflection(what_happened="Alex rang 07700 900123; Alex Morgan agreed."))
    rec = store.get(rid)
    assert rec["author"].startswith("a-") and "Alex" not in rec["author"]
    assert rec["redacted_what_happened"] == "[NAME] rang [PHONE]; [NAME] agreed."
    assert rec["status"] == "redaction_pending"
    assert {e["kind"] for e in rec["redaction_log"]} == {"name", "phone"}
    assert all("07700" not in str(e) for e in rec["redaction_log"])
    trail = store.history(rid)
    assert list(trail["action"]) == ["create", "status"]
    assert trail["changed_by"].iloc[1] == "system:redaction"


def test_same_author_same_pseudonym_across_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    authors = []
    for name in ("a.sqlite", "b.sqlite"):
        with ReflectionStore(tmp_path / name) as s:
            authors.append(s.get(s.add(reflection()))["author"])
    assert authors[0] == authors[1]


def test_missing_key_is_a_clear_privacy_error(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("EVALKIT_KEY_FILE", str(tmp_path / "absent.key"))
    with ReflectionStore(tmp_path / "l.sqlite") as s:
        with pytest.raises(PrivacyError) as err:
            s.add(reflection())
        assert "EVALKIT_PSEUDONYM_KEY" in str(err.value)
        assert s.all().empty


def test_new_reflections_cannot_skip_review(store):
    with pytest.raises(PrivacyError, match="'shareable'"):
        store.add(reflection(status="shareable"))


def test_workflow_needs_review_and_consent(store):
    rid = store.add(reflection())
    with pytest.raises(ParameterError) as err:
        store.transition(rid, "shareable", by="Jo Reviewer")
    assert "'redaction_pending'" in str(err.value) and "'shareable'" in str(err.value)
    assert store.shareable().empty
    store.review(rid, by="Jo Reviewer")
    assert store.shareable().empty
    store.review(rid, by="Jo Reviewer", shareable=True)  # a second look, then share
    assert list(store.shareable()["id"]) == [rid]
    no = store.add(reflection(consent="no"))
    with pytest.raises(PrivacyError, match="consent"):
        store.review(no, by="Jo Reviewer", shareable=True)
    assert store.get(no)["status"] == "redaction_pending"


def test_reviewer_corrections_replace_the_redacted_text(store):
    rid = store.add(reflection(what_happened="Priya from the school said it helped."))
    store.review(rid, by="Jo", redacted={"what_happened": "[NAME] from the school said it helped."})
    assert store.get(rid)["redacted_what_happened"].startswith("[NAME] from")
    assert store.search("Priya", shareable_only=False).empty
    assert len(store.search("school", shareable_only=False)) == 1


def test_update_keeps_every_version_and_asks_for_a_fresh_review(store):
    rid = store.add(reflection())
    store.review(rid, by="Jo", shareable=True)
    version = store.update(rid, {"what_we_learned": "Venues matter."}, by="Alex Morgan")
    rec = store.get(rid)
    assert rec["what_we_learned"] == "Venues matter."
    assert rec["status"] == "redaction_pending" and store.shareable().empty
    assert store.version(rid, 1)["what_we_learned"] == "Where we meet people shapes who turns up."
    assert store.version(rid, version)["what_we_learned"] == "Venues matter."
    assert list(store.history(rid)["version"]) == list(range(1, rec["version"] + 1))
    with pytest.raises(ParameterError, match="'author'"):
        store.update(rid, {"author": "Someone Else"}, by="Jo")


def test_consent_given_later_and_withdrawn_through_update(store):
    rid = store.add(reflection(consent="no"))
    store.update(rid, {"consent": "yes"}, by="Alex Morgan")
    store.review(rid, by="Jo", shareable=True)
    assert list(store.shareable()["id"]) == [rid]
    store.update(rid, {"consent": "no"}, by="Alex Morgan")
    rec = store.get(rid)
    assert (rec["status"], rec["consent"]) == ("withdrawn", False)
    assert store.shareable().empty
    with pytest.raises(PrivacyError, match="withdrawn"):
        store.update(rid, {"role": "provider"}, by="Jo")


def test_history_is_append_only(store):
    store.add(reflection())
    conn = sqlite3.connect(store.path)
    for sql in ("UPDATE history SET changed_by = 'x'", "DELETE FROM history"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_search_sees_only_redacted_text_and_never_withdrawn(store):
    rid = store.add(reflection(what_happened="Sam Reid rang 07700 900123 about the gate."))
    store.review(rid, by="Jo", shareable=True)
    assert list(store.search("gate")["id"]) == [rid]
    assert store.search("07700 900123").empty
    assert store.search("Morgan").empty
    store.withdraw(rid, by="Alex Morgan", reason="changed my mind")
    assert store.search("gate", shareable_only=False).empty
    assert store.shareable().empty
    with pytest.raises(ParameterError):
        store.transition(rid, "reviewed", by="Jo")
    with pytest.raises(ParameterError, match="query"):
        store.search("  ")


def test_unknown_id_and_unreadable_file(store, tmp_path):
    with pytest.raises(DataError, match="reflection id 999"):
        store.get(999)
    bad = tmp_path / "not.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="cannot be opened"):
        ReflectionStore(bad)
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(DataError, match="schema version 99"):
        ReflectionStore(newer)


def test_add_many_is_all_or_nothing(store):
    with pytest.raises(DataError, match="record 1"):
        store.add_many([reflection(), reflection(period="autumn"), reflection()])
    assert store.all().empty
    assert len(store.add_many([reflection(), reflection()])) == 2


def _write_many(path: str, writer: int, count: int) -> None:
    with ReflectionStore(path) as s:
        for i in range(count):
            s.add(
                reflection(what_we_tried=f"writer {writer} record {i}", author=f"Writer {writer}")
            )


def test_eight_processes_writing_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    path = str(tmp_path / "learning.sqlite")  # not created yet: the writers race to create it
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_write_many, args=(path, w, 250)) for w in range(8)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=240)
        assert p.exitcode == 0
    with ReflectionStore(path) as s:
        frame = s.all()
        assert len(frame) == 2000
        assert frame["what_we_tried"].nunique() == 2000
        assert frame["uid"].nunique() == 2000
        expected = {f"writer {w} record {i}" for w in range(8) for i in range(250)}
        assert set(frame["what_we_tried"]) == expected
        assert s.integrity_check() == "ok"


def test_writer_killed_mid_transaction_loses_nothing_committed(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    path = tmp_path / "learning.sqlite"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from _learning import reflection
        from evalkit.learning.store import ReflectionStore
        store = ReflectionStore({str(path)!r})
        for i in range(5):
            store.add(reflection(what_we_tried=f"committed {{i}}"))
        def pending():
            for i in range(3):
                yield reflection(what_we_tried=f"uncommitted {{i}}")
            print("ready", flush=True)
            time.sleep(120)
        store.add_many(pending())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with ReflectionStore(path) as s:
        texts = sorted(s.all()["what_we_tried"])
        assert texts == [f"committed {i}" for i in range(5)]
        assert s.integrity_check() == "ok"
        s.add(reflection(what_we_tried="after the crash"))
        assert len(s.all()) == 6


_OPS = st.sampled_from(
    ["submit", "review", "share", "unshare", "edit", "consent_yes", "consent_no", "withdraw"]
)


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(_OPS, max_size=8), consent=st.booleans())
def test_property_only_reviewed_consented_reflections_are_ever_shared(ops, consent):
    with (
        tempfile.TemporaryDirectory() as folder,
        ReflectionStore(Path(folder) / "l.sqlite", key=KEY.encode()) as s,
    ):
        rid = s.add(
            reflection(
                status="draft",
                consent="yes" if consent else "no",
                what_happened="The marker word zebra.",
            )
        )
        actions = {
            "submit": lambda: s.transition(rid, "submitted", by="A"),
            "review": lambda: s.review(rid, by="R"),
            "share": lambda: s.transition(rid, "shareable", by="R"),
            "unshare": lambda: s.transition(rid, "reviewed", by="R"),
            "edit": lambda: s.update(rid, {"what_we_learned": "New zebra text."}, by="A"),
            "consent_yes": lambda: s.update(rid, {"consent": "yes"}, by="A"),
            "consent_no": lambda: s.update(rid, {"consent": "no"}, by="A"),
            "withdraw": lambda: s.withdraw(rid, by="A"),
        }
        for op in ops:
            with contextlib.suppress(EvalkitError):
                actions[op]()
        rec = s.get(rid)
        shared = list(s.shareable()["id"])
        assert (rid in shared) == (rec["status"] == "shareable" and rec["consent"])
        if rid in shared:
            # A person moved it to 'reviewed' after the text last changed.
            trail = s.history(rid).to_dict("records")
            last_text = max(
                i
                for i, h in enumerate(trail)
                if h["action"] == "create"
                or (h["action"] == "update" and "redacted_" in h["changed_fields"])
            )
            assert any(
                s.version(rid, h["version"])["status"] == "reviewed"
                and not h["changed_by"].startswith("system:")
                for h in trail[last_text + 1 :]
            )
        assert list(s.search("zebra")["id"]) == shared
        if rec["status"] == "withdrawn":
            assert s.search("zebra", shareable_only=False).empty and not rec["consent"]
        versions = s.history(rid)["version"].tolist()
        assert versions == list(range(1, rec["version"] + 1))


# -- history of every kind of record ------------------------------------------------------------
def test_cycles_and_codings_append_history(store):
    cycle = {"cycle_id": "c-1", "programme": "family-support", "locality": "E08000012"}
    store.add_cycle(cycle, by="Jo Partner")
    store.add_cycle(cycle, by="Jo Partner")  # the same details: nothing changes
    store.add_cycle({**cycle, "phase": "co-design experiments"}, by="Sam Lead")
    trail = store.history(entity="cycle")
    assert list(trail["action"]) == ["create", "update"]
    assert list(trail["version"]) == [1, 2]
    assert trail["changed_fields"].iloc[1] == '["phase"]'
    assert trail["changed_by"].str.startswith("a-").all()
    number = int(trail["entity_id"].iloc[0])
    assert store.version(number, 1, entity="cycle")["phase"] == "shared purpose"
    assert store.cycles()["phase"].tolist() == ["co-design experiments"]
    with pytest.raises(ParameterError, match="by must name"):
        store.add_cycle({**cycle, "name": "x"}, by="")
    rid = store.add(reflection())
    store.set_codebook([{"name": "venues"}], by="Jo")
    store.assign_code(rid, "venues", coder="Jo", slot="what_we_learned")
    store.assign_code(rid, "venues", coder="Jo", slot="what_we_learned")  # already applied
    coding = store.history(entity="coding")
    assert list(coding["action"]) == ["create"] and len(store.codings()) == 1


# -- stores written by an earlier evalkit -------------------------------------------------------
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "learning" / "store_v1.sqlite"


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_a_store_of_the_previous_schema_opens_and_is_upgraded(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    path = tmp_path / "learning.sqlite"
    shutil.copy(FIXTURE, path)
    assert "experiments" in _tables(path)
    with ReflectionStore(path) as s:
        assert s.integrity_check() == "ok"
        frame = s.all()
        assert frame["status"].tolist() == ["shareable", "redaction_pending", "withdrawn", "draft"]
        shared = s.shareable()
        assert shared["id"].tolist() == [1]
        assert shared["what_happened"].iloc[0] == "Sam Reid rang [PHONE] about the gate."
        assert list(s.history(1)["version"]) == [1, 2, 3, 4]
        assert s.version(3, 1)["what_we_tried"] == "A withdrawn marker quokka."
        assert s.codebook()[0].name == "venues" and len(s.codings()) == 1
        assert s.cycles()["cycle_id"].tolist() == ["E08000012-cycle-1"]
        assert s.actions()["status"].tolist() == ["done"]
        assert list(s.search("gate")["id"]) == [1]
        # and it takes changes as a new store does
        s.review(2, by="Jo Reviewer", shareable=True)
        new = s.add(reflection())
        assert new == 5 and sorted(s.shareable()["id"]) == [1, 2]
    assert "experiments" not in _tables(path)  # empty, so dropped
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_an_old_store_keeps_experiments_it_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    path = tmp_path / "learning.sqlite"
    shutil.copy(FIXTURE, path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO experiments (cycle_id, title) VALUES ('c', 'Evening calls')")
    conn.commit()
    conn.close()
    with ReflectionStore(path) as s:
        assert len(s.all()) == 4
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT title FROM experiments").fetchall() == [("Evening calls",)]
    conn.close()


def test_opening_a_current_store_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    path = tmp_path / "learning.sqlite"
    with ReflectionStore(path) as s:
        s.add(reflection())
    before = path.read_bytes()
    with ReflectionStore(path) as s:
        s.shareable()
        s.overview()
    assert path.read_bytes() == before
