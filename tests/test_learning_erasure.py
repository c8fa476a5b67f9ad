"""Erasure (UK GDPR right to erasure): a reflection's text leaves the store, its history and the file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from _learning import KEY, reflection
from evalkit.cli import main
from evalkit.exceptions import DataError, ParameterError
from evalkit.learning.records import SLOTS
from evalkit.learning.store import ReflectionStore

REPO = Path(__file__).resolve().parents[1]
# The console script installed beside the running interpreter (a venv or a conda environment).
EVALKIT = Path(sys.executable).parent / "evalkit"
FIXTURE = REPO / "tests" / "fixtures" / "learning" / "store_v1.sqlite"
#: A word that occurs only in the reflection that is erased (and never in any label or name).
MARKER = "quokka"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)


def _file_bytes(path: Path) -> bytes:
    """Every byte of the store on disk: the database, its write-ahead log and its index."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def _marked(store: ReflectionStore) -> int:
    """A reflection with the marker in every slot, its private answers and its history notes."""
    rid = store.add(
        reflection(
            template="gibbs",
            what_we_tried=f"Quokka Jones tried the {MARKER} walk.",
            what_happened=f"Ring 07700 900123 about {MARKER}s.",
            what_we_learned=f"The {MARKER} approach works.",
            what_we_will_change=f"More {MARKER} time.",
            extra={"feelings": f"Nervous about the {MARKER} plan."},
        ),
        names=["Quokka Jones"],
    )
    store.review(rid, by="Jo", redacted={"what_we_learned": f"The {MARKER} way."}, note=MARKER)
    store.transition(rid, "shareable", by="Jo", note=f"shared the {MARKER}")
    store.update(rid, {"what_we_will_change": f"Even more {MARKER} time."}, by="Alex Morgan")
    return rid


