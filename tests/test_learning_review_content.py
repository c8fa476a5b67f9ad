"""What a learning review says (issue 12, "learning that helps learning"): learning cycles and
what they tried, themes pooled when a locality's counts are all suppressed, commitments tracked as
actions, quotes attributed by role only when enough people hold it, a locality with no learning
cycle saying so, and the evaluation's open questions carried into the review.

Real stores (SQLite in a temporary folder, the public API) and the demo's learning log; HTML
from the functions that produce it, no notebook run."""

from __future__ import annotations

import html
import re

import pytest

from _learning import KEY, reflection
from evalkit.config import load_spec
from evalkit.exceptions import DataError
from evalkit.learning.actions import Continuity, commitments, track_commitment
from evalkit.learning.review import PARTNER, learning_review, role_threshold
from evalkit.learning.store import ReflectionStore

SCRIPT = "<script>alert(1)</script>"
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _text(fragment: str) -> str:
    fragment = re.sub(r"<figure.*?</figure>", " ", fragment, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "learning.sqlite") as s:
        yield s


def _shared(store: ReflectionStore, **changes) -> int:
    rid = store.add(reflection(**changes))
    store.review(rid, by="Jo Reviewer", shareable=True)
    return rid


def _cycle(store: ReflectionStore, cycle_id: str, locality: str = "E08000012", **more) -> None:
    store.add_cycle(
        {"cycle_id": cycle_id, "programme": "family-support", "locality": locality, **more},
        by="Jo",
    )


# -- a locality with no learning cycle says so ------------------------------------------------


def test_a_locality_with_no_learning_cycle_says_so(store):
    _cycle(store, "E08000012-cycle-1", name="Meeting families where they are")
    _shared(store)  # Liverpool has a cycle and a reflection; Rutland has neither
    review = learning_review(store, locality="E06000017", locality_name="Rutland", period="2024/25")
    page = _text(review.to_html())
    assert not review.has_cycle
    assert "No learning cycle has been recorded for Rutland yet." in page
    assert "0 learning cycles had no reflection" not in page
    assert "had no reflection in the last" not in page  # nothing reads as healthy
    assert review.continuity.n_cycles == 0
    assert "no learning cycle has been recorded" in review.continuity.summary()
    # Liverpool, with its cycle, reads as before.
    liverpool = learning_review(store, locality="E08000012", period="2024/25")
    assert liverpool.has_cycle and "No learning cycle has been recorded" not in liverpool.to_html()
    assert "Meeting families where they are" in liverpool.to_html()


def test_a_cycle_named_only_by_reflections_still_counts_as_a_cycle(store):
    _shared(store, learning_cycle="E08000012-unrecorded")
    review = learning_review(store, locality="E08000012", period="2024/25")
    assert review.has_cycle and review.cycles["cycle_id"].tolist() == ["E08000012-unrecorded"]
    assert "No learning cycle has been recorded" not in review.to_html()


def test_continuity_with_cycles_never_reads_zero_as_a_count():
    import pandas as pd

    empty = pd.DataFrame(columns=["learning_cycle", "locality", "last_reflection", "weeks_since"])
    fine = Continuity(8, "2025-03-31", empty, pd.DataFrame(), n_cycles=2)
    assert "no learning cycle still running went without a reflection" in fine.summary()
    none = Continuity(8, "2025-03-31", empty, pd.DataFrame(), n_cycles=0)
    assert "no learning cycle has been recorded" in none.summary()


# -- what was tried, what happened, the confidence recorded -----------------------------------


