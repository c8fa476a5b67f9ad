"""Common support on categories in match(), and separation errors that say only what is true.

The main frame has six served people on common support, each with a comparison "twin" with
the same age band and the same risk score (so the same propensity score: the twin is at
distance 0 and is the match), four more comparison people with low risk (so the logit has
something to fit and converges), and three served people aged 'Under 18', a band with no
comparison person. Those three must be left out before the model; the ATT is then the mean
of the six served-minus-twin differences, computed by hand below.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, StatisticalWarning
from evalkit.impact import match

# (label, age band, risk, served, outcome)
ROWS = [
    # served on common support, and their twins
    ("S1", "18-24", 3, 1, 10.0),
    ("S2", "18-24", 7, 1, 12.0),
    ("S3", "18-24", 12, 1, 15.0),
    ("S4", "25-39", 5, 1, 11.0),
    ("S5", "25-39", 9, 1, 14.0),
    ("S6", "25-39", 14, 1, 18.0),
    ("T1", "18-24", 3, 0, 8.0),
    ("T2", "18-24", 7, 0, 11.0),
    ("T3", "18-24", 12, 0, 12.0),
    ("T4", "25-39", 5, 0, 10.0),
    ("T5", "25-39", 9, 0, 10.0),
    ("T6", "25-39", 14, 0, 15.0),
    # more comparison people, lower risk
    ("C1", "18-24", 1, 0, 7.0),
    ("C2", "25-39", 2, 0, 9.0),
    ("C3", "18-24", 4, 0, 9.0),
    ("C4", "25-39", 6, 0, 8.0),
    # served, in a band with no comparison person: off common support
    ("U1", "Under 18", 6, 1, 40.0),
    ("U2", "Under 18", 10, 1, 45.0),
    ("U3", "Under 18", 13, 1, 50.0),
]
# ATT on common support, by hand: differences S - T = 10-8, 12-11, 15-12, 11-10, 14-10, 18-15
# = 2, 1, 3, 1, 4, 3; sum 14; ATT = 14 / 6 = 7/3.
ATT = 14 / 6
# Paired SE: deviations from 7/3 are -1/3, -4/3, 2/3, -4/3, 5/3, 2/3; squares sum to
# (1 + 16 + 4 + 16 + 25 + 4) / 9 = 66/9; variance 66/9 / 5 = 22/15; SE = sqrt(22/15 / 6).
SE = np.sqrt(22 / 15 / 6)


def _frame(rows=ROWS) -> pd.DataFrame:
    labels, age, risk, served, y = zip(*rows, strict=True)
    return pd.DataFrame(
        {"Age": age, "DASH Risk": np.array(risk, dtype=float), "served": served, "y": y},
        index=list(labels),
    )


def _independent_att(df: pd.DataFrame) -> float:
    """Separate numpy implementation: drop served people whose band has no comparison person,
    then pair each served person with the comparison person of identical profile."""
    d = df["served"].to_numpy()
    age = df["Age"].to_numpy()
    risk = df["DASH Risk"].to_numpy()
    y = df["y"].to_numpy()
    bands_c = set(age[d == 0])
    diffs = []
    for i in np.flatnonzero(d == 1):
        if age[i] not in bands_c:
            continue
        twin = np.flatnonzero((d == 0) & (age == age[i]) & (risk == risk[i]))
        assert len(twin) == 1
        diffs.append(y[i] - y[twin[0]])
    return float(np.mean(diffs))


def _run(df: pd.DataFrame, covariates=("Age", "DASH Risk")):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = match(df, "served", list(covariates), "y")
    return res, [str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)]


def test_served_people_in_a_band_with_no_comparison_are_left_out_and_named():
    df = _frame()
    res, messages = _run(df)
    # exactly the three 'Under 18' people are left out, and the warning says so in one line
    assert messages == [
        "no comparison person is in category 'Under 18' of 'Age': the 3 served people in it "
        "are left out of the matched comparison (common support)"
    ]
    assert res.off_support == {"Age": ["Under 18"]}
    assert res.n_off_support == 3
    assert res.n_treated == 9  # all served people in the data, 3 of them left out
    assert res.n_matched == 6
    assert res.comparison_only == {}
    # each served person on support is matched to their twin
    pairs = dict(zip(res.matches["treated"], res.matches["control"], strict=True))
    assert pairs == {f"S{k}": f"T{k}" for k in range(1, 7)}
    assert (res.matches["distance"] == 0).all()
    assert not {"U1", "U2", "U3"} & set(res.matches["treated"])
    # the ATT and its paired SE, by hand and by the separate implementation
    assert res.estimate == pytest.approx(ATT, rel=1e-12)
    assert res.estimate == pytest.approx(_independent_att(df), rel=1e-12)
    assert res.se == pytest.approx(SE, rel=1e-12)
    assert res.n == 12  # 6 served + 6 twins
    # the method says whom the ATT describes, with no count
    assert res.method.endswith(
        "; served people in category 'Under 18' of 'Age' had no comparison person and were "
        "left out before matching (common support), so the ATT describes the served people on "
        "common support"
    )
    assert "(3 left out first, in category 'Under 18' of 'Age'" in res.summary()
    # balance is computed on common support: the exact twins balance every term
    assert set(res.balance["term"]) == {"Age_25-39", "DASH Risk", "propensity score (logit)"}
    assert res.balance["smd_after"].abs().max() == pytest.approx(0, abs=1e-12)


def test_one_served_person_off_support_is_named_in_the_singular():
    df = _frame([r for r in ROWS if r[0] not in ("U2", "U3")])
    res, messages = _run(df)
    assert messages == [
        "no comparison person is in category 'Under 18' of 'Age': the 1 served person in it is "
        "left out of the matched comparison (common support)"
    ]
    assert res.n_off_support == 1 and res.estimate == pytest.approx(ATT, rel=1e-12)


def test_the_same_result_as_on_the_data_without_the_off_support_people():
    df = _frame()
    res, _ = _run(df)
    kept, messages = _run(df.drop(index=["U1", "U2", "U3"]))
    assert messages == []  # nothing left out there
    assert kept.off_support == {} and kept.n_off_support == 0
    assert res.caliper_width == pytest.approx(kept.caliper_width, rel=1e-12)  # same logit fit
    assert res.estimate == kept.estimate and res.se == kept.se
    assert "common support" not in kept.method


def test_a_band_with_only_comparison_people_is_dropped_from_the_pool_silently():
    # Choice: comparison people in a category with no served person are left out of the pool
    # with no warning (they could never be a match; the ATT still describes every served person
    # it did), and recorded in comparison_only.
    extra = [("O1", "40+", 4.0, 0, 30.0), ("O2", "40+", 11.0, 0, 35.0), ("O3", "40+", 8, 0, 33)]
    df = _frame([r for r in ROWS if not r[0].startswith("U")] + extra)
    res, messages = _run(df)
    assert messages == []
    assert res.comparison_only == {"Age": ["40+"]}
    assert res.off_support == {} and res.n_off_support == 0
    assert not {"O1", "O2", "O3"} & set(res.matches["control"])
    # the propensity model did not see them: the fit is the one without them
    without, _ = _run(df.drop(index=["O1", "O2", "O3"]))
    assert res.caliper_width == pytest.approx(without.caliper_width, rel=1e-12)
    assert res.estimate == pytest.approx(ATT, rel=1e-12)
    assert "40+" not in " ".join(res.balance["term"])


def test_a_0_1_covariate_whose_1s_are_all_served_is_a_category_too():
    # 'Pregnant' 1 only among the three U people (now in band 18-24 with twins absent): left
    # out as category '1' of 'Pregnant'; 'Pregnant' is then 0 for everyone and leaves the model.
    rows = [(lab, "18-24" if lab.startswith("U") else a, r, s, y) for lab, a, r, s, y in ROWS]
    df = _frame(rows).assign(Pregnant=lambda f: f.index.str.startswith("U").astype(int))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = match(df, "served", ["Age", "DASH Risk", "Pregnant"], "y")
    messages = [str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)]
    assert messages == [
        "no comparison person is in category '1' of 'Pregnant': the 3 served people in it are "
        "left out of the matched comparison (common support)"
    ]
    assert res.off_support == {"Pregnant": ["1"]} and res.n_off_support == 3
    assert res.estimate == pytest.approx(ATT, rel=1e-12)
    assert "Pregnant" not in set(res.balance["term"])


def test_leaving_people_out_for_one_covariate_can_empty_a_category_of_another():
    # Area 'North' holds the three U people (served, off support on Age) and one comparison
    # person C1; once the U people are left out, 'North' has no served person, so C1 leaves the
    # comparison pool too.
    df = _frame().assign(Area="South")
    df.loc[["U1", "U2", "U3", "C1"], "Area"] = "North"
    res, messages = _run(df, ("Age", "DASH Risk", "Area"))
    assert len(messages) == 1 and "'Under 18' of 'Age'" in messages[0]
    assert res.off_support == {"Age": ["Under 18"]}
    assert res.comparison_only == {"Area": ["North"]}
    assert "C1" not in set(res.matches["control"])
    assert res.estimate == pytest.approx(ATT, rel=1e-12)


def test_no_served_person_left_on_common_support_is_an_error():
    df = _frame()
    df["Age"] = np.where(df["served"] == 1, "Under 18", "18-24")
    with (
        pytest.warns(StatisticalWarning, match="the 9 served people in it are left out"),
        pytest.raises(
            DataError,
            match=r"^no served person in match\(\) is on common support: every one is in a "
            r"category with no comparison people \(category 'Under 18' of 'Age'\); expected "
            r"categories that hold both served and comparison people \(combine small "
            r"categories, or drop the covariate\)$",
        ),
    ):
        match(df, "served", ["Age", "DASH Risk"], "y")


# --- separation: say "predict exactly" only when it is true ------------------------------------


def test_a_numeric_covariate_that_splits_the_groups_still_predicts_exactly():
    df = _frame()
    df["Income"] = np.where(df["served"] == 1, 100.0, 0.0) + np.arange(len(df))
    with (
        pytest.warns(StatisticalWarning, match="'Under 18'"),
        pytest.raises(
            DataError,
            match=r"^perfect separation in the propensity model of match\(\): the covariates "
            r"\['Age', 'Income'\] predict 'served' exactly \('Income' alone split the groups\)",
        ),
    ):
        match(df, "served", ["Age", "Income"], "y")


def test_a_combination_that_splits_the_groups_predicts_exactly_without_naming_one_term():
    # served iff a + b > 0; neither a nor b alone splits the groups (ranges overlap)
    a = [2.0, 0.0, 3.0, -1.0, 1.0, -2.0, 0.0, -3.0, 1.0, -1.0]
    b = [0.0, 2.0, -1.0, 3.0, 1.0, 0.0, -2.0, 1.0, -3.0, -1.0]
    d = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert all((ai + bi > 0) == di for ai, bi, di in zip(a, b, d, strict=True))
    df = pd.DataFrame({"a": a, "b": b, "d": d, "y": np.arange(10.0)})
    with pytest.raises(DataError) as caught:
        match(df, "d", ["a", "b"], "y")
    text = str(caught.value)
    assert text.startswith(
        "perfect separation in the propensity model of match(): the covariates ['a', 'b'] "
        "predict 'd' exactly, so served and unserved people do not overlap"
    )
    assert "alone" not in text


def test_quasi_separation_is_not_called_exact_prediction():
    # Risk: comparison 0..10, served 10..20: they meet at 10 only, one of each there, both in
    # area A (identical profiles, so no combination predicts 'd' exactly), but the logit's
    # coefficient runs off; both areas are well mixed (no one-sided category).
    risk = np.r_[np.arange(0.0, 11.0), np.arange(10.0, 21.0)]
    d = np.r_[np.zeros(11, int), np.ones(11, int)]
    area = ["A", "B"] * 11
    area[11] = "A"  # the served person at 10, like the comparison person at 10 (row 10)
    df = pd.DataFrame({"Risk": risk, "Area": area, "d": d, "y": np.arange(22.0)})
    assert pd.crosstab(df["Area"], df["d"]).min().min() >= 5  # both areas well mixed
    with pytest.raises(DataError) as caught:
        match(df, "d", ["Risk", "Area"], "y")
    text = str(caught.value)
    assert text == (
        "the propensity model of match() could not be fitted: served and unserved people barely "
        "overlap on the covariates ['Risk', 'Area'] (largest coefficients: 'Risk'; served and "
        "unserved people meet on 'Risk' only at 10), though no combination of them predicts 'd' "
        "exactly; expected groups that overlap (coarsen or drop the covariates named, or "
        "restrict to comparable people)"
    )
    assert "perfect separation" not in text


def test_a_nearly_one_sided_category_is_named_when_the_model_cannot_be_fitted():
    # Band 'Young' has 12 served people and 1 comparison person (8% comparison): on common
    # support, but in the band only risk separates: comparison person at 0, served from 0 up,
    # and outside the band risk overlaps at one value only. Quasi-separation, no exact split.
    young = pd.DataFrame(
        {"Band": "Young", "Risk": np.r_[0.0, np.arange(0.0, 12.0)], "d": [0] + [1] * 12}
    )
    old = pd.DataFrame(
        {"Band": "Old", "Risk": np.r_[np.arange(0.0, 11.0), np.arange(10.0, 21.0)], "d": 0}
    )
    old.loc[11:, "d"] = 1
    df = pd.concat([young, old], ignore_index=True).assign(y=lambda f: np.arange(len(f)))
    with pytest.raises(DataError) as caught:
        match(df, "d", ["Band", "Risk"], "y")
    text = str(caught.value)
    assert text.startswith(
        "the propensity model of match() could not be fitted: served and unserved people barely "
        "overlap on the covariates ['Band', 'Risk'] ("
    )
    assert "nearly one-sided: category 'Young' of 'Band' (served)" in text
    # the two Young people at risk 0, one served and one not, have the same profile: nothing
    # can predict 'd' exactly, and the error says so
    assert text.endswith(
        "), though no combination of them predicts 'd' exactly; expected groups that overlap "
        "(coarsen or drop the covariates named, or restrict to comparable people)"
    )
    assert "perfect separation" not in text