def test_erase_removes_the_text_from_the_store_its_history_and_the_file(tmp_path):
    path = tmp_path / "learning.sqlite"
    with ReflectionStore(path) as store:
        keep = store.add(reflection(what_we_learned="Venues matter to fathers."))
        store.review(keep, by="Jo", shareable=True)
        rid = _marked(store)
        assert MARKER.encode() in _file_bytes(path).lower()
        versions = store.get(rid)["version"]

        store.erase(rid, by="data protection lead", reason="erasure request of 3 March")

        rec = store.get(rid)
        assert all(rec[s] == "" and rec[f"redacted_{s}"] == "" for s in SLOTS)
        assert (rec["extra"], rec["redaction_log"]) == ({}, [])
        assert (rec["status"], rec["consent"], rec["locality"]) == ("withdrawn", False, "E08000012")
        trail = store.history(rid)
        assert list(trail["version"]) == list(range(1, versions + 3))  # withdrawal, then erasure
        stub = trail.iloc[-1]
        assert (stub["action"], stub["changed_by"]) == ("erase", "role:data protection lead")
        assert stub["note"] == "erasure request of [DATE]"  # the reason, redacted
        assert set(json.loads(stub["changed_fields"])) >= {*SLOTS, "extra"}
        assert (trail["note"].iloc[:-1] == "").all()
        for version in trail["version"]:
            old = store.version(rid, version)
            assert all(old[s] == "" and old[f"redacted_{s}"] == "" for s in SLOTS)
            assert old["extra"] == {}
        # the other reflection is untouched, and history is append-only again
        assert store.get(keep)["what_we_learned"] == "Venues matter to fathers."
        assert list(store.search("venues")["id"]) == [keep]
        assert store.search(MARKER, shareable_only=False).empty
        assert list(store.shareable()["id"]) == [keep]
        assert store.integrity_check() == "ok"
        raw = _file_bytes(path).lower()
        # the whole phone number: "07700" alone also turns up in timestamps (".077004")
        assert MARKER.encode() not in raw and b"07700 900123" not in raw and b"nervous" not in raw
        assert b"venues matter" in raw
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO reflections_fts (reflections_fts) VALUES ('integrity-check')")
    for sql in ("UPDATE history SET note = 'x'", "DELETE FROM history"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_erase_with_the_store_open_elsewhere(tmp_path):
    path = tmp_path / "learning.sqlite"
    with ReflectionStore(path) as store, ReflectionStore(path) as other:
        rid = _marked(store)
        assert len(other.overview()) == 1  # another reader, idle between reads
        store.erase(rid, by="data protection lead", reason="request")
        assert other.get(rid)["what_we_tried"] == ""
        assert MARKER.encode() not in _file_bytes(path).lower()


def test_erasing_twice_an_unknown_id_or_without_a_reason_is_refused(tmp_path):
    with ReflectionStore(tmp_path / "learning.sqlite") as store:
        rid = store.add(reflection(status="draft"))
        with pytest.raises(DataError, match="reflection id 99 is not in the store"):
            store.erase(99, by="data protection lead", reason="request")
        with pytest.raises(ParameterError, match="reason"):
            store.erase(rid, by="data protection lead", reason="  ")
        with pytest.raises(ParameterError, match="role"):
            store.erase(rid, by="", reason="request")
        assert store.get(rid)["status"] == "draft"  # nothing happened
        store.erase(rid, by="data protection lead", reason="request")
        with pytest.raises(DataError) as err:
            store.erase(rid, by="someone else", reason="again")
        message = str(err.value)
        assert f"reflection {rid} was already erased on 20" in message
        assert "by data protection lead" in message and "\n" not in message
        assert list(store.history(rid)["action"]) == ["create", "status", "erase"]


def test_erase_in_a_store_written_by_the_previous_schema(tmp_path):
    path = tmp_path / "learning.sqlite"
    shutil.copy(FIXTURE, path)
    assert MARKER.encode() in path.read_bytes()  # reflection 3, withdrawn: text still there
    with ReflectionStore(path) as store:
        store.erase(3, by="data protection lead", reason="request")
        assert store.integrity_check() == "ok"
        assert len(store.shareable()) == 1
    assert MARKER.encode() not in _file_bytes(path).lower()


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVALKIT_PSEUDONYM_KEY": KEY}
    return subprocess.run(
        [str(EVALKIT), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_reflect_erase_on_the_command_line(tmp_path, capsys):
    store = tmp_path / "learning.sqlite"
    with ReflectionStore(store) as s:
        rid = _marked(s)
    args = ["reflect", "erase", str(rid), "--store", str(store)]
    assert main([*args, "--by", "data protection lead", "--reason", "erasure request"]) == 0
    out = capsys.readouterr().out
    assert f"reflection {rid} erased" in out and out.count("\n") == 1
    assert MARKER.encode() not in _file_bytes(store).lower()
    for case, message in (
        ((str(rid),), f"reflection {rid} was already erased on"),
        (("42",), "reflection id 42 is not in the store"),
    ):
        done = _run(
            "reflect", "erase", *case, "--store", str(store), "--by", "dpo", "--reason", "x"
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("evalkit: error:") and message in done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    done = _run("reflect", "erase", str(rid), "--store", str(store), "--by", "dpo")
    assert done.returncode == 2 and "--reason" in done.stderr


def test_a_reader_that_keeps_the_log_busy_is_reported_and_erasing_again_finishes(
    tmp_path, monkeypatch
):
    import evalkit.learning.store.database as database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "learning.sqlite"
    with ReflectionStore(path) as store:
        rid = _marked(store)
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM reflections").fetchone()  # holds a snapshot
        with pytest.raises(DataError, match="being read by another program") as err:
            store.erase(rid, by="data protection lead", reason="request")
        assert "run the same erase command again" in str(err.value)
        assert store.get(rid)["what_we_tried"] == ""  # the erasure itself is done
        reader.execute("COMMIT")
        reader.close()
        with pytest.raises(DataError, match="already erased"):
            store.erase(rid, by="data protection lead", reason="request")
    assert MARKER.encode() not in _file_bytes(path).lower()