def test_cycles_show_what_was_tried_what_happened_and_confidence_shared_only(store):
    _cycle(
        store,
        "E08000012-cycle-1",
        name="Meeting families where they are",
        phase="co-design experiments",
        started_on="2024-07-01",
    )
    _shared(
        store,
        what_we_tried="We met parents at the school gate.",
        what_happened=f"More fathers came {SCRIPT}; Sam Reid said so.",
        confidence="well supported",
    )
    store.add(reflection(what_happened="Unreviewed: not for sharing."))
    _shared(store, what_happened="Withdrawn later.", author="Priya Shah")
    store.withdraw(int(store.overview()["id"].iloc[-1]), by="Priya Shah")
    rid = store.add(reflection(what_happened="No consent given.", consent="no"))
    store.review(rid, by="Jo Reviewer")
    review = learning_review(store, locality="E08000012", period="2024Q3")
    page = review.to_html()
    assert review.experiments["confidence"].tolist() == ["well supported"]
    assert "What was tried:</strong> We met parents at the school gate." in page
    assert html.escape(SCRIPT) in page and SCRIPT not in page
    assert "Started 1 July 2024; phase" not in page and "Phase: co-design experiments" in page
    assert "started 1 July 2024; still running" in page
    assert "well supported" in page
    for hidden in ("Unreviewed", "Withdrawn later", "No consent given"):
        assert hidden not in page
    # Redacted text only: the author's name and a name given at review never leave the store.
    assert "Alex Morgan" not in page


# -- coding and pooled theme counts ------------------------------------------------------------


def _coded(store: ReflectionStore, locality: str, n: int, code: str = "Venues") -> None:
    store.set_codebook([{"name": code, "definition": "where we meet"}], by="Jo")
    for i in range(n):
        rid = _shared(store, locality=locality, author=f"Person {locality} {i}")
        store.assign_code(rid, code, coder="Jo Coder")


def test_theme_counts_pool_to_the_programme_when_every_locality_count_is_suppressed(store):
    _coded(store, "E08000012", 3)  # 3: suppressed under the NHS England rules
    _coded(store, "E08000011", 9)
    review = learning_review(
        store, locality="E08000012", locality_name="Liverpool", period="2024/25"
    )
    assert review.themes_scope == "programme by period"
    assert review.themes.loc["Venues", "2024Q3"] == 10  # 12 reflections, rounded to 5
    page = _text(review.to_html())
    assert "Too few reflections from Liverpool were coded with any one theme" in page
    assert "the counts below are for the whole programme, every locality together" in page
    assert "Themes raised in Liverpool: Venues." in page
    assert " 3 " not in page.split("Themes over time", 1)[1].split("What we learned", 1)[0]
    # A locality whose own counts can be shown keeps them.
    knowsley = learning_review(store, locality="E08000011", period="2024/25")
    assert knowsley.themes_scope == "locality"
    assert knowsley.themes.loc["Venues", "2024Q3"] == 10  # 9, rounded to 5
    assert "whole programme" not in knowsley.to_html()


def test_nothing_coded_says_so_in_plain_words(store):
    _shared(store)
    page = _text(learning_review(store, locality="E08000012", locality_name="Liverpool").to_html())
    assert "No shared reflection from Liverpool has been coded with a theme yet." in page


# -- commitments become tracked actions -------------------------------------------------------


def test_untracked_commitments_never_sit_beside_no_open_actions(store):
    rid = _shared(store, what_we_will_change="We will book community venues.")
    review = learning_review(store, locality="E08000012", period="2024Q3")
    page = _text(review.to_html())
    assert len(review.untracked) == 1
    assert "not yet tracked as an action" in page
    assert "No open actions." not in page
    assert "1 commitment above is not yet tracked as an action" in page
    # A person says who takes it forward and by when; it becomes a tracked action.
    aid = track_commitment(store, rid, owner_role="provider", due_on="2024-12-31", by="Jo")
    assert track_commitment(store, rid, owner_role="x", due_on="2025-01-01", by="Jo") == aid
    action = store.actions().set_index("id").loc[aid]
    assert action["description"] == "We will book community venues."
    assert action["reflection_id"] == rid and action["learning_cycle"] == "E08000012-cycle-1"
    after = learning_review(store, locality="E08000012", period="2024Q3", today="2024-10-01")
    page = _text(after.to_html())
    assert after.untracked.empty and len(after.open_actions) == 1
    assert "tracked as an action: provider to take it forward by 31 December 2024" in page
    store.update_action(aid, {"status": "done"}, by="Jo")
    done = learning_review(store, locality="E08000012", period="2024Q3")
    assert "tracked as an action, now done" in _text(done.to_html())
    assert "No open actions." in done.to_html()  # nothing left untracked beside it


