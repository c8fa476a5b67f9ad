"""The workflow of a reflection: the table of allowed moves, in itself and as the store applies it."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _learning import KEY, reflection
from evalkit.exceptions import EvalkitError, ParameterError, PrivacyError
from evalkit.learning import workflow
from evalkit.learning.records import STATUSES
from evalkit.learning.store import TRANSITIONS, ReflectionStore

#: The states a reflection can rest in (``submitted`` moves on to ``redaction_pending`` at once).
RESTING = ("draft", "redaction_pending", "reviewed", "shareable", "withdrawn")


def _reach(store: ReflectionStore, state: str) -> int:
    """A new reflection brought to ``state`` the way people would bring it there."""
    if state == "draft":
        return store.add(reflection(status="draft"))
    rid = store.add(reflection())
    if state in ("reviewed", "shareable"):
        store.review(rid, by="Jo", shareable=state == "shareable")
    elif state == "withdrawn":
        store.withdraw(rid, by="Alex Morgan")
    return rid


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "learning.sqlite") as s:
        yield s


def test_the_table_covers_every_status_and_withdrawn_is_final():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(set(moves) <= set(STATUSES) for moves in TRANSITIONS.values())
    assert TRANSITIONS[workflow.FINAL] == ()
    assert all(workflow.FINAL in TRANSITIONS[s] for s in STATUSES if s != workflow.FINAL)
    # shareable is entered only from reviewed: a person's review comes first
    assert [s for s in STATUSES if "shareable" in TRANSITIONS[s]] == ["reviewed"]
    assert TRANSITIONS is workflow.TRANSITIONS


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_check_move_allows_exactly_the_table(current, new):
    if new in TRANSITIONS[current]:
        workflow.check_move(current, new, consent=True, rid=7)
        return
    with pytest.raises(ParameterError) as err:
        workflow.check_move(current, new, consent=True, rid=7)
    message = str(err.value)
    assert f"reflection 7: status cannot move from {current!r} to {new!r}; allowed: " in message
    assert "\n" not in message
    if current == "withdrawn":
        assert "none (withdrawn is final)" in message
    else:
        assert message.endswith(", ".join(TRANSITIONS[current]))


def test_check_move_refuses_unknown_states_and_sharing_without_consent():
    with pytest.raises(ParameterError, match="'published'"):
        workflow.check_move("draft", "published", consent=True)
    with pytest.raises(ParameterError, match="'limbo'"):
        workflow.check_move("limbo", "draft", consent=True)
    with pytest.raises(PrivacyError, match="consent is 'no'"):
        workflow.check_move("reviewed", "shareable", consent=False)
    assert workflow.status_changes("withdrawn") == {"status": "withdrawn", "consent": "0"}
    assert workflow.after_text_change("shareable") == "redaction_pending"
    assert workflow.after_text_change("draft") is None
    assert workflow.initial_status("redaction_pending") == "submitted"
    with pytest.raises(PrivacyError, match="'reviewed'"):
        workflow.initial_status("reviewed")


@pytest.mark.parametrize(("current", "new"), list(itertools.product(RESTING, STATUSES)))
def test_store_makes_every_allowed_move_and_refuses_every_other(store, current, new):
    rid = _reach(store, current)
    before = store.get(rid)
    assert before["status"] == current
    trail = len(store.history(rid))
    if new in TRANSITIONS[current]:
        store.transition(rid, new, by="Jo Reviewer", note="a move")
        after = store.get(rid)
        assert after["status"] == workflow.AUTOMATIC.get(new, new)
        last = store.history(rid).iloc[-1]
        assert last["action"] == "status"
        return
    with pytest.raises(ParameterError) as err:
        store.transition(rid, new, by="Jo Reviewer")
    assert f"from {current!r} to {new!r}" in str(err.value)
    assert store.get(rid) == before  # nothing written
    assert len(store.history(rid)) == trail


def test_store_refuses_sharing_without_consent(store):
    rid = store.add(reflection(consent="no"))
    store.review(rid, by="Jo")
    with pytest.raises(PrivacyError, match=f"reflection {rid} cannot be made shareable"):
        store.transition(rid, "shareable", by="Jo")
    assert store.get(rid)["status"] == "reviewed"


_MOVES = st.lists(
    st.one_of(
        st.sampled_from(STATUSES),
        st.sampled_from(["review", "review and share", "edit", "consent yes", "consent no"]),
    ),
    max_size=10,
)


@settings(max_examples=40, deadline=None)
@given(moves=_MOVES, consent=st.booleans(), start=st.sampled_from(["draft", "submitted"]))
def test_property_random_moves_keep_the_invariants(moves, consent, start):
    with (
        tempfile.TemporaryDirectory() as folder,
        ReflectionStore(Path(folder) / "l.sqlite", key=KEY.encode()) as s,
    ):
        rid = s.add(
            reflection(status=start, consent="yes" if consent else "no", what_happened="A yak.")
        )
        steps = {
            "review": lambda: s.review(rid, by="R"),
            "review and share": lambda: s.review(rid, by="R", shareable=True),
            "edit": lambda: s.update(rid, {"what_we_learned": "Another yak."}, by="A"),
            "consent yes": lambda: s.update(rid, {"consent": "yes"}, by="A"),
            "consent no": lambda: s.update(rid, {"consent": "no"}, by="A"),
        }
        for move in moves:
            before, trail = s.get(rid), len(s.history(rid))
            try:
                if move in steps:
                    steps[move]()
                else:
                    s.transition(rid, move, by="P")
            except EvalkitError:
                # a refused move writes nothing
                assert s.get(rid) == before and len(s.history(rid)) == trail
            rec = s.get(rid)
            # a reflection never rests in 'submitted': the redaction pass follows at once
            assert rec["status"] in STATUSES and rec["status"] != "submitted"
            if before["status"] == "withdrawn":
                assert rec == before  # final
            if rec["status"] == "withdrawn":
                assert not rec["consent"]
            shared = rid in set(s.shareable()["id"])
            assert shared == workflow.is_shared(rec["status"], rec["consent"])
            indexed = not s.search("yak", shareable_only=False).empty
            assert indexed == (rec["status"] != "withdrawn")
        # the audit trail: versions 1..n, and only allowed moves between consecutive versions
        trail = s.history(rid).to_dict("records")
        assert [h["version"] for h in trail] == list(range(1, len(trail) + 1))
        statuses = [s.version(rid, h["version"])["status"] for h in trail]
        for (old, new), h in zip(itertools.pairwise(statuses), trail[1:], strict=True):
            if old != new:
                assert new in TRANSITIONS[old], (old, new)
                assert h["action"] == "status" and "status" in json.loads(h["changed_fields"])
            if new == "shareable" and old != "shareable":
                assert not h["changed_by"].startswith("system:")
        if not consent and "consent yes" not in moves:
            assert "shareable" not in statuses
        assert s.integrity_check() == "ok"
