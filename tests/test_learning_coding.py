"""Codebook, suggested codes, theme counts, co-occurrence, actions and continuity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from _learning import KEY, reflection
from evalkit.exceptions import ConfigError, DataError, DisclosureWarning, ParameterError
from evalkit.learning.actions import continuity, open_actions, overdue_actions
from evalkit.learning.coding import (
    check_codebook,
    co_occurrence,
    coder_agreement,
    load_codebook,
    quotes_for,
    suggest_codes,
    tfidf_matrix,
    theme_counts,
)
from evalkit.learning.records import Code
from evalkit.learning.store import ReflectionStore

CODES = [
    Code(name="relationships", definition="continuity of the worker and family relationship"),
    Code(name="venues", definition="where we meet people: school gate, community venue"),
    Code(name="practical_help", definition="money, budget, spending on practical things"),
]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)
    with ReflectionStore(tmp_path / "learning.sqlite") as s:
        yield s


# -- codebook ----------------------------------------------------------------------------------


def test_codebook_checks(tmp_path):
    with pytest.raises(ConfigError, match="'trust' appears more than once"):
        check_codebook([{"name": "trust"}, {"name": "trust"}])
    with pytest.raises(ConfigError, match="parent 'ghost'"):
        check_codebook([{"name": "trust", "parent": "ghost"}])
    with pytest.raises(ConfigError, match="own ancestor"):
        check_codebook([{"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}])
    path = tmp_path / "codes.yaml"
    path.write_text(
        "codes:\n  - {name: relationships, definition: trust}\n"
        "  - {name: continuity, definition: same worker, parent: relationships}\n",
        encoding="utf-8",
    )
    assert [c.parent for c in load_codebook(path)] == [None, "relationships"]


# -- TF-IDF and suggestions --------------------------------------------------------------------


def test_tfidf_matches_a_hand_computation():
    # Independent computation of the smoothed TF-IDF used by scikit-learn's TfidfVectorizer
    # defaults (idf = ln((1 + n) / (1 + df)) + 1, raw counts, L2 rows), done by hand:
    # documents "trust trust venue" and "venue"; n = 2, df(trust) = 1, df(venue) = 2.
    # idf(trust) = ln(3/2) + 1 = 1.4054651; idf(venue) = ln(3/3) + 1 = 1.
    # Row 1 = (2.8109302, 1) / sqrt(2.8109302^2 + 1) = (2.8109302, 1) / 2.9835094
    #       = (0.9421556, 0.3351757); row 2 = (0, 1).
    matrix, vocabulary = tfidf_matrix(["trust trust venue", "venue"])
    assert vocabulary == ["trust", "venue"]
    np.testing.assert_allclose(matrix, [[0.9421556, 0.3351757], [0.0, 1.0]], atol=1e-6)
    row = 2 * (math.log(1.5) + 1)
    assert matrix[0, 0] == pytest.approx(row / math.hypot(row, 1))


def test_suggestions_are_offered_never_applied(store):
    rid = store.add(reflection())
    store.review(rid, by="Jo", shareable=True)
    store.set_codebook(CODES, by="Jo")
    suggestions = suggest_codes(store.shareable(), store.codebook())
    assert suggestions["code"].iloc[0] == "venues"
    assert "gate" in suggestions["shared_words"].iloc[0]
    assert store.codings().empty
    store.assign_code(rid, "venues", coder="Jo", slot="what_we_learned")
    assert list(store.codings()["code"]) == ["venues"]
    with pytest.raises(DataError, match="'trust' is not in the codebook"):
        store.assign_code(rid, "trust", coder="Jo")


# -- theme counts and co-occurrence ------------------------------------------------------------


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for i in range(12):
        rows.append(
            {
                "id": i + 1,
                "author": f"a-{i % 4:012d}",
                "locality": "E08000012" if i < 10 else "E08000011",
                "period": "2024Q3",
                "role": "provider",
            }
        )
    reflections = pd.DataFrame(rows)
    codings = pd.DataFrame(
        {
            "reflection_id": [r["id"] for r in rows] + [1, 2],
            "code": ["trust"] * 12 + ["trust", "venues"],
            "slot": [""] * 14,
            "coder": ["c1"] * 12 + ["c2", "c1"],
        }
    )
    return reflections, codings


def test_theme_counts_count_reflections_and_distinct_authors_then_suppress():
    reflections, codings = _frames()
    policy = {"low": 1, "high": 2, "symbol": "*"}
    with pytest.warns(DisclosureWarning, match="between 1 and 2"):
        table = theme_counts(reflections, codings, by=("locality",), policy=policy).table
    # By hand: trust in E08000012 - reflections 1-10 (the second coder of reflection 1 does not
    # count twice), authors a-0..a-3 = 4; in E08000011 - reflections 11, 12, authors a-2, a-3.
    assert table.loc[("trust", "E08000012"), "reflections"] == 10
    assert table.loc[("trust", "E08000012"), "authors"] == 4
    assert table.loc[("trust", "E08000011"), "reflections"] == "*"
    assert table.loc[("venues", "E08000012"), "authors"] == "*"
    with pytest.warns(DisclosureWarning, match="NHS England"):
        nhs = theme_counts(reflections, codings, by=())
    assert nhs.table.loc["trust", "reflections"] == 10
    assert nhs.table.loc["trust", "authors"] == "*"
    assert "suppressed" in nhs.summary()


def test_co_occurrence_raw_counts_and_conditional_shares():
    reflections = pd.DataFrame({"id": [1, 2, 3, 4]})
    codings = pd.DataFrame(
        {
            "reflection_id": [1, 1, 2, 3, 3, 3, 4, 1],
            "code": ["a", "b", "a", "a", "b", "c", "c", "b"],
        }
    )
    table = co_occurrence(reflections, codings).set_index(["code_a", "code_b"])
    # By hand: a in {1,2,3}, b in {1,3}, c in {3,4}.
    assert table.loc[("a", "b")].tolist() == [3, 2, 2, pytest.approx(2 / 3), 1.0]
    assert table.loc[("a", "c")].tolist() == [3, 2, 1, pytest.approx(1 / 3), 0.5]
    assert table.loc[("b", "c")].tolist() == [2, 2, 1, 0.5, 0.5]


def test_coder_agreement_matches_cohens_worked_example():
    # Cohen's kappa on the classic 2x2 example (50 items: both yes 20, only A 5, only B 10,
    # neither 15): p_o = 0.70, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50, kappa = 0.40; statsmodels'
    # inter_rater.cohens_kappa([[20, 5], [10, 15]]) gives the same 0.40.
    cells = [("both", 20), ("a", 5), ("b", 10), ("neither", 15)]
    rows, rid = [], 0
    for kind, count in cells:
        for _ in range(count):
            rid += 1
            rows += [(rid, "seen", "A"), (rid, "seen", "B")]
            if kind in ("both", "a"):
                rows.append((rid, "trust", "A"))
            if kind in ("both", "b"):
                rows.append((rid, "trust", "B"))
    codings = pd.DataFrame(rows, columns=["reflection_id", "code", "coder"])
    table = coder_agreement(codings, "A", "B").set_index("code")
    trust = table.loc["trust"]
    assert (trust["n"], trust["both"], trust["a_only"], trust["b_only"]) == (50, 20, 5, 10)
    assert trust["agreement"] == pytest.approx(0.70)
    assert trust["kappa"] == pytest.approx(0.40)
    assert math.isnan(table.loc["seen", "kappa"])
    assert coder_agreement(codings, "A", "C").empty


def test_quotes_drill_back_by_role_only(store):
    rid = store.add(reflection())
    store.review(rid, by="Jo", shareable=True)
    store.set_codebook(CODES, by="Jo")
    store.assign_code(rid, "venues", coder="Jo", slot="what_we_learned")
    quotes = quotes_for("venues", store.shareable(), store.codings(), slot="what_we_learned")
    assert quotes[["role", "quote"]].to_dict("records") == [
        {"role": "frontline worker", "quote": "Where we meet people shapes who turns up."}
    ]
    assert "author" not in quotes.columns


# -- actions and continuity --------------------------------------------------------------------


def _actions(store: ReflectionStore) -> None:
    base = {"programme": "family-support", "locality": "E08000012", "owner_role": "provider"}
    store.add_action({**base, "description": "Book venues", "due_on": "2024-10-31"}, by="Jo")
    store.add_action(
        {**base, "description": "Call Priya Shah on 07700 900123", "due_on": "2024-12-31"},
        by="Jo",
        names=["Priya Shah"],
    )
    store.add_action(
        {**base, "description": "Drop the form", "due_on": "2024-09-01", "status": "done"},
        by="Jo",
    )


def test_open_and_overdue_actions(store):
    _actions(store)
    actions = store.actions()
    assert actions["description"].iloc[1] == "Call [NAME] on [PHONE]"
    opened = open_actions(actions, today="2024-11-15")
    assert opened["description"].tolist() == ["Book venues", "Call [NAME] on [PHONE]"]
    assert opened["days_to_due"].tolist() == [-15, 46]
    assert overdue_actions(actions, today="2024-11-15")["description"].tolist() == ["Book venues"]
    store.update_action(1, {"status": "done", "follow_up_reflection_id": 7}, by="Jo")
    assert overdue_actions(store.actions(), today="2024-11-15").empty
    assert list(store.history(1, entity="action")["version"]) == [1, 2]
    with pytest.raises(ParameterError, match="'next week'"):
        open_actions(actions, today="next week")


def test_continuity_finds_quiet_cycles_and_unfollowed_actions(store):
    _actions(store)
    store.add(reflection(learning_cycle="c-active", reflected_on="2024-11-01"))
    store.add(reflection(learning_cycle="c-quiet", reflected_on="2024-06-01"))
    store.add_cycle({"cycle_id": "c-empty", "programme": "p", "locality": "E08000012"}, by="Jo")
    store.add_cycle(
        {"cycle_id": "c-done", "programme": "p", "locality": "E08000012", "ended_on": "2024-07-01"},
        by="Jo",
    )
    store.add(reflection(learning_cycle="c-done", reflected_on="2024-05-01"))
    result = continuity(store.all(), store.actions(), store.cycles(), weeks=8, today="2024-11-15")
    quiet = result.quiet_cycles.set_index("learning_cycle")
    assert sorted(quiet.index) == ["c-empty", "c-quiet"]
    assert quiet.loc["c-quiet", "weeks_since"] == 23
    assert result.not_followed_up["description"].tolist() == ["Book venues", "Drop the form"]
    text = result.summary().lower()
    assert "2 learning cycles" in text
    assert not any(word in text for word in ("red", "amber", "green", "score", "rating"))
    with pytest.raises(ParameterError, match="weeks"):
        continuity(store.all(), store.actions(), weeks=0)