def test_only_shared_commitments_can_be_tracked_and_withdrawal_hides_the_action(store):
    waiting = store.add(reflection())
    with pytest.raises(DataError, match="not shared"):
        track_commitment(store, waiting, owner_role="provider", due_on="2024-12-31", by="Jo")
    rid = _shared(store, what_we_will_change="We will try evening sessions.")
    track_commitment(store, rid, owner_role="provider", due_on="2099-12-31", by="Jo")
    assert "evening sessions" in learning_review(store, locality="E08000012").to_html()
    store.withdraw(rid, by="Alex Morgan", reason="changed my mind")
    assert "evening sessions" not in learning_review(store, locality="E08000012").to_html()


def test_commitments_link_each_reflection_to_its_latest_action(store):
    first = _shared(store, what_we_will_change="We will change A.")
    _shared(store, what_we_will_change="We will change B.")
    track_commitment(store, first, owner_role="provider", due_on="2024-12-31", by="Jo")
    table = commitments(store.shareable(), store.actions())
    assert table["tracked"].tolist() == [True, False]
    assert table["owner_role"].tolist() == ["provider", ""]


# -- quotes attributed by role only when enough people hold it --------------------------------


def test_quotes_name_a_role_only_when_enough_people_hold_it_here(store):
    assert role_threshold("nhs") == 8 and role_threshold("dfe") == 6
    for i in range(7):
        _shared(store, role="frontline worker", author=f"Worker {i}")
    _shared(store, role="commissioner", author="Casey Commissioner")
    review = learning_review(store, locality="E08000012", period="2024Q3")
    assert set(review.quotes["attributed_to"]) == {PARTNER}
    assert "role" not in review.quotes.columns
    page = review.to_html()
    assert "- frontline worker" not in page and "- commissioner" not in page
    assert f"- {PARTNER}, 2024Q3" in page
    # An eighth frontline worker: now enough people hold the role to name it, not the other.
    _shared(store, role="frontline worker", author="Worker 7")
    review = learning_review(store, locality="E08000012", period="2024Q3")
    by_role = review.quotes.groupby("attributed_to").size().to_dict()
    assert by_role == {"frontline worker": 16, PARTNER: 2}
    assert set(review.experiments["attributed_to"]) == {"frontline worker", PARTNER}
    # People in another locality do not count towards this one.
    other = learning_review(store, locality="E08000011", period="2024Q3")
    assert other.quotes.empty
    # A policy publishing smaller counts names a role held by fewer people.
    dfe = learning_review(store, locality="E08000012", period="2024Q3", policy="dfe")
    assert "commissioner" not in set(dfe.quotes["attributed_to"])


# -- the demo's learning log, the review page and the report section --------------------------


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory):
    from conftest import make_project
    from evalkit.demo import load_demo_reflections
    from evalkit.intake import prepare

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
        spec_path = make_project(tmp_path_factory.mktemp("learning-content"))
        store_path = load_demo_reflections(spec_path)
        prepare(load_spec(spec_path))
        yield spec_path, store_path


def test_the_demo_codes_tracks_and_runs_cycles_through_the_real_api(demo_project, monkeypatch):
    _, store_path = demo_project
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(store_path) as store:
        shared, codings, actions = store.shareable(), store.codings(), store.actions()
        cycles = store.cycles()
        liverpool = learning_review(store, locality="E08000012", locality_name="Liverpool")
        knowsley = learning_review(store, locality="E08000011", locality_name="Knowsley")
    assert set(codings["reflection_id"]) == set(shared["id"])  # every shared reflection coded
    assert not codings["code"].str.contains("_").any()  # themes in words readers know
    assert set(actions["reflection_id"].dropna()) <= set(shared["id"])
    assert (actions["status"] == "done").any() and (actions["status"] == "open").any()
    assert "E10000020" in set(cycles["locality"])  # Norfolk: a cycle with nothing shared yet
    assert "E09000028" not in set(cycles["locality"])  # Southwark: no learning cycle at all
    assert liverpool.themes_scope == "locality" and knowsley.themes_scope != "locality"
    assert not liverpool.untracked.empty and not liverpool.open_actions.empty
    assert "frontline worker" in set(liverpool.quotes["attributed_to"])
    assert PARTNER in set(liverpool.quotes["attributed_to"])


def test_open_questions_come_from_the_findings(demo_project):
    from evalkit.reports import context
    from evalkit.reports.findings import compute_findings
    from evalkit.reports.learning_review import MAX_QUESTIONS, open_questions

    spec_path, _ = demo_project
    torbay = compute_findings(context(spec_path, "E06000027", ""))
    questions = open_questions(torbay)
    unclear = [
        of.name for of in torbay.outcomes.values() if of.impact and of.impact.crosses_no_effect
    ]
    assert unclear and len(questions) <= MAX_QUESTIONS
    for name in unclear[: MAX_QUESTIONS - 1]:
        wanted = f"The difference the service made to {name.lower()} in Torbay could not be told"
        assert any(q.startswith(wanted) for q in questions), (name, questions)
    assert all(q.rstrip().endswith("?") for q in questions)
    assert not any(SNAKE.search(q) for q in questions)
    rutland = compute_findings(context(spec_path, "E06000017", ""))
    assert open_questions(rutland) == [
        "Too few families used the service in Rutland for the evaluation to measure what changed "
        "for them. What do families and workers there say has helped, and what should the next "
        "learning cycle try to find out?"
    ]


def test_review_pages_of_the_demo_read_plainly(demo_project):
    from evalkit.reports.learning_review import review_html

    spec_path, _ = demo_project
    torbay = review_html(spec_path, "E06000027")
    text = _text(torbay)
    assert "Learning review: Torbay," in text
    assert "No learning cycle has been recorded for Torbay yet." in text
    assert "Questions for the next learning cycle" in text
    assert "could not be told apart from no change" in text
    liverpool = _text(review_html(spec_path, "E08000012"))
    assert "Morning huddles" in liverpool and "What was tried:" in liverpool
    assert "Confidence recorded" in liverpool
    assert "not yet tracked as an action" in liverpool and "No open actions." not in liverpool
    for page in (text, liverpool):
        assert not SNAKE.findall(page), sorted(set(SNAKE.findall(page)))


def test_report_sections_say_plainly_what_each_locality_has(demo_project):
    from evalkit.reports import context
    from evalkit.reports.findings import compute_findings
    from evalkit.reports.sections import learning

    spec_path, _ = demo_project
    rutland_ctx = context(spec_path, "E06000017", "")
    rutland = learning(rutland_ctx, compute_findings(rutland_ctx))
    text = _text(rutland)
    assert text.startswith(" What the partners learned No learning cycle has been recorded for ")
    assert "Rutland yet, and no reflections from Rutland have been shared." in text
    assert "Questions a first learning cycle here could start from:" in text
    assert "Too few families used the service in Rutland" in text
    assert "0 learning cycles" not in text
    liverpool = learning(context(spec_path, "E08000012", ""))
    assert liverpool.count("<h2") == 1  # the review sits under the section's own heading
    assert "<h3>Learning review: Liverpool," in liverpool
    assert "<h4>Learning cycles: what was tried and what happened</h4>" in liverpool
    assert "<h5>Morning huddles</h5>" in liverpool
    assert "Questions for the next learning cycle" not in liverpool  # no findings given
    for page in (rutland, liverpool):
        assert not SNAKE.findall(_text(page)), sorted(set(SNAKE.findall(_text(page))))
